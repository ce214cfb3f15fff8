#pragma once
// The task kinds of a job (TaskKind, job.hpp), each in one file of its own under kinds/: what its
// units compute and cost, the settings that decide its results (its fingerprint entry), how a
// unit's result is saved to and loaded from a unit file, and how a task's units are merged into
// /tasks/<name>. The rest of the runner (unit.cpp, store.cpp, merge.cpp) calls these verbs
// through visit_kind(), the one place that dispatches on the kind.
//
// Adding a kind: an enumerator of TaskKind and its name (job.cpp), its result type in the
// UnitResult variant (unit.hpp), a struct below with every verb, a file kinds/<kind>.cpp that
// defines them, a case in visit_kind, and its dataset names in schema.hpp
// (docs/architecture.md).

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dropperc/io/h5.hpp"
#include "dropperc/runner/job.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc::kinds {

/// A task's settings as text (key -> value): everything that decides its results but the
/// statistics targets (samples, replicas, steps), which may grow between runs.
using Settings = std::map<std::string, std::string>;

/// A task's row of /summary: its parameters and headline results, NaN (or -1, "") where they do
/// not apply. The name and kind columns come from the task itself.
struct SummaryRow {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::string model, activation;
  std::int64_t width = 0, depth = -1, bias = -1;
  double p = kNaN;
  double theta = kNaN, theta_low = kNaN, theta_high = kNaN;
  double test_loss = kNaN, test_accuracy = kNaN, spanning_fraction = kNaN,
         zero_gradient_fraction = kNaN;
};

/// Every kind K has these verbs (static member functions), with K::Result its alternative of
/// UnitResult:
///   cost(job, task, index)          seconds of one core for unit `index` (unit_cost, unit.hpp)
///   memory(job, task)               bytes a unit of the task holds at once (unit_memory)
///   settings(job, task)             its fingerprint entry (store.hpp)
///   run(context, index, control, resume)  the unit's result, or nullopt if stopped (run_unit;
///                                   only training resumes)
///   complete(unit, job, task, index)  whether a unit file's root holds the unit as the job
///                                   now asks for it (attributes only; throws h5::Error)
///   save(unit, result)              writes the result under a unit file's root
///   load(unit, job, task, index)    reads it back, checked (throws h5::Error)
///   merge(group, timing, job, task, results)  writes /tasks/<name> from the units in order
///                                   and returns its summary row
#define DROPPERC_TASK_KIND_VERBS(ResultType)                                           \
  using Result = ResultType;                                                           \
  static double cost(const JobSpec& job, const Task& task, std::int64_t index);        \
  static double memory(const JobSpec& job, const Task& task);                          \
  static Settings settings(const JobSpec& job, const Task& task);                      \
  static std::optional<UnitResult> run(const UnitContext& context, std::int64_t index, \
                                       const UnitControl& control,                     \
                                       std::optional<TrainingState<float>> resume);    \
  static bool complete(const h5::Group& unit, const JobSpec& job, const Task& task,    \
                       std::int64_t index);                                            \
  static void save(h5::Group& unit, const Result& result);                             \
  static Result load(const h5::Group& unit, const JobSpec& job, const Task& task,      \
                     std::int64_t index);                                              \
  static SummaryRow merge(h5::Group& group, h5::Group& timing, const JobSpec& job,     \
                          const Task& task, const std::vector<Result>& results)

struct Percolation {  // kinds/percolation.cpp
  DROPPERC_TASK_KIND_VERBS(PercolationBlock);
};
struct Thresholds {  // kinds/thresholds.cpp
  DROPPERC_TASK_KIND_VERBS(ThresholdBlock);
};
struct Training {  // kinds/training.cpp
  DROPPERC_TASK_KIND_VERBS(TrainingReplica);
};
struct Lattice {  // kinds/lattice.cpp
  DROPPERC_TASK_KIND_VERBS(LatticeBlock);
};

#undef DROPPERC_TASK_KIND_VERBS

/// f(K{}) for the kind K of `kind`.
template <class F>
decltype(auto) visit_kind(TaskKind kind, F&& f) {
  switch (kind) {
    case TaskKind::percolation:
      return f(Percolation{});
    case TaskKind::thresholds:
      return f(Thresholds{});
    case TaskKind::training:
      return f(Training{});
    case TaskKind::lattice:
      return f(Lattice{});
  }
  throw std::logic_error("visit_kind: not a TaskKind");
}

}  // namespace dropperc::kinds
