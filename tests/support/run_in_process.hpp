#pragma once
// A whole job run in the test's own process, without MPI: every unit computed and saved in
// order, then merged, as `dropperc run` on one rank would (minus scheduling and signals).

#include <filesystem>

#include "dropperc/runner/job.hpp"

namespace dropperc {

/// Runs every unit of `job` into its output directory and returns the merged file.
std::filesystem::path run_in_process(const JobSpec& job);

}  // namespace dropperc
