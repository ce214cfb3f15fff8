#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "dropperc/core/lattice.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc {
namespace {

// A file per test: ctest runs the tests of this suite concurrently.
JobSpec small_job(const std::string& extra = "") {
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  const auto path =
      std::filesystem::path(::testing::TempDir()) / ("dropperc_unit_job_" + test + ".toml");
  std::ofstream(path) << R"([job]
name = "unit"
seed = 11
[grid]
models = ["bond"]
widths = [3]
depths = [4]
p = [0.6]
[percolation]
samples = 3000
block = 700
thresholds = true
[training]
steps = 30
batch = 8
replicas = 2
eval_interval = 10
[training.teacher]
features = 5
outputs = 3
train_size = 200
test_size = 50
)" << extra;
  return parse_job(path);
}

// small_job with 1000 samples of site and bond lattices of one size: lattice tasks last.
JobSpec lattice_job(int size, int block) {
  return small_job("[lattice]\nmodels = [\"site\", \"bond\"]\nsizes = [" + std::to_string(size) +
                   "]\nsamples = 1000\nblock = " + std::to_string(block) + "\n");
}

const Task& task_of(const std::vector<Task>& tasks, TaskKind kind) {
  return *std::find_if(tasks.begin(), tasks.end(), [&](const Task& t) { return t.kind == kind; });
}

// Stored results depend on these values: they must never change. The references were computed
// independently (FNV-1a 64 in Python, folded: (h ^ h >> 46) mod 2^46).
TEST(Unit, NameStreamsAreStable) {
  EXPECT_EQ(name_stream("bond_W16_L8_p0.500"), 26896734378538u);
  EXPECT_EQ(name_stream("train_site_W2_L3_p0.300_nobias_relu#1"), 33016597708437u);
  EXPECT_NE(name_stream("bond_W16_L8_p0.500"), name_stream("bond_W16_L8_p0.501"));
  EXPECT_LT(name_stream("anything"), std::uint64_t{1} << 46);
}

// The blocks of a percolation task, merged in order, give the counts of one run over all its
// samples; the last block is the remainder.
TEST(Unit, PercolationBlocksMergeIntoOneRun) {
  const JobSpec job = small_job();
  const auto tasks = expand(job);
  const Task& task = task_of(tasks, TaskKind::percolation);
  ASSERT_EQ(task.units, 5);
  std::vector<PointEstimate> merged;
  for (std::int64_t u = 0; u < task.units; ++u) {
    auto block = std::get<PercolationBlock>(*run_unit({&job, &task, nullptr}, u, {}));
    EXPECT_EQ(block.first, 700 * u);
    EXPECT_EQ(block.last, u == 4 ? 3000 : 700 * (u + 1));
    if (u == 0)
      merged = {block.estimate};
    else
      merge_estimates(merged, {block.estimate});
  }
  SamplingPlan plan{task.arch,
                    ScanLine::of(task.model),
                    {task.p},
                    job.percolation->method,
                    job.percolation->samples,
                    job.seed,
                    name_stream(task.name),
                    true};
  const PointEstimate whole = run_sampling(plan).front();
  EXPECT_EQ(merged[0].samples, 3000);
  EXPECT_EQ(merged[0].directed_spans, whole.directed_spans);
  EXPECT_EQ(merged[0].undirected_spans, whole.undirected_spans);
}

TEST(Unit, ThresholdBlocksFollowTheory) {
  const JobSpec job = small_job();
  const auto tasks = expand(job);
  const Task& task = task_of(tasks, TaskKind::thresholds);
  std::vector<double> directed;
  for (std::int64_t u = 0; u < task.units; ++u) {
    const auto block = std::get<ThresholdBlock>(*run_unit({&job, &task, nullptr}, u, {}));
    EXPECT_EQ(block.directed.size(), block.undirected.size());
    for (std::size_t k = 0; k < block.directed.size(); ++k)
      EXPECT_LE(block.directed[k], block.undirected[k]);
    directed.insert(directed.end(), block.directed.begin(), block.directed.end());
  }
  ASSERT_EQ(directed.size(), 3000u);
  for (double p : {0.4, 0.6, 0.8}) {
    const double theta = spanning_probability(task.arch, Dropout::of(task.model, p)).theta;
    const double spans = static_cast<double>(
        std::count_if(directed.begin(), directed.end(), [&](double t) { return p < t; }));
    EXPECT_NEAR(spans / 3000, theta, 4 * std::sqrt(theta * (1 - theta) / 3000)) << "p = " << p;
  }
}

// A stop requested while a block of samples runs ends it between samples, unsaved: every block
// kind gives up (nullopt) instead of finishing the block.
TEST(Unit, BlocksStopWhenAsked) {
  const JobSpec job = small_job();
  const JobSpec lattice = lattice_job(6, 300);
  UnitControl control;
  int asked = 0;
  control.stop = [&] { return ++asked > 0; };
  for (TaskKind kind : {TaskKind::percolation, TaskKind::thresholds}) {
    const auto tasks = expand(job);
    EXPECT_FALSE(run_unit({&job, &task_of(tasks, kind), nullptr}, 0, control)) << name(kind);
  }
  const auto tasks = expand(lattice);
  EXPECT_FALSE(run_unit({&lattice, &tasks.back(), nullptr}, 0, control));
  EXPECT_EQ(asked, 3);
}

