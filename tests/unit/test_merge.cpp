#include <cmath>
#include <fstream>
#include <functional>
#include <optional>

#include "support/run_in_process.hpp"
#include <gtest/gtest.h>

#include "dropperc/core/theory.hpp"
#include "dropperc/core/topology_theory.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/runner/merge.hpp"

namespace dropperc {
namespace {

struct Merged {
  JobSpec job;
  std::vector<Task> tasks;
  std::filesystem::path file;
};

// A small job of every kind of task.
const std::string kMixedJob = R"([job]
name = "m"
seed = 5
[grid]
models = ["site", "bond"]
widths = [3]
depths = [3]
p = [0.3, 0.6]
[percolation]
samples = 2000
block = 600
thresholds = true
[training]
steps = 40
batch = 8
replicas = 2
eval_interval = 20
target_loss = 10.0
[training.teacher]
features = 4
outputs = 2
train_size = 64
test_size = 32
[lattice]
models = ["bond"]
sizes = [5]
samples = 300
block = 200
)";

// Runs every unit of a small job in this process and merges.
Merged run_and_merge(const std::string& name, const std::string& text = kMixedJob) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("dropperc_merge_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "job.toml") << text;
  Merged m{parse_job(dir / "job.toml"), {}, {}};
  m.tasks = expand(m.job);
  m.file = run_in_process(m.job);
  return m;
}

TEST(Merge, WritesJobTasksAndSummary) {
  const Merged m = run_and_merge("contents");
  const h5::File file = h5::File::open(m.file);
  const h5::Group root = file.root();
  const h5::Group job = root.group("job");
  EXPECT_EQ(job.string_attribute("name"), "m");
  EXPECT_NE(job.string_attribute("job_file").find("replicas = 2"), std::string::npos);
  EXPECT_FALSE(job.string_attribute("git_revision").empty());
  EXPECT_EQ(job.integer_attribute("ranks"), 1);

  const auto summary = root.read_table("summary");
  const auto& names = std::get<std::vector<std::string>>(summary[0].values);
  ASSERT_EQ(names.size(), m.tasks.size());
  for (std::size_t t = 0; t < m.tasks.size(); ++t)
    EXPECT_EQ(names[t], m.tasks[t].name);

  // A percolation point (of the trained 4 -> 3 -> 2 networks): theta within its interval, and
  // within 4 sigma of exact theory.
  const h5::Group point = root.group("tasks/bond_W3_L3_in4_out2_p0.600");
  EXPECT_EQ(point.string_attribute("kind"), "percolation");
  EXPECT_EQ(point.number_attribute("p"), 0.6);
  const double theta = point.read<double>("theta")[0];
  EXPECT_LE(point.read<double>("theta_low")[0], theta);
  EXPECT_LE(theta, point.read<double>("theta_high")[0]);
  const double exact =
      spanning_probability({4, 3, 3, 2}, Dropout::of(DropoutModel::bond, 0.6)).theta;
  EXPECT_NEAR(theta, exact, 4 * std::sqrt(exact * (1 - exact) / 2000));
  EXPECT_EQ(point.read<double>("samples")[0], 2000);
  EXPECT_EQ(point.read<double>("reachable").size(), 5u);

  // Thresholds: every sample, and the curve on the job's grid.
  const h5::Group thresholds = root.group("tasks/site_W3_L3_in4_out2_thresholds");
  EXPECT_EQ(thresholds.read<double>("directed_thresholds").size(), 2000u);
  EXPECT_EQ(thresholds.read<double>("curve_p"), (std::vector<double>{0.3, 0.6}));
  EXPECT_EQ(thresholds.read<double>("curve_theta").size(), 2u);

  // Training: [replica, step] curves and per-replica summaries; times only under timing.
  const h5::Group training = root.group("tasks/train_bond_W3_L3_p0.300_nobias_relu");
  EXPECT_EQ(training.shape("loss"), (h5::Shape{2, 40}));
  EXPECT_EQ(training.shape("test_loss"), (h5::Shape{2, 3}));  // steps 0, 20, 40
  EXPECT_EQ(training.read<double>("steps_to_target"), (std::vector<double>{0, 0}));
  EXPECT_TRUE(training.is_group("timing"));
  EXPECT_EQ(training.group("timing").read<double>("training_seconds").size(), 2u);

  // Every task: its number of work units, and their measured compute times under timing.
  for (const Task& task : m.tasks) {
    const h5::Group g = root.group("tasks/" + task.name);
    EXPECT_EQ(g.integer_attribute("work_units"), task.units) << task.name;
    const auto seconds = g.group("timing").read<double>("compute_seconds");
    EXPECT_EQ(seconds.size(), static_cast<std::size_t>(task.units)) << task.name;
    for (double s : seconds)
      EXPECT_GE(s, 0.0) << task.name;
  }
}

// A lattice-only job: every sample's q*, and theta(q) = the fraction of samples with q* < q, with
// the bond lattice's exact theta(1/2) = 1/2 (self-duality) at every size.
TEST(Merge, LatticeTasksHoldThresholdsAndCurves) {
  const Merged m = run_and_merge("lattice", R"([job]
name = "lattice"
seed = 9
[lattice]
models = ["site", "bond"]
sizes = [8, 16]
samples = 4000
block = 1500
q = [0.3, 0.5, 0.6, 0.7]
)");
  const h5::File file = h5::File::open(m.file);
  const h5::Group root = file.root();
  const std::vector<double> q = {0.3, 0.5, 0.6, 0.7};
  for (const Task& task : m.tasks) {
    const h5::Group g = root.group("tasks/" + task.name);
    EXPECT_EQ(g.string_attribute("kind"), "lattice");
    EXPECT_EQ(g.string_attribute("model"), name(task.lattice_model));
    EXPECT_EQ(g.integer_attribute("size"), task.lattice_size);
    EXPECT_EQ(g.integer_attribute("work_units"), 3);
    EXPECT_EQ(g.group("timing").read<double>("compute_seconds").size(), 3u);
    const auto thresholds = g.read<double>("occupation_thresholds");
    ASSERT_EQ(thresholds.size(), 4000u) << task.name;
    EXPECT_EQ(g.read<double>("curve_q"), q);
    const auto theta = g.read<double>("curve_theta");
    const auto low = g.read<double>("curve_theta_low");
    const auto high = g.read<double>("curve_theta_high");
    ASSERT_EQ(theta.size(), q.size());
    for (std::size_t k = 0; k < q.size(); ++k) {
      const auto spans =
          std::count_if(thresholds.begin(), thresholds.end(), [&](double t) { return q[k] > t; });
      EXPECT_EQ(theta[k], static_cast<double>(spans) / 4000) << task.name << " q = " << q[k];
      EXPECT_LE(low[k], theta[k]);
      EXPECT_LE(theta[k], high[k]);
      if (k > 0) {
        EXPECT_LE(theta[k - 1], theta[k]) << task.name;  // occupation helps spanning
      }
    }
    if (task.lattice_model == LatticeModel::bond) {
      EXPECT_NEAR(theta[1], 0.5, 4 * std::sqrt(0.25 / 4000)) << task.name;
    }
  }
  const auto summary = root.read_table("summary");
  auto column = [&](std::string_view name) -> const auto& {
    return std::find_if(summary.begin(), summary.end(),
                        [&](const h5::TableColumn& c) { return c.name == name; })
        ->values;
  };
  EXPECT_EQ(std::get<std::vector<std::string>>(column("kind")),
            std::vector<std::string>(4, "lattice"));
  EXPECT_EQ(std::get<std::vector<std::string>>(column("model")),
            (std::vector<std::string>{"site", "site", "bond", "bond"}));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(column("width")),
            (std::vector<std::int64_t>{8, 16, 8, 16}));
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(column("depth")), std::vector<std::int64_t>(4, -1));
  for (const std::string_view nan : {"p", "theta"}) {
    for (double v : std::get<std::vector<double>>(column(nan)))
      EXPECT_TRUE(std::isnan(v)) << nan;
  }
}

