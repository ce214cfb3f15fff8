#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <variant>

#include <gtest/gtest.h>

#include "dropperc/io/h5.hpp"
#include "dropperc/runner/job.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::filesystem::path kSource = DROPPERC_SOURCE_DIR;

std::filesystem::path write_job(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::path(::testing::TempDir()) / (name + ".toml");
  std::ofstream(path) << text;
  return path;
}

TEST(Job, ParsesTheSmokeJob) {
  const JobSpec job = parse_job(kSource / "jobs/smoke.toml");
  EXPECT_EQ(job.name, "smoke");
  EXPECT_EQ(job.seed, 2026u);
  EXPECT_EQ(job.output, kSource / "jobs/smoke.data");
  EXPECT_EQ(job.grid.models, (std::vector<DropoutModel>{DropoutModel::site, DropoutModel::bond}));
  EXPECT_EQ(job.grid.p, (std::vector<double>{0.3, 0.6}));
  ASSERT_TRUE(job.percolation && job.training);
  EXPECT_EQ(job.percolation->block, 500);
  EXPECT_TRUE(job.percolation->thresholds);
  EXPECT_EQ(job.training->replicas, 2);
  EXPECT_EQ(job.training->teacher.input_width, 8);
  EXPECT_EQ(job.run.checkpoint_interval, 5.0);
  EXPECT_NE(job.text.find("[percolation]"), std::string::npos);
}

// Names come from values: 2 models x 2 widths x 2 depths give 8 threshold tasks, 16 point tasks
// and 16 training tasks; blocks = ceil(samples / block).
TEST(Job, ExpandsTheGridIntoNamedTasks) {
  const std::vector<Task> tasks = expand(parse_job(kSource / "jobs/smoke.toml"));
  std::map<TaskKind, int> counts;
  std::map<std::string, Task> by_name;
  for (const Task& t : tasks) {
    ++counts[t.kind];
    EXPECT_TRUE(by_name.emplace(t.name, t).second) << "duplicate name " << t.name;
  }
  EXPECT_EQ(counts[TaskKind::thresholds], 8);
  EXPECT_EQ(counts[TaskKind::percolation], 16);
  EXPECT_EQ(counts[TaskKind::training], 16);
  // Percolation tasks measure the trained networks: W_in and W_out are the teacher's 8 and 2.
  const Task& point = by_name.at("bond_W4_L6_in8_out2_p0.600");
  EXPECT_EQ(point.kind, TaskKind::percolation);
  EXPECT_EQ(point.arch, (Architecture{8, 4, 6, 2}));
  EXPECT_EQ(point.units, 4);
  EXPECT_EQ(by_name.at("site_W2_L3_in8_out2_thresholds").units, 4);
  const Task& training = by_name.at("train_site_W2_L3_p0.300_nobias_relu");
  EXPECT_EQ(training.units, 2);
  EXPECT_EQ(training.arch, (Architecture{8, 2, 3, 2}));  // W_in, W_out from the teacher
}

// Adding a value to the grid adds tasks and leaves every existing one as it was.
TEST(Job, AddingAGridValueRenamesNothing) {
  const std::string head =
      "[job]\nname = \"grow\"\n[grid]\nmodels = [\"bond\"]\nwidths = [3]\ndepths = [2]\n";
  const std::string tail = "[percolation]\nsamples = 10\n[training]\nsteps = 5\n";
  const auto before = expand(parse_job(write_job("before", head + "p = [0.5, 0.25]\n" + tail)));
  const auto after = expand(parse_job(
      write_job("after", head + "p = [0.125, 0.5, 0.25]\nbiases = [false, true]\n" + tail)));
  for (const Task& t : before) {
    const auto same =
        std::find_if(after.begin(), after.end(), [&](const Task& u) { return u.name == t.name; });
    ASSERT_NE(same, after.end()) << t.name;
    EXPECT_EQ(same->p, t.p);
    EXPECT_EQ(same->arch, t.arch);
    EXPECT_EQ(same->units, t.units);
  }
  EXPECT_EQ(after.size(), 2 * 3u + 3u);  // training (3 p x 2 biases) + percolation (3 p)
}

