#include <fstream>
#include <limits>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dropperc/runner/store.hpp"

namespace dropperc {
namespace {

struct Fixture {
  std::filesystem::path dir;
  JobSpec job;
  std::vector<Task> tasks;
};

const std::string kLattice = "models = [\"bond\"]\nsizes = [4]\nsamples = 3000\nblock = 700\n";

// A job in a fresh temporary directory; the arguments replace the default section settings.
Fixture make_job(
    const std::string& name, const std::string& percolation = "samples = 3000\nblock = 700\n",
    const std::string& training = "steps = 30\nbatch = 8\nreplicas = 2\neval_interval = 10\n",
    const std::string& lattice = kLattice) {
  Fixture f;
  f.dir = std::filesystem::path(::testing::TempDir()) / ("dropperc_store_" + name);
  std::filesystem::create_directories(f.dir);
  std::ofstream(f.dir / "job.toml")
      << "[job]\nname = \"s\"\nseed = 3\n[grid]\nmodels = [\"site\"]\n"
         "widths = [3]\ndepths = [2]\np = [0.4]\n[percolation]\n"
      << percolation << "thresholds = true\n[training]\n"
      << training
      << "[training.teacher]\nfeatures = 4\noutputs = 2\ntrain_size = 64\ntest_size = 16\n"
      << "[lattice]\n"
      << lattice;
  f.job = parse_job(f.dir / "job.toml");
  f.tasks = expand(f.job);
  return f;
}

// The default job in a fresh output directory.
Fixture fresh_job(const std::string& name) {
  Fixture f = make_job(name);
  std::filesystem::remove_all(f.job.output);
  return f;
}

// A store of a fresh default job that collects what it reports.
struct ReportingStore {
  explicit ReportingStore(const std::string& name)
      : f(fresh_job(name)),
        store(f.job, f.tasks, Store::Role::coordinator, false,
              [this](const std::string& m) { reports.push_back(m); }) {}
  Fixture f;
  std::vector<std::string> reports;
  Store store;
};

std::size_t index_of(const std::vector<Task>& tasks, TaskKind kind) {
  return static_cast<std::size_t>(
      std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.kind == kind; }) -
      tasks.begin());
}

TEST(Store, SavesAndLoadsEveryKindOfUnitExactly) {
  Fixture f = fresh_job("roundtrip");
  const Store store(f.job, f.tasks, Store::Role::coordinator);
  const DataSplit data = teacher_student(f.job.training->teacher, f.job.seed);
  for (std::size_t t = 0; t < f.tasks.size(); ++t) {
    const UnitContext context{&f.job, &f.tasks[t], &data};
    EXPECT_FALSE(store.complete(t, 1));
    const UnitResult result = *run_unit(context, 1, {});
    store.save(t, 1, result);
    ASSERT_TRUE(store.complete(t, 1)) << f.tasks[t].name;
    const UnitResult loaded = *store.load(t, 1);
    ASSERT_EQ(loaded.index(), result.index());
    if (const auto* block = std::get_if<PercolationBlock>(&result)) {
      const auto& again = std::get<PercolationBlock>(loaded);
      EXPECT_EQ(again.estimate.directed_spans, block->estimate.directed_spans);
      for (std::size_t o = 0; o < kObservables.size(); ++o) {
        EXPECT_EQ(again.estimate.means[o].mean(), block->estimate.means[o].mean());
        EXPECT_EQ(again.estimate.means[o].variance(), block->estimate.means[o].variance());
      }
      EXPECT_EQ(again.estimate.reachable.back().mean(), block->estimate.reachable.back().mean());
    } else if (const auto* thresholds = std::get_if<ThresholdBlock>(&result)) {
      EXPECT_EQ(std::get<ThresholdBlock>(loaded).directed, thresholds->directed);
      EXPECT_EQ(std::get<ThresholdBlock>(loaded).undirected, thresholds->undirected);
    } else if (const auto* lattice = std::get_if<LatticeBlock>(&result)) {
      const auto& again = std::get<LatticeBlock>(loaded);
      EXPECT_EQ(again.first, lattice->first);
      EXPECT_EQ(again.last, lattice->last);
      EXPECT_EQ(again.thresholds, lattice->thresholds);
    } else {
      EXPECT_TRUE(std::get<TrainingReplica>(loaded).state.params ==
                  std::get<TrainingReplica>(result).state.params);
    }
  }
}