// The blocks of a lattice task, in order, are one run of spanning_thresholds over all samples,
// keyed by the job's seed and the task's name.
TEST(Unit, LatticeBlocksReproduceOneRun) {
  const JobSpec job = lattice_job(6, 300);
  const auto tasks = expand(job);
  const Task& task = tasks.back();
  ASSERT_EQ(task.name, "lattice_bond_L6");
  ASSERT_EQ(task.units, 4);
  std::vector<double> thresholds;
  for (std::int64_t u = 0; u < task.units; ++u) {
    const auto block = std::get<LatticeBlock>(*run_unit({&job, &task, nullptr}, u, {}));
    EXPECT_EQ(block.first, 300 * u);
    EXPECT_EQ(block.last, u == 3 ? 1000 : 300 * (u + 1));
    thresholds.insert(thresholds.end(), block.thresholds.begin(), block.thresholds.end());
  }
  EXPECT_EQ(thresholds,
            spanning_thresholds(LatticeModel::bond, 6, job.seed, name_stream(task.name), 0, 1000));
}

// A replica stopped mid-run checkpoints; resumed from that checkpoint it ends exactly where an
// uninterrupted replica ends. Checkpoints also come every `interval` of the (fake) clock.
TEST(Unit, TrainingReplicaStopsAndResumesExactly) {
  const JobSpec job = small_job();
  const auto tasks = expand(job);
  const Task& task = task_of(tasks, TaskKind::training);
  const DataSplit data = teacher_student(job.training->teacher, job.seed);
  const UnitContext context{&job, &task, &data};
  const auto whole = std::get<TrainingReplica>(*run_unit(context, 1, {}));
  EXPECT_EQ(whole.state.step, 30);

  int polls = 0, checkpoints = 0;
  double now = 0.0;
  std::optional<TrainingState<float>> saved;
  UnitControl control;
  control.clock = [&] { return now += 1.0; };  // one "second" per look at the clock
  control.interval = 5.0;
  control.stop = [&] { return ++polls == 17; };
  control.checkpoint = [&](const TrainingState<float>& s) {
    ++checkpoints;
    saved = s;
  };
  EXPECT_FALSE(run_unit(context, 1, control).has_value());
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->step, 17);
  EXPECT_GE(checkpoints, 3);  // periodic ones before the stop
  const auto resumed = std::get<TrainingReplica>(*run_unit(context, 1, {}, saved));
  EXPECT_TRUE(resumed.state.params == whole.state.params);
  EXPECT_EQ(resumed.state.steps.size(), whole.state.steps.size());
  // Replicas differ from each other.
  const auto other = std::get<TrainingReplica>(*run_unit(context, 0, {}));
  EXPECT_FALSE(other.state.params == whole.state.params);
}

TEST(Unit, CostsGrowWithTheWork) {
  const JobSpec job = small_job();
  const auto tasks = expand(job);
  const Task& perc = task_of(tasks, TaskKind::percolation);
  EXPECT_GT(unit_cost(job, perc, 0), unit_cost(job, perc, 4));  // a full block vs the remainder
  Task wider = perc;
  wider.arch = Architecture::uniform(30, 4);
  EXPECT_GT(unit_cost(job, wider, 0), 50 * unit_cost(job, perc, 0));
  EXPECT_GT(unit_cost(job, task_of(tasks, TaskKind::training), 0), 0.0);
}

// The fast method's thresholds cost O(W L) per sample, not O(W^2 L): 20 ns per bond-model unit.
TEST(Unit, FastThresholdsCostPerUnitNotPerEdge) {
  JobSpec job = small_job();
  job.percolation->method = Method::fast;
  job.percolation->undirected = false;
  Task thresholds = task_of(expand(job), TaskKind::thresholds);
  thresholds.arch = Architecture::uniform(256, 8);
  EXPECT_DOUBLE_EQ(unit_cost(job, thresholds, 0), 700 * 20e-9 * thresholds.arch.units());
}

// Lattice units: about 25 ns per bond or 30 ns per site, per sample.
TEST(Unit, LatticeCostsFollowTheElements) {
  const JobSpec job = lattice_job(64, 400);
  const auto tasks = expand(job);
  const Task& site = tasks[tasks.size() - 2];
  const Task& bond = tasks.back();
  EXPECT_DOUBLE_EQ(unit_cost(job, site, 0), 400 * 30e-9 * 64 * 64);
  EXPECT_DOUBLE_EQ(unit_cost(job, bond, 0), 400 * 25e-9 * (64 * 64 + 63 * 63));
  EXPECT_DOUBLE_EQ(unit_cost(job, bond, 2), unit_cost(job, bond, 0) / 2);  // 200 samples left
}

// Slices share out every unit exactly once, the same way every time, and their estimated costs
// differ by at most one unit's cost (the greedy largest-first bound).
TEST(Unit, SlicesPartitionTheUnitsEvenly) {
  const JobSpec job = lattice_job(32, 100);
  const auto tasks = expand(job);
  for (std::int64_t count : {1, 2, 3, 7, 1000}) {
    const auto owners = slice_owners(job, tasks, count);
    EXPECT_EQ(owners, slice_owners(job, tasks, count));
    ASSERT_EQ(owners.size(), tasks.size());
    std::vector<double> load(static_cast<std::size_t>(count), 0.0);
    double largest = 0.0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      ASSERT_EQ(owners[t].size(), static_cast<std::size_t>(tasks[t].units));
      for (std::int64_t u = 0; u < tasks[t].units; ++u) {
        const std::int64_t slice = owners[t][static_cast<std::size_t>(u)];
        ASSERT_GE(slice, 0);
        ASSERT_LT(slice, count);
        const double cost = unit_cost(job, tasks[t], u);
        load[static_cast<std::size_t>(slice)] += cost;
        largest = std::max(largest, cost);
      }
    }
    const auto [low, high] = std::minmax_element(load.begin(), load.end());
    EXPECT_LE(*high - *low, largest * (1 + 1e-12)) << count << " slices";
    if (count <= 7) {
      EXPECT_GT(*low, 0.0) << count << " slices: one is empty";
    }
  }
}

}  // namespace
}  // namespace dropperc