TEST(Job, SkipRulesAndRangesShapeTheGrid) {
  const auto path = write_job("skip", R"([job]
name = "skip"
[grid]
models = ["site", "bond"]
widths = [2, 8]
depths = [4]
p = { start = 0.1, stop = 0.9, num = 5 }
skip = [{ model = "bond", width = 2 }, { p = 0.5 }]
[percolation]
samples = 7
block = 3
)");
  const JobSpec job = parse_job(path);
  EXPECT_EQ(job.grid.p.size(), 5u);
  EXPECT_EQ(job.grid.p.back(), 0.9);
  const auto tasks = expand(job);
  EXPECT_EQ(tasks.size(), 3u * 4u);  // (site W2, site W8, bond W8) x 4 p
  for (const Task& t : tasks) {
    EXPECT_EQ(t.name.find("p0.500"), std::string::npos) << t.name;
    EXPECT_NE(t.name, "bond_W2_L4_p0.100");
    EXPECT_EQ(t.units, 3);  // ceil(7 / 3)
  }
}

// A range's values are the decimals its start, stop and step imply, each the double nearest its
// decimal: 0.3, not 0.1 + 0.2 = 0.30000000000000004. So names carry no noise, and skip and only
// rules match the values as the user writes them.
TEST(Job, RangesAreExactAndRulesMatchTheValuesAsWritten) {
  const JobSpec job = parse_job_text(R"([job]
name = "exact"
[grid]
models = ["bond"]
widths = [4]
depths = [2]
p = { start = 0.1, stop = 0.9, num = 9 }
skip = [{ p = 0.3 }]
[percolation]
samples = 10
[training]
steps = 10
only = [{ p = 0.7 }]
[lattice]
models = ["site"]
sizes = [4]
samples = 10
q = { start = 0.3, stop = 0.8, num = 51 }
)",
                                     "exact.toml");
  ASSERT_EQ(job.grid.p.size(), 9u);
  for (int k = 0; k < 9; ++k)
    EXPECT_EQ(job.grid.p[k], std::stod("0." + std::to_string(k + 1))) << k;
  ASSERT_EQ(job.lattice->q.size(), 51u);
  EXPECT_EQ(job.lattice->q[1], 0.31);
  EXPECT_EQ(job.lattice->q[27], 0.57);
  EXPECT_EQ(job.lattice->q.back(), 0.8);
  std::vector<std::string> names;
  for (const Task& t : expand(job))
    names.push_back(t.name);
  // The percolation tasks describe the trained networks: the teacher's 16 features, 2 classes.
  const std::vector<std::string> expected{
      "bond_W4_L2_in16_out2_p0.100",         "bond_W4_L2_in16_out2_p0.200",
      "bond_W4_L2_in16_out2_p0.400",         "bond_W4_L2_in16_out2_p0.500",
      "bond_W4_L2_in16_out2_p0.600",         "bond_W4_L2_in16_out2_p0.700",
      "train_bond_W4_L2_p0.700_nobias_relu", "bond_W4_L2_in16_out2_p0.800",
      "bond_W4_L2_in16_out2_p0.900",         "lattice_site_L4"};
  EXPECT_EQ(names, expected);
}

// A rule matches only points that have every parameter it gives: a p rule never removes a
// thresholds task (it has no p), a bias or activation rule never a percolation task.
TEST(Job, RulesMatchOnlyPointsThatHaveTheirParameters) {
  auto names = [](const std::string& skip) {
    std::vector<std::string> out;
    for (const Task& t : expand(parse_job_text("[job]\nname = \"rules\"\n[grid]\n"
                                               "models = [\"bond\"]\nwidths = [4]\ndepths = [2]\n"
                                               "p = [0.5]\nskip = [" +
                                                   skip +
                                                   "]\n[percolation]\nsamples = 10\n"
                                                   "thresholds = true\n[training]\nsteps = 10\n",
                                               "rules.toml")))
      out.push_back(t.name);
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names("{ p = 0.5 }"), (Names{"bond_W4_L2_in16_out2_thresholds"}));
  EXPECT_EQ(names("{ activation = \"relu\" }"),
            (Names{"bond_W4_L2_in16_out2_thresholds", "bond_W4_L2_in16_out2_p0.500"}));
  EXPECT_EQ(names("{ bias = false, width = 4 }"),
            (Names{"bond_W4_L2_in16_out2_thresholds", "bond_W4_L2_in16_out2_p0.500"}));
  EXPECT_EQ(names("{ width = 4, depth = 2, p = 0.5 }"), (Names{"bond_W4_L2_in16_out2_thresholds"}));
}