TEST(Store, RefusesAChangedJobNamingEachChange) {
  Fixture f = fresh_job("changed");
  { const Store store(f.job, f.tasks, Store::Role::coordinator); }
  // Statistics targets may grow.
  Fixture more = make_job("changed", "samples = 3500\nblock = 700\n",
                          "steps = 60\nbatch = 8\nreplicas = 3\neval_interval = 10\n");
  EXPECT_NO_THROW(Store(more.job, more.tasks, Store::Role::coordinator));
  // Anything else is refused, task by task, unless forced.
  Fixture other =
      make_job("changed", "samples = 3500\nblock = 700\n",
               "steps = 60\nbatch = 8\nreplicas = 3\neval_interval = 10\nlearning_rate = 0.1\n");
  try {
    Store(other.job, other.tasks, Store::Role::coordinator);
    ADD_FAILURE() << "a changed learning rate was accepted";
  } catch (const StoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("train_site_W3_L2_p0.400_nobias_relu: learning_rate: 0.050 -> 0.100"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("--force"), std::string::npos);
  }
  EXPECT_NO_THROW(Store(other.job, other.tasks, Store::Role::coordinator, true));
}

// A truncated unit file is reported and removed, and the unit counts as not done.
TEST(Store, TruncatedUnitFilesAreComputedAgain) {
  ReportingStore r("truncated");
  for (TaskKind kind : {TaskKind::thresholds, TaskKind::lattice}) {
    r.reports.clear();
    const std::size_t t = index_of(r.f.tasks, kind);
    r.store.save(t, 0, *run_unit({&r.f.job, &r.f.tasks[t], nullptr}, 0, {}));
    ASSERT_TRUE(r.store.complete(t, 0));
    const auto path = r.store.unit_path(t, 0);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    EXPECT_FALSE(r.store.complete(t, 0));
    EXPECT_FALSE(std::filesystem::exists(path));
    ASSERT_EQ(r.reports.size(), 1u);
    EXPECT_NE(r.reports[0].find(r.f.tasks[t].name), std::string::npos) << r.reports[0];
  }
}

// A block file with the right range but not one threshold per sample is reported on load and
// computed again.
TEST(Store, ThresholdBlocksOfTheWrongLengthAreComputedAgain) {
  ReportingStore r("length");
  const std::size_t thresholds = index_of(r.f.tasks, TaskKind::thresholds);
  const std::size_t lattice = index_of(r.f.tasks, TaskKind::lattice);
  r.store.save(thresholds, 0, ThresholdBlock{0, 700, std::vector<double>(699, 0.5), {}});
  r.store.save(lattice, 0, LatticeBlock{0, 700, std::vector<double>(701, 0.5)});
  for (std::size_t t : {thresholds, lattice}) {
    r.reports.clear();
    EXPECT_TRUE(r.store.complete(t, 0));  // the range, in the attributes, is right
    EXPECT_FALSE(r.store.load(t, 0)) << r.f.tasks[t].name;
    EXPECT_FALSE(std::filesystem::exists(r.store.unit_path(t, 0)));
    ASSERT_EQ(r.reports.size(), 1u);
    EXPECT_NE(r.reports[0].find("thresholds, not 700"), std::string::npos) << r.reports[0];
  }
}

