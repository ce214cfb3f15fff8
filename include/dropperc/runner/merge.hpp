#pragma once
// Gathers a job's completed units into one self-describing file, <output>/<name>.h5
// (docs/hdf5-layout.md). Units are combined in unit order, so the result is a pure function of
// the job file: the same whatever the number of ranks, the order of work or the restarts.
// Measured times go only into groups named "timing"; run facts (start, end, ranks, revision) only
// into /job.

#include <filesystem>
#include <string>

#include "dropperc/runner/store.hpp"

namespace dropperc {

struct RunInfo {
  std::string started;   ///< ISO 8601, UTC
  std::string finished;  ///< ISO 8601, UTC
  int ranks = 1;
};

/// Writes <output>/<name>.h5 atomically and returns its path. Throws StoreError naming the first
/// incomplete units if any unit has no complete result.
std::filesystem::path merge_job(const Store& store, const JobSpec& job, const RunInfo& info);

}  // namespace dropperc
