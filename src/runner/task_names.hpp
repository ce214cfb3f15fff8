#pragma once
// Task names (private to the runner), built from parameter values alone, so that adding a value
// to the grid adds tasks and never renames another (docs/job-file.md, "Tasks and their names").

#include <string>

#include "dropperc/runner/job.hpp"

namespace dropperc {

/// "bond_W16_L8_p0.500".
std::string percolation_task_name(const GridSpec& grid, DropoutModel model, int width, int depth,
                                  double p);
/// "bond_W16_L8_thresholds".
std::string thresholds_task_name(const GridSpec& grid, DropoutModel model, int width, int depth);
/// "train_bond_W16_L8_p0.500_nobias_relu".
std::string training_task_name(const GridSpec& grid, DropoutModel model, int width, int depth,
                               double p, bool bias, Activation activation);
/// "lattice_bond_L64".
std::string lattice_task_name(LatticeModel model, int size);

}  // namespace dropperc
