#pragma once
// Runs a job's units over the ranks of MPI_COMM_WORLD: the only module that uses MPI (its
// header does not include it).
//
// Rank 0 coordinates: it hands out the units that are not complete, largest estimated cost
// first, one at a time to workers that ask, and waits by polling with short sleeps so that it
// leaves its core to the workers. Workers write their unit files and checkpoints themselves
// (distinct files, atomically). With one rank, that rank runs every unit without the protocol.
// When every unit is complete, rank 0 merges. A sliced run computes its slice's units only
// (slice_owners in unit.hpp) and never merges: several sliced runs, in independent allocations,
// may share one output directory, and `dropperc merge` gathers them once all are complete.
//
// Stops: a SIGTERM, SIGUSR1 or SIGINT (handlers installed by install_stop_handlers, before MPI
// starts) or the walltime makes every rank finish or checkpoint its current unit and return
// RunOutcome::stopped: the run can be resumed by running it again.

#include <functional>
#include <optional>
#include <string>

#include "dropperc/runner/job.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc {

enum class RunOutcome {
  complete,  ///< every unit done (of the slice, if sliced), results merged (unless sliced)
  stopped,   ///< stopped on a signal or the walltime; running again resumes
};

struct RunOptions {
  bool force = false;               ///< discard results of tasks whose settings changed
  std::optional<Slice> slice;       ///< compute this share of the units only, do not merge
  std::optional<double> walltime;   ///< seconds from the start (overrides the job file's)
  std::optional<double> end_time;   ///< Unix time the allocation ends (SLURM_JOB_END_TIME)
  double walltime_margin = 120.0;   ///< stop this long before end_time
  double progress_interval = 10.0;  ///< seconds between progress lines
  std::function<void(const std::string&)> log;  ///< progress and reports, rank 0 only
};

/// Installs handlers that turn SIGTERM, SIGUSR1 and SIGINT into a stop request. Call before MPI
/// starts (a signal during MPI start-up would otherwise kill the rank).
void install_stop_handlers();
bool stop_requested();

/// Called by every rank. Throws JobError/StoreError (bad input: nothing was computed) on every
/// rank alike; any other failure on one rank aborts all ranks.
RunOutcome run_job(const JobSpec& job, const RunOptions& options);

}  // namespace dropperc