// A rule's p matches a p that a law computes, written as the user would round it: here
// 1 - 0.57 / 10 is the double 0.9430000000000001, and the rule says 0.943.
TEST(Job, RulesMatchLawValuesAsWritten) {
  const JobSpec job = parse_job_text(R"([job]
name = "law"
[grid]
models = ["bond"]
widths = [10]
depths = [2]
p = { keep = [0.9, 0.57], power = -1 }
skip = [{ p = 0.943 }]
[percolation]
samples = 10
)",
                                     "law.toml");
  const std::vector<Task> tasks = expand(job);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].keep, 0.9);
}

// [training] only: training at the points matching a rule, percolation everywhere (skip rules
// still apply to both).
TEST(Job, TrainingOnlyRulesPickTheTrainedPoints) {
  const JobSpec job = parse_job(write_job("only", R"([job]
name = "only"
[grid]
models = ["site", "bond"]
widths = [2, 4]
depths = [4]
p = [0.1, 0.5, 0.9]
skip = [{ model = "bond", width = 2 }]
[percolation]
samples = 10
[training]
steps = 10
only = [{ p = 0.5 }, { model = "site", p = 0.9, width = 4 }]
)"));
  std::vector<std::string> trained;
  std::size_t percolation = 0;
  for (const Task& t : expand(job)) {
    if (t.kind == TaskKind::training) trained.push_back(t.name);
    percolation += t.kind == TaskKind::percolation;
  }
  EXPECT_EQ(percolation, 3u * 3u);
  EXPECT_EQ(trained,
            (std::vector<std::string>{
                "train_site_W2_L4_p0.500_nobias_relu", "train_site_W4_L4_p0.500_nobias_relu",
                "train_site_W4_L4_p0.900_nobias_relu", "train_bond_W4_L4_p0.500_nobias_relu"}));
}

// Depths and drop probabilities tied to the width: L = round(a W^(1/2)), p = 1 - c / W.
TEST(Job, WidthLawsTieDepthAndPToTheWidth) {
  const JobSpec job = parse_job(write_job("laws", R"([job]
name = "laws"
[grid]
models = ["bond"]
widths = [4, 64]
input_width = 1
depths = { scale = [1, 2], power = 0.5 }
p = { keep = [1.0, 0.5], power = -1 }
[percolation]
samples = 10
method = "fast"
undirected = false
thresholds = true
)"));
  struct Expected {
    std::string name;
    double depth_scale, keep;
  };
  const std::vector<Expected> expected{
      {"bond_W4_L2_in1_thresholds", 1, kNaN},  {"bond_W4_L2_in1_p0.750", 1, 1.0},
      {"bond_W4_L2_in1_p0.875", 1, 0.5},       {"bond_W4_L4_in1_thresholds", 2, kNaN},
      {"bond_W4_L4_in1_p0.750", 2, 1.0},       {"bond_W4_L4_in1_p0.875", 2, 0.5},
      {"bond_W64_L8_in1_thresholds", 1, kNaN}, {"bond_W64_L8_in1_p0.984375", 1, 1.0},
      {"bond_W64_L8_in1_p0.9921875", 1, 0.5},  {"bond_W64_L16_in1_thresholds", 2, kNaN},
      {"bond_W64_L16_in1_p0.984375", 2, 1.0},  {"bond_W64_L16_in1_p0.9921875", 2, 0.5}};
  const auto tasks = expand(job);
  ASSERT_EQ(tasks.size(), expected.size());
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    EXPECT_EQ(tasks[k].name, expected[k].name);
    EXPECT_EQ(tasks[k].depth_scale, expected[k].depth_scale) << tasks[k].name;
    if (std::isnan(expected[k].keep)) {
      EXPECT_TRUE(std::isnan(tasks[k].keep)) << tasks[k].name;
    } else {
      EXPECT_EQ(tasks[k].keep, expected[k].keep) << tasks[k].name;
    }
  }
  EXPECT_EQ(tasks[1].p, 0.75);
  EXPECT_EQ(tasks[1].arch.depth(), 2);
}

// A data set gives the networks its widths: W_in = its features, W_out = its classes (exact
// theta depends on both); a file that is not a data set stops the job, naming the key.
TEST(Job, TrainingOnADataSetTakesItsWidths) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  {
    h5::File file = h5::File::create(dir / "five_by_three.h5");
    h5::Group root = file.root();
    root.write<float>("X", std::vector<float>(6 * 5, 0.5f), {6, 5});
    root.write<std::int64_t>("y", std::vector<std::int64_t>{0, 1, 2, 0, 1, 2});
  }
  std::ofstream(dir / "not_data.h5") << "not hdf5";
  const std::string job = R"([job]
name = "data"
[grid]
models = ["bond"]
widths = [4]
depths = [2]
p = [0.5]
[training]
steps = 10
dataset = "DATA"
)";
  auto with = [&](const std::string& data) {
    std::string text = job;
    text.replace(text.find("DATA"), 4, data);
    return write_job("data_" + data, text);
  };
  const std::vector<Task> tasks = expand(parse_job(with("five_by_three.h5")));
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].arch.input_width, 5);
  EXPECT_EQ(tasks[0].arch.output_width, 3);
  // Percolation tasks of the job describe the same networks (named with the data's widths),
  // unless the grid sets W_in or W_out; training names are as before.
  auto names_and_archs = [&](const std::string& text) {
    std::vector<std::pair<std::string, Architecture>> out;
    for (const Task& t : expand(parse_job(write_job("data_percolation", text))))
      out.emplace_back(t.name, t.arch);
    return out;
  };
  std::string percolation = job;
  percolation.replace(percolation.find("DATA"), 4, "five_by_three.h5");
  percolation += "[percolation]\nsamples = 10\nthresholds = true\n";
  using Named = std::vector<std::pair<std::string, Architecture>>;
  EXPECT_EQ(names_and_archs(percolation),
            (Named{{"bond_W4_L2_in5_out3_thresholds", {5, 4, 2, 3}},
                   {"bond_W4_L2_in5_out3_p0.500", {5, 4, 2, 3}},
                   {"train_bond_W4_L2_p0.500_nobias_relu", {5, 4, 2, 3}}}));
  std::string own_input = percolation;
  own_input.replace(own_input.find("p = [0.5]"), 9, "p = [0.5]\ninput_width = 1");
  EXPECT_EQ(names_and_archs(own_input),
            (Named{{"bond_W4_L2_in1_out3_thresholds", {1, 4, 2, 3}},
                   {"bond_W4_L2_in1_out3_p0.500", {1, 4, 2, 3}},
                   {"train_bond_W4_L2_in1_p0.500_nobias_relu", {5, 4, 2, 3}}}));
  try {
    parse_job(with("not_data.h5"));
    FAIL() << "no error";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("training.dataset"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not_data.h5"), std::string::npos) << e.what();
  }
}