// Impossible per-sample values (NaN, outside [0, 1], an undirected threshold below the directed
// one) and impossible estimates are reported on load and computed again, never merged.
TEST(Store, ImpossibleValuesAreComputedAgain) {
  ReportingStore r("impossible");
  const std::size_t thresholds = index_of(r.f.tasks, TaskKind::thresholds);
  const std::size_t lattice = index_of(r.f.tasks, TaskKind::lattice);
  const std::size_t percolation = index_of(r.f.tasks, TaskKind::percolation);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> half(700, 0.5), with_nan = half, negative = half, above = half;
  with_nan[3] = nan;
  negative[699] = -0.25;
  above[0] = 1.5;
  auto estimate =
      std::get<PercolationBlock>(*run_unit({&r.f.job, &r.f.tasks[percolation], nullptr}, 0, {}));
  estimate.estimate.directed_spans = 701;
  const std::vector<std::pair<std::size_t, UnitResult>> bad = {
      {thresholds, ThresholdBlock{0, 700, with_nan, {}}},
      {thresholds, ThresholdBlock{0, 700, half, negative}},
      {thresholds, ThresholdBlock{0, 700, above, {}}},
      {thresholds, ThresholdBlock{0, 700, std::vector<double>(700, 0.6), half}},
      {lattice, LatticeBlock{0, 700, with_nan}},
      {lattice, LatticeBlock{0, 700, above}},
      {percolation, estimate}};
  for (const auto& [t, result] : bad) {
    r.reports.clear();
    r.store.save(t, 0, result);
    EXPECT_FALSE(r.store.load(t, 0)) << r.f.tasks[t].name;
    EXPECT_FALSE(std::filesystem::exists(r.store.unit_path(t, 0)));
    EXPECT_EQ(r.reports.size(), 1u);
  }
}

// A flipped bit anywhere in a unit file's values is detected by its checksum: the unit is
// reported and computed again.
TEST(Store, FlippedBytesAreDetected) {
  ReportingStore r("flipped");
  const std::size_t t = index_of(r.f.tasks, TaskKind::lattice);
  r.store.save(t, 0, LatticeBlock{0, 700, std::vector<double>(700, 0.375)});
  ASSERT_TRUE(r.store.complete(t, 0));
  const auto path = r.store.unit_path(t, 0);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const double value = 0.375;
  const std::string pattern(reinterpret_cast<const char*>(&value), sizeof value);
  const auto at = bytes.find(pattern + pattern);  // inside the thresholds' data
  ASSERT_NE(at, std::string::npos);
  bytes[at + sizeof value + 3] ^= 0x10;  // still a probability: only the checksum can tell
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_FALSE(r.store.complete(t, 0));
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_EQ(r.reports.size(), 1u);
  EXPECT_NE(r.reports[0].find("checksum mismatch"), std::string::npos) << r.reports[0];
}

// A temporary file of a process of this host that is gone is removed when a run starts; those of
// live processes and of other hosts are left alone.
TEST(Store, RemovesTemporaryFilesOfDeadProcesses) {
  Fixture f = fresh_job("temporaries");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // gone
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const auto units = f.job.output / "units" / "some_task";
  std::filesystem::create_directories(units);
  const auto dead = units / ("0.h5.tmp." + std::string(host) + "." + std::to_string(child));
  const auto live = units / ("1.h5.tmp." + std::string(host) + "." + std::to_string(getpid()));
  const auto elsewhere = units / ("2.h5.tmp.elsewhere." + std::to_string(child));
  const auto merged =
      f.job.output / ("s.h5.tmp." + std::string(host) + "." + std::to_string(child));
  for (const auto& path : {dead, live, elsewhere, merged})
    std::ofstream(path) << "partial";
  std::vector<std::string> reports;
  const Store store(f.job, f.tasks, Store::Role::coordinator, false,
                    [&](const std::string& m) { reports.push_back(m); });
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_FALSE(std::filesystem::exists(merged));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(elsewhere));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("removed 2 temporary files"), std::string::npos) << reports[0];
}