// Every dataset says what it holds and in which units.
TEST(Merge, EveryDatasetDescribesItself) {
  const Merged m = run_and_merge("described");
  const h5::File file = h5::File::open(m.file);
  int datasets = 0;
  std::function<void(const h5::Group&)> walk = [&](const h5::Group& g) {
    for (const std::string& member : g.members()) {
      if (g.is_group(member)) {
        walk(g.group(member));
        continue;
      }
      ++datasets;
      EXPECT_TRUE(g.dataset_has_attribute(member, "description")) << g.path() << "/" << member;
      EXPECT_TRUE(g.dataset_has_attribute(member, "units")) << g.path() << "/" << member;
    }
  };
  walk(file.root());
  EXPECT_GT(datasets, 50);
}

TEST(Merge, SummaryLoadsInOneLineOfH5py) {
  if (std::system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") != 0) {
    GTEST_SKIP() << "Debian's python3-h5py is missing (scripts/setup.sh installs it)";
  }
  const Merged m = run_and_merge("python");
  const std::string check =
      "/usr/bin/python3 -c \"import h5py; s = h5py.File('" + m.file.string() +
      "')['summary'][:]; assert len(s) == " + std::to_string(m.tasks.size()) +
      " and s['theta'].dtype.kind == 'f' and b'bond_W3_L3_in4_out2_p0.600' in s['name']\"";
  EXPECT_EQ(std::system(check.c_str()), 0);
}