// per_p = false keeps the thresholds tasks alone: they give theta at every p.
TEST(Job, PerPFalseLeavesOnlyThresholdsTasks) {
  const JobSpec job = parse_job(write_job("thresholds_only", R"([job]
name = "thresholds_only"
[grid]
models = ["site", "bond"]
widths = [4, 8]
depths = [2]
p = [0.25, 0.5]
[percolation]
samples = 10
thresholds = true
per_p = false
)"));
  std::vector<std::string> names;
  for (const Task& t : expand(job))
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"site_W4_L2_thresholds", "site_W8_L2_thresholds",
                                             "bond_W4_L2_thresholds", "bond_W8_L2_thresholds"}));
}

// A job of [job] and [lattice] alone: defaults for block and q, one task per (model, size).
TEST(Job, ParsesALatticeOnlyJob) {
  const JobSpec job = parse_job(write_job("lattice", R"([job]
name = "lattice"
[lattice]
models = ["site", "bond"]
sizes = [16, 8]
samples = 25000
)"));
  ASSERT_TRUE(job.lattice);
  EXPECT_FALSE(job.percolation || job.training);
  EXPECT_TRUE(job.grid.models.empty());
  EXPECT_EQ(job.lattice->models,
            (std::vector<LatticeModel>{LatticeModel::site, LatticeModel::bond}));
  EXPECT_EQ(job.lattice->sizes, (std::vector<int>{16, 8}));
  EXPECT_EQ(job.lattice->block, 10000);  // as percolation's default
  ASSERT_EQ(job.lattice->q.size(), 101u);
  EXPECT_EQ(job.lattice->q.front(), 0.0);
  EXPECT_EQ(job.lattice->q[50], 0.5);
  EXPECT_EQ(job.lattice->q.back(), 1.0);
  const std::vector<Task> tasks = expand(job);
  std::vector<std::string> names;
  for (const Task& t : tasks) {
    names.push_back(t.name);
    EXPECT_EQ(t.kind, TaskKind::lattice);
    EXPECT_EQ(t.units, 3);  // ceil(25000 / 10000)
  }
  EXPECT_EQ(names, (std::vector<std::string>{"lattice_site_L16", "lattice_site_L8",
                                             "lattice_bond_L16", "lattice_bond_L8"}));
  EXPECT_EQ(tasks[3].lattice_model, LatticeModel::bond);
  EXPECT_EQ(tasks[3].lattice_size, 8);
  EXPECT_EQ(model_name(tasks[3]), "bond");
  EXPECT_EQ(name(TaskKind::lattice), "lattice");
}

// Lattice tasks follow the grid's; growing either renames nothing. q takes grid.p's forms.
TEST(Job, LatticeTasksFollowTheGridAndKeepTheirNames) {
  const std::string head =
      "[job]\nname = \"mixed\"\n[grid]\nmodels = [\"bond\"]\nwidths = [3]\ndepths = [2]\n";
  const std::string percolation =
      "[percolation]\nsamples = 10\n[lattice]\nsamples = 7\nblock = 3\n";
  const auto before = expand(parse_job(
      write_job("mixed_before", head + "p = [0.5]\n" + percolation +
                                    "models = [\"bond\"]\nsizes = [4]\nq = [0.75, 0.25]\n")));
  const JobSpec after =
      parse_job(write_job("mixed_after", head + "p = [0.5, 0.25]\n" + percolation +
                                             "models = [\"site\", \"bond\"]\nsizes = [2, 4]\n"
                                             "q = { start = 0.25, stop = 0.75, num = 3 }\n"));
  EXPECT_EQ(after.lattice->q, (std::vector<double>{0.25, 0.5, 0.75}));
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].kind, TaskKind::percolation);
  EXPECT_EQ(before[1].name, "lattice_bond_L4");
  EXPECT_EQ(before[1].units, 3);  // ceil(7 / 3)
  const auto tasks = expand(after);
  const auto same = std::find_if(tasks.begin(), tasks.end(),
                                 [](const Task& t) { return t.name == "lattice_bond_L4"; });
  ASSERT_NE(same, tasks.end());
  EXPECT_EQ(same->lattice_size, 4);
  EXPECT_EQ(same->units, 3);
  EXPECT_TRUE(std::is_partitioned(tasks.begin(), tasks.end(),
                                  [](const Task& t) { return t.kind != TaskKind::lattice; }));
}

