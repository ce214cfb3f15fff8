#pragma once
// One work unit of a job: a block of percolation samples, a block of per-sample thresholds (of
// a network or a 2D lattice), or one trained replica (docs/architecture.md). A unit receives what
// it may use (the job, its task, the data) and owns nothing global; its randomness comes only from
// streams keyed by (job seed, task name, unit index), so its result does not depend on which rank
// ran it, when, or how often it was interrupted.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "dropperc/core/sampling.hpp"
#include "dropperc/runner/job.hpp"
#include "dropperc/training/training.hpp"

namespace dropperc {

/// Samples [first, last) of a percolation task: its estimate at the task's p.
struct PercolationBlock {
  std::int64_t first = 0;
  std::int64_t last = 0;
  PointEstimate estimate;
};

/// Samples [first, last) of a thresholds task: each sample's directed threshold p* (it spans
/// iff p < p*) and, when measured, its undirected threshold.
struct ThresholdBlock {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::vector<double> directed;
  std::vector<double> undirected;  ///< empty when the job does not measure undirected spanning
  /// [sample][depth] B_t at the job's survival depths (sampling.hpp); empty without them.
  std::vector<double> survival = {};
};

/// Samples [first, last) of a lattice task: each sample's occupation threshold q* (it spans iff
/// q > q*, lattice.hpp). A type of its own, not a ThresholdBlock: the direction is the opposite
/// of the dropout thresholds p* (spans iff p < p*), so the two must never be mixed up.
struct LatticeBlock {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::vector<double> thresholds;
};

/// One trained replica, complete.
struct TrainingReplica {
  TrainingState<float> state;
};

using UnitResult = std::variant<PercolationBlock, ThresholdBlock, TrainingReplica, LatticeBlock>;

/// What a unit may use. `data` is needed by training units only.
struct UnitContext {
  const JobSpec* job = nullptr;
  const Task* task = nullptr;
  const DataSplit* data = nullptr;
};

/// How a unit is stopped and saved. Every unit asks `stop` as it goes and gives up once it
/// returns true: a training replica after every step (and checkpoints first), a block of samples
/// between samples, at most about every 10 ms (StopCheck), so that a stop is acted on within one
/// sample. A training replica also calls `checkpoint` every `interval` seconds of `clock`.
struct UnitControl {
  std::function<bool()> stop = [] { return false; };
  std::function<void(const TrainingState<float>&)> checkpoint = [](const TrainingState<float>&) {};
  std::function<double()> clock;
  double interval = 60.0;
};

/// The training configuration of replica `index` of a training task.
TrainingConfig replica_config(const JobSpec& job, const Task& task, const DataSplit& data,
                              std::int64_t index);

/// Runs unit `index` of the context's task, from `resume` if given (training only); returns
/// nullopt if it was stopped before completing (after checkpointing).
std::optional<UnitResult> run_unit(const UnitContext& context, std::int64_t index,
                                   const UnitControl& control,
                                   std::optional<TrainingState<float>> resume = std::nullopt);

/// Estimated cost of unit `index` in seconds of one core of the development machine, good to a
/// factor of about 2: what largest-first scheduling and the remaining-time estimates use. Each
/// kind's model is fitted to the per-unit times that bench/scheduling.sh prints
/// (docs/performance.md, "Scheduling").
double unit_cost(const JobSpec& job, const Task& task, std::int64_t index);
/// Estimated bytes one unit of `task` holds at once (its largest unit; core/budget.hpp).
double unit_memory(const JobSpec& job, const Task& task);

/// Slice `index` of `count` (0 <= index < count): a disjoint share of a job's work units, for
/// independent allocations writing into one output directory (dropperc run --slice).
struct Slice {
  std::int64_t index = 0;
  std::int64_t count = 1;
};

/// owners[t][u]: the slice that computes unit u of task t. Units go, largest estimated cost
/// first (ties in task, then unit order), to the slice with the least estimated cost so far
/// (ties to the lowest index), so the slices' estimated costs differ by at most one unit's. A
/// function of the job alone: every slice computes the same partition, whatever is done already.
std::vector<std::vector<std::int64_t>> slice_owners(const JobSpec& job,
                                                    const std::vector<Task>& tasks,
                                                    std::int64_t count);

}  // namespace dropperc