// More samples change the last block's range: the full blocks stay done, the last one not.
TEST(Store, GrowingSamplesRedoesOnlyThePartialBlock) {
  Fixture f = fresh_job("grow");
  const std::vector<std::size_t> grown = {index_of(f.tasks, TaskKind::percolation),
                                          index_of(f.tasks, TaskKind::lattice)};
  {
    const Store store(f.job, f.tasks, Store::Role::coordinator);
    for (std::size_t t : grown) {
      for (std::int64_t u = 0; u < f.tasks[t].units; ++u)
        store.save(t, u, *run_unit({&f.job, &f.tasks[t], nullptr}, u, {}));
    }
  }
  Fixture more = make_job("grow", "samples = 3500\nblock = 700\n",
                          "steps = 30\nbatch = 8\nreplicas = 2\neval_interval = 10\n",
                          "models = [\"bond\"]\nsizes = [4]\nsamples = 3500\nblock = 700\n");
  const Store store(more.job, more.tasks, Store::Role::coordinator);
  for (std::size_t t : grown) {
    for (std::int64_t u = 0; u < 4; ++u)
      EXPECT_TRUE(store.complete(t, u)) << more.tasks[t].name << " " << u;
    EXPECT_FALSE(store.complete(t, 4)) << more.tasks[t].name;  // [2800, 3000) -> [2800, 3500)
  }
}

// A lattice task's samples and block may change; its q grid may not, unless forced.
TEST(Store, LatticeSettingsOtherThanSamplesAndBlockAreChanges) {
  const std::string training = "steps = 30\nbatch = 8\nreplicas = 2\neval_interval = 10\n";
  const std::string lattice = "models = [\"bond\"]\nsizes = [4]\n";
  Fixture f = fresh_job("lattice_changed");
  { const Store store(f.job, f.tasks, Store::Role::coordinator); }
  for (const std::string settings : {"samples = 9000\nblock = 700\n", "samples = 9000\n"}) {
    Fixture more =
        make_job("lattice_changed", "samples = 3000\nblock = 700\n", training, lattice + settings);
    EXPECT_NO_THROW(Store(more.job, more.tasks, Store::Role::coordinator)) << settings;
  }
  Fixture other = make_job("lattice_changed", "samples = 3000\nblock = 700\n", training,
                           lattice + "samples = 9000\nblock = 700\nq = [0.5]\n");
  try {
    Store(other.job, other.tasks, Store::Role::coordinator);
    ADD_FAILURE() << "accepted another q grid";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("lattice_bond_L4: q: 0.000, 0.010, "), std::string::npos)
        << e.what();
  }
}

// Raising samples with the default block (all samples in one unit, up to 10000) changes the
// block with the samples: allowed, and the unit whose samples changed is computed again.
TEST(Store, DefaultBlocksFollowTheSamples) {
  const std::string training = "steps = 30\nbatch = 8\nreplicas = 2\neval_interval = 10\n";
  Fixture f = make_job("default_block", "samples = 3000\n", training);
  std::filesystem::remove_all(f.job.output);
  const std::size_t t = index_of(f.tasks, TaskKind::percolation);
  {
    const Store store(f.job, f.tasks, Store::Role::coordinator);
    store.save(t, 0, *run_unit({&f.job, &f.tasks[t], nullptr}, 0, {}));
    EXPECT_TRUE(store.complete(t, 0));
  }
  Fixture more = make_job("default_block", "samples = 5000\n", training);
  const Store store(more.job, more.tasks, Store::Role::coordinator);
  EXPECT_FALSE(store.complete(t, 0));  // [0, 3000) is not [0, 5000)
}

