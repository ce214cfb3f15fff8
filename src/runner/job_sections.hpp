#pragma once
// The section parsers of job files (private to the runner). Each reads one section of the
// parsed TOML file `file` and throws JobError naming the key of a bad value.

#include <filesystem>
#include <string>

#include <toml++/toml.h>

#include "dropperc/runner/job.hpp"

namespace dropperc {

/// [job]: name, seed and output (relative to the directory of job.file, which must be set).
void read_job_section(const toml::table& root, JobSpec& job);
/// [grid] of the root table.
GridSpec read_grid(const toml::table& root, const std::string& file);
PercolationSpec read_percolation(const toml::table& section, const std::string& file);
LatticeSpec read_lattice(const toml::table& section, const std::string& file);
/// [training] and [training.teacher]; a data set (relative to `directory`) is read now and gives
/// the teacher's input_width and outputs. `only` rules are checked against `grid`.
TrainingSpec read_training(const toml::table& section, const GridSpec& grid,
                           const std::filesystem::path& directory, const std::string& file);
/// [run], or its defaults without one (`section` null).
RunSpec read_run(const toml::table* section, const std::string& file);

}  // namespace dropperc