TEST(Job, CanonicalNumbersAreShortAndDistinct) {
  EXPECT_EQ(canonical_number(0.5), "0.500");
  EXPECT_EQ(canonical_number(0.3), "0.300");
  EXPECT_EQ(canonical_number(1.0), "1.000");
  EXPECT_EQ(canonical_number(0.1234), "0.1234");
  EXPECT_EQ(canonical_number(0.0), "0.000");
  EXPECT_NE(canonical_number(0.5125), canonical_number(0.513));
  EXPECT_NE(canonical_number(0.1 + 0.2), canonical_number(0.3));
}

// Every file in tests/data/bad-jobs names on its first line ("# expect: a | b") the fragments
// its error must contain; the message must also name the file and a line.
TEST(Job, EveryBadJobGivesItsMessage) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "tests/data/bad-jobs")) {
    ++files;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << entry.path() << " has no '# expect:' line";
    std::string message = "no error";
    try {
      parse_job(entry.path());
    } catch (const JobError& e) {
      message = e.what();
    }
    const std::string file = entry.path().filename().string();
    EXPECT_NE(message.find(file + ":"), std::string::npos) << file << ": " << message;
    // Long bad values and keys are cut short (74-long-value, 81-long-key).
    EXPECT_LT(message.size(), 500u) << file << ": " << message;
    std::istringstream expected(first.substr(10));
    for (std::string fragment; std::getline(expected, fragment, '|');) {
      fragment.erase(0, fragment.find_first_not_of(' '));
      fragment.erase(fragment.find_last_not_of(' ') + 1);
      EXPECT_NE(message.find(fragment), std::string::npos)
          << file << ": '" << fragment << "' not in: " << message;
    }
  }
  EXPECT_GE(files, 25);
}