// A task that leaves the job keeps its settings in the fingerprint: when it returns with other
// settings its old results are refused, not merged with the new ones.
TEST(Store, TasksThatLeftTheJobAreCheckedWhenTheyReturn) {
  auto job_with = [](const std::string& p, const std::string& eval_interval) {
    Fixture f;
    f.dir = std::filesystem::path(::testing::TempDir()) / "dropperc_store_returning";
    std::filesystem::create_directories(f.dir);
    std::ofstream(f.dir / "job.toml")
        << "[job]\nname = \"r\"\n[grid]\nmodels = [\"site\"]\nwidths = [3]\ndepths = [2]\n"
        << "p = [" << p << "]\n[training]\nsteps = 20\nbatch = 4\neval_interval = " << eval_interval
        << "\n[training.teacher]\nfeatures = 3\noutputs = 2\ntrain_size = 32\ntest_size = 8\n";
    f.job = parse_job(f.dir / "job.toml");
    f.tasks = expand(f.job);
    return f;
  };
  Fixture both = job_with("0.3, 0.5", "10");
  std::filesystem::remove_all(both.job.output);
  { const Store store(both.job, both.tasks, Store::Role::coordinator); }
  Fixture first = job_with("0.3", "10");
  EXPECT_NO_THROW(Store(first.job, first.tasks, Store::Role::coordinator));
  Fixture returning = job_with("0.5", "5");
  try {
    Store(returning.job, returning.tasks, Store::Role::coordinator);
    ADD_FAILURE() << "a returning task with another eval_interval was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("train_site_W3_L2_p0.500_nobias_relu: eval_interval: "
                                         "10 -> 5"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(check_directory(returning.job, returning.tasks).refused());
  EXPECT_NO_THROW(Store(returning.job, returning.tasks, Store::Role::coordinator, true));
  EXPECT_FALSE(check_directory(returning.job, returning.tasks).refused());
}

// A directory that holds another job's results is refused unless forced.
TEST(Store, RefusesTheDirectoryOfAnotherJob) {
  Fixture f = fresh_job("other_job");
  { const Store store(f.job, f.tasks, Store::Role::coordinator); }
  JobSpec other = f.job;
  other.name = "another";
  const DirectoryCheck check = check_directory(other, f.tasks);
  EXPECT_EQ(check.other_job, "s");
  EXPECT_TRUE(check.changes.empty());
  try {
    Store(other, f.tasks, Store::Role::coordinator);
    ADD_FAILURE() << "another job's directory was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("holds the results of job 's'"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(Store(other, f.tasks, Store::Role::coordinator, true));
  EXPECT_FALSE(check_directory(other, f.tasks).refused());  // taken over
}

// A replica resumes from its checkpoint; a completed replica continues when the job asks for
// more steps; saving a completed unit removes its checkpoint.
TEST(Store, ReplicasResumeFromCheckpointsOrShorterRuns) {
  Fixture f = fresh_job("resume");
  const std::size_t t = index_of(f.tasks, TaskKind::training);
  const DataSplit data = teacher_student(f.job.training->teacher, f.job.seed);
  const UnitContext context{&f.job, &f.tasks[t], &data};
  const Store store(f.job, f.tasks, Store::Role::coordinator);
  EXPECT_FALSE(store.resume_point(t, 0));
  UnitControl control;
  int polls = 0;
  control.stop = [&] { return ++polls == 12; };
  control.checkpoint = [&](const TrainingState<float>& s) { store.save_checkpoint(t, 0, s); };
  EXPECT_FALSE(run_unit(context, 0, control));
  auto resume = store.resume_point(t, 0);
  ASSERT_TRUE(resume);
  EXPECT_EQ(resume->step, 12);
  store.save(t, 0, *run_unit(context, 0, {}, resume));
  EXPECT_FALSE(std::filesystem::exists(store.checkpoint_path(t, 0)));
  EXPECT_TRUE(store.complete(t, 0));

  Fixture longer = make_job("resume", "samples = 3000\nblock = 700\n",
                            "steps = 45\nbatch = 8\nreplicas = 2\neval_interval = 10\n");
  const Store again(longer.job, longer.tasks, Store::Role::coordinator);
  EXPECT_FALSE(again.complete(t, 0));
  const auto continued = again.resume_point(t, 0);
  ASSERT_TRUE(continued);
  EXPECT_EQ(continued->step, 30);
}

}  // namespace
}  // namespace dropperc