// A layered network with input dropout: its widths and input dropout stored with it, width -1
// in the summary, theta within 4 sigma of the exact theory of that network.
TEST(Merge, LayeredNetworksWithInputDropoutKeepTheirShape) {
  const Merged m = run_and_merge("layered", R"([job]
name = "layered"
seed = 3
[grid]
models = ["bond"]
widths = [[4, 2, 3]]
input_dropout = 0.25
p = [0.4]
[percolation]
samples = 3000
block = 1000
)");
  const h5::File file = h5::File::open(m.file);
  const h5::Group point = file.root().group("tasks/bond_W4-2-3_L3_pin0.250_p0.400");
  EXPECT_EQ(point.string_attribute("widths"), "4,2,3");
  EXPECT_EQ(point.integer_attribute("width"), -1);
  EXPECT_EQ(point.integer_attribute("depth"), 3);
  EXPECT_EQ(point.integer_attribute("input_width"), 4);
  EXPECT_EQ(point.integer_attribute("output_width"), 3);
  EXPECT_EQ(point.number_attribute("input_dropout"), 0.25);
  Dropout dropout = Dropout::of(DropoutModel::bond, 0.4);
  dropout.p_input = 0.25;
  const double exact = spanning_probability(Architecture::layered(4, {4, 2, 3}, 3), dropout).theta;
  EXPECT_NEAR(point.read<double>("theta")[0], exact, 4 * std::sqrt(exact * (1 - exact) / 3000));
  const auto summary = file.root().read_table("summary");
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(summary[3].values),
            (std::vector<std::int64_t>{-1}));
}

// A job on local layers (1-D, kernel 2 and 3, open boundaries, one seed unit) and a residual
// MLP: theta of every percolation task within 4 sigma of exact theory (the transfer matrix, the
// block chain), the thresholds tasks' curves within 4 sigma at every grid p, residual training
// replicas that record their masks' spanning, and the topology in every task's attributes.
TEST(Merge, LocalAndResidualNetworksMatchExactTheory) {
  const std::string grid = R"([job]
name = "shapes"
seed = 4
[percolation]
samples = 3000
block = 1000
thresholds = true
[grid]
models = ["bond", "site"]
widths = [6]
depths = [5]
p = [0.3, 0.5]
)";
  const Merged local =
      run_and_merge("local", grid +
                                 "input_width = 1\nconnectivity = \"local\"\nkernel = [2, 3]\n"
                                 "boundary = \"open\"\n");
  const Merged residual = run_and_merge(
      "residual", grid +
                      "residual = [2, 3]\n[training]\nsteps = 30\nbatch = 8\n"
                      "eval_interval = 10\n[training.teacher]\nfeatures = 6\noutputs = 6\n"
                      "train_size = 64\ntest_size = 32\n");
  int percolation = 0, thresholds = 0, training = 0;
  for (const Merged* m : {&local, &residual}) {
    const h5::File file = h5::File::open(m->file);
    for (const Task& t : m->tasks) {
      const h5::Group g = file.root().group("tasks/" + t.name);
      ASSERT_FALSE(t.topology.is_dense_mlp()) << t.name;
      EXPECT_EQ(g.string_attribute("topology"), topology_text(t.topology)) << t.name;
      EXPECT_EQ(g.integer_attribute("residual"), t.topology.residual) << t.name;
      if (t.topology.connectivity == Connectivity::local) {
        EXPECT_EQ(g.integer_attribute("kernel"), t.topology.kernel) << t.name;
        EXPECT_EQ(g.string_attribute("boundary"), "open") << t.name;
      }
      if (t.kind == TaskKind::training) {
        ++training;
        EXPECT_EQ(t.arch.input_width, 6);
        continue;
      }
      const auto exact = [&](double p) {
        return spanning_probability(t.arch, t.topology, ScanLine::of(t.model).at(p)).theta;
      };
      const auto sigma = [](double theta) { return 4 * std::sqrt(theta * (1 - theta) / 3000); };
      if (t.kind == TaskKind::percolation) {
        ++percolation;
        const double theta = exact(t.p);
        EXPECT_NEAR(g.read<double>("theta")[0], theta, sigma(theta)) << t.name;
        continue;
      }
      ++thresholds;
      const auto p = g.read<double>("curve_p");
      const auto curve = g.read<double>("curve_theta");
      ASSERT_EQ(curve.size(), p.size()) << t.name;
      for (std::size_t k = 0; k < p.size(); ++k) {
        EXPECT_NEAR(curve[k], exact(p[k]), sigma(exact(p[k]))) << t.name << " p = " << p[k];
      }
    }
  }
  EXPECT_EQ(percolation, 16);
  EXPECT_EQ(thresholds, 8);
  EXPECT_EQ(training, 8);
}

TEST(Merge, RefusesIncompleteJobs) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "dropperc_merge_incomplete";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "job.toml")
      << "[job]\nname = \"i\"\n[grid]\nmodels = [\"site\"]\nwidths = [2]\n"
         "depths = [2]\np = [0.5]\n[percolation]\nsamples = 10\nblock = 5\n";
  const JobSpec job = parse_job(dir / "job.toml");
  const Store store(job, expand(job), Store::Role::coordinator);
  store.save(0, 0, *run_unit({&job, &store.tasks()[0], nullptr}, 0, {}));
  try {
    merge_job(store, job, {});
    ADD_FAILURE() << "merged an incomplete job";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("site_W2_L2_p0.500 unit 1"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dropperc