// A directory is not a job file; it is said to be one, not to lack [job].
TEST(Job, ADirectoryIsRefusedAsADirectory) {
  try {
    parse_job(kSource / "tests/data/bad-jobs");
    FAIL() << "no error";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("bad-jobs: is a directory"), std::string::npos)
        << e.what();
  }
}

// Seeds above 2^63 - 1 are written as strings, up to 2^64 - 1 and no further (75-, 77-seed-*).
TEST(Job, SeedsUpTo2To64Minus1AreReadExactly) {
  const std::string grid =
      "[grid]\nmodels = [\"bond\"]\nwidths = [2]\ndepths = [1]\np = [0.5]\n"
      "[percolation]\nsamples = 1\n";
  EXPECT_EQ(
      parse_job_text("[job]\nname = \"s\"\nseed = \"18446744073709551615\"\n" + grid, "s.toml")
          .seed,
      std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(
      parse_job_text("[job]\nname = \"s\"\nseed = \"9223372036854775808\"\n" + grid, "s.toml").seed,
      std::uint64_t{1} << 63);
  EXPECT_EQ(parse_job_text("[job]\nname = \"s\"\nseed = 7\n" + grid, "s.toml").seed, 7u);
}

// expand() itself refuses two tasks of one name, whatever built the spec.
TEST(Job, ExpandRefusesDuplicateTaskNames) {
  JobSpec job = parse_job_text(
      "[job]\nname = \"d\"\n[grid]\nmodels = [\"bond\"]\nwidths = [2, 3]\ndepths = [1]\n"
      "p = [0.5]\n[percolation]\nsamples = 1\n",
      "d.toml");
  job.grid.widths = {2, 3, 2};
  try {
    expand(job);
    FAIL() << "no error";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("two tasks would be named bond_W2_L1_p0.500"),
              std::string::npos)
        << e.what();
  }
}

// widths entries may list a network's hidden layers (its length its depth); a list of equal
// widths is the uniform network it equals, and a run of equal widths is named "64x2".
TEST(Job, ListedWidthsAreLayeredNetworks) {
  const auto tasks = expand(parse_job_text(
      "[job]\nname = \"l\"\n[grid]\nmodels = [\"bond\"]\nwidths = [4, [8, 4, 2], [3, 3], "
      "[64, 64, 32]]\ndepths = [2]\np = [0.5]\n[percolation]\nsamples = 10\n",
      "l.toml"));
  std::map<std::string, Architecture> arch;
  for (const Task& t : tasks)
    arch.emplace(t.name, t.arch);
  ASSERT_EQ(arch.size(), 4u);
  EXPECT_EQ(arch.at("bond_W4_L2_p0.500"), (Architecture{4, 4, 2, 4}));
  EXPECT_EQ(arch.at("bond_W8-4-2_L3_p0.500"), Architecture::layered(8, {8, 4, 2}, 2));
  EXPECT_EQ(arch.at("bond_W3_L2_p0.500"), (Architecture{3, 3, 2, 3}));
  EXPECT_EQ(arch.at("bond_W64x2-32_L3_p0.500"), Architecture::layered(64, {64, 64, 32}, 32));
}

// A taper gives a network per (first, depth): geometric 64 -> 8 over 4 layers halves the width
// at each layer; linear 10 -> 4 over 3 layers falls by 3; one layer is the first width.
TEST(Job, TapersGiveLayeredNetworks) {
  EXPECT_EQ(taper_widths(Taper::geometric, 64, 8, 4), (std::vector<int>{64, 32, 16, 8}));
  EXPECT_EQ(taper_widths(Taper::linear, 10, 4, 3), (std::vector<int>{10, 7, 4}));
  EXPECT_EQ(taper_widths(Taper::geometric, 5, 100, 1), (std::vector<int>{5}));
  const JobSpec job = parse_job_text(
      "[job]\nname = \"t\"\n[grid]\nmodels = [\"site\"]\n"
      "widths = { first = [64, 16], last = 8, depths = [1, 4] }\ninput_width = 784\n"
      "p = [0.5]\n[percolation]\nsamples = 10\nthresholds = true\nper_p = false\n",
      "t.toml");
  std::vector<std::string> names;
  for (const Task& t : expand(job))
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "site_W64_L1_in784_thresholds", "site_W64-32-16-8_L4_in784_thresholds",
                       "site_W16_L1_in784_thresholds", "site_W16-13-10-8_L4_in784_thresholds"}));
}

// Input dropout is held fixed on every network task, named by "_pin", and absent from the names
// and lines of a grid without it.
TEST(Job, InputDropoutIsFixedOnEveryNetworkTask) {
  const std::string grid =
      "[job]\nname = \"i\"\n[grid]\nmodels = [\"site+bond\"]\nwidths = [3]\ndepths = [2]\n"
      "p = [0.5]\n";
  const std::string work =
      "[percolation]\nsamples = 10\nthresholds = true\n[training]\nsteps = 5\n";
  const auto tasks = expand(parse_job_text(grid + "input_dropout = 0.2\n" + work, "i.toml"));
  ASSERT_EQ(tasks.size(), 3u);
  for (const Task& t : tasks) {
    EXPECT_NE(t.name.find("_pin0.200"), std::string::npos) << t.name;
    EXPECT_EQ(t.p_input, 0.2) << t.name;
    const Dropout d = ScanLine::of(t.model, t.p_input).at(0.5);
    EXPECT_EQ(d.p_input, 0.2);
    EXPECT_EQ(d.p_site, 0.5);
    EXPECT_EQ(d.p_bond, 0.5);
  }
  for (const Task& t : expand(parse_job_text(grid + "input_dropout = 0\n" + work, "i.toml"))) {
    EXPECT_EQ(t.name.find("_pin"), std::string::npos) << t.name;
    EXPECT_EQ(ScanLine::of(t.model, t.p_input).at(0.5).p_input, 0.0);
  }
}

// Local connectivity and skips: one set of tasks per kernel x residual step, named after them;
// the grid without them keeps its old names (the tests above).
TEST(Job, TopologiesMakeTheirOwnTasks) {
  const std::string grid =
      "[job]\nname = \"t\"\n[grid]\nmodels = [\"bond\"]\nwidths = [8]\ndepths = [3]\n"
      "p = [0.5]\n";
  const auto local = expand(parse_job_text(grid + "connectivity = \"local\"\nkernel = [2, 3]\n"
                                                  "boundary = \"open\"\nresidual = [0, 2]\n"
                                                  "residual_dropout = false\n"
                                                  "[percolation]\nsamples = 10\n",
                                           "t.toml"));
  std::vector<std::string> names;
  for (const Task& t : local) {
    names.push_back(t.name);
    EXPECT_EQ(t.topology.connectivity, Connectivity::local);
    EXPECT_EQ(t.topology.boundary, Boundary::open);
    EXPECT_FALSE(t.topology.residual_dropout);
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "bond_W8_L3_K2open_p0.500", "bond_W8_L3_K2open_S2kept_p0.500",
                       "bond_W8_L3_K3open_p0.500", "bond_W8_L3_K3open_S2kept_p0.500"}));
  EXPECT_EQ(local[3].topology.kernel, 3);
  EXPECT_EQ(local[3].topology.residual, 2);
  const auto plane = expand(parse_job_text(grid + "connectivity = \"local\"\nkernel = 2\n"
                                                  "dimensions = 2\nchannels = 2\n"
                                                  "[percolation]\nsamples = 10\n",
                                           "t.toml"));
  ASSERT_EQ(plane.size(), 1u);
  EXPECT_EQ(plane[0].name, "bond_W8_L3_K2_2dC2_p0.500");
  EXPECT_EQ(plane[0].topology.dimensions, 2);
  EXPECT_EQ(plane[0].topology.channels, 2);
  const auto trained =
      expand(parse_job_text(grid + "residual = 3\n[training]\nsteps = 5\n", "t.toml"));
  ASSERT_EQ(trained.size(), 1u);
  EXPECT_EQ(trained[0].name, "train_bond_W8_L3_S3_p0.500_nobias_relu");
  EXPECT_EQ(trained[0].topology, Topology{}.with_skips(3, true));
  // Skip rules take kernel and residual: a skip step longer than a short network is left out.
  const std::string shapes =
      "[job]\nname = \"t\"\n[grid]\nmodels = [\"bond\"]\nwidths = [8]\ndepths = [2, 8]\n"
      "p = [0.5]\nresidual = [0, 4]\n[percolation]\nsamples = 10\n";
  EXPECT_THROW(parse_job_text(shapes, "t.toml"), JobError);
  std::string with_rule = shapes;
  with_rule.insert(with_rule.find("[percolation]"), "skip = [{ depth = 2, residual = 4 }]\n");
  names.clear();
  for (const Task& t : expand(parse_job_text(with_rule, "t.toml")))
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bond_W8_L2_p0.500", "bond_W8_L8_p0.500",
                                             "bond_W8_L8_S4_p0.500"}));
  // Directed thresholds of local layers stream: no Graph limit for them (W = 4096, L = 10^4 has
  // 8.2 x 10^7 edges); with undirected spanning, or per-p tasks, the Graph's 2^26 holds.
  const std::string deep =
      "[job]\nname = \"t\"\n[grid]\nmodels = [\"bond\"]\nwidths = [4096]\n"
      "depths = [10000]\np = [0.35]\nconnectivity = \"local\"\nkernel = 2\n"
      "[percolation]\nsamples = 10\nthresholds = true\n";
  EXPECT_NO_THROW(parse_job_text(deep + "per_p = false\nundirected = false\n", "t.toml"));
  EXPECT_THROW(parse_job_text(deep + "per_p = false\n", "t.toml"), JobError);
  EXPECT_THROW(parse_job_text(deep + "undirected = false\n", "t.toml"), JobError);
  // The dense limit of 10^10 edges is not a local network's: W = 50000, K = 3 has 750 000 edges.
  EXPECT_NO_THROW(parse_job_text(
      "[job]\nname = \"t\"\n[grid]\nmodels = [\"bond\"]\nwidths = [50000]\ndepths = [4]\n"
      "p = [0.5]\nconnectivity = \"local\"\nkernel = 3\n[percolation]\nsamples = 10\n",
      "t.toml"));
}

TEST(Job, MissingFileIsAJobError) {
  EXPECT_THROW(parse_job("/nonexistent/job.toml"), JobError);
}

// Survival depths are log-spaced, distinct and end at L; the job's survival keys reach the
// thresholds tasks' plans and settings (so that a changed floor is a changed job), and leave
// the settings of a job without them as they were.
TEST(Job, SurvivalDepthsAndFloorReachTheThresholdsTasks) {
  EXPECT_EQ(survival_depths(10, 100),
            (std::vector<int>{1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100}));
  EXPECT_EQ(survival_depths(1, 1), (std::vector<int>{1}));
  EXPECT_EQ(survival_depths(1, 5), (std::vector<int>{1, 5}));
  EXPECT_EQ(survival_depths(2, 10), (std::vector<int>{1, 3, 10}));
  const std::string text =
      "[job]\nname = \"s\"\n[grid]\nmodels = [\"bond\"]\nwidths = [64]\ndepths = [100]\n"
      "p = [0.35, 0.36]\ninput_width = 1\nconnectivity = \"local\"\nkernel = 2\n"
      "[percolation]\nsamples = 10\nthresholds = true\nper_p = false\nundirected = false\n";
  const JobSpec plain = parse_job_text(text, "s.toml");
  const JobSpec job = parse_job_text(text + "survival_per_decade = 10\nfloor = 0.35\n", "s.toml");
  EXPECT_EQ(job.percolation->survival_per_decade, 10);
  EXPECT_EQ(job.percolation->floor, 0.35);
  const Task task = expand(job).front();
  const auto block = std::get<ThresholdBlock>(*run_unit({&job, &task, nullptr}, 0, {}));
  ASSERT_EQ(block.survival.size(), 10u * survival_depths(10, 100).size());
  for (double b : block.survival)
    EXPECT_TRUE(b == 0.0 || b > 0.35) << b;  // censored at the floor
  const Task plain_task = expand(plain).front();
  EXPECT_TRUE(
      std::get<ThresholdBlock>(*run_unit({&plain, &plain_task, nullptr}, 0, {})).survival.empty());
}

}  // namespace
}  // namespace dropperc
