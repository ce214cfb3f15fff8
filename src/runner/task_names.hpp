#pragma once
// Task names (private to the runner), built from parameter values alone, so that adding a value
// to the grid adds tasks and never renames another (docs/job-file.md, "Tasks and their names").

#include <string>

#include "grid.hpp"

#include "dropperc/runner/job.hpp"

namespace dropperc {

/// "bond_W16_L8_p0.5"; a layered network "bond_W512-256-128_L3_p0.5" (a run of equal widths
/// as "64x3"); a topology other than the dense MLP after the depth, "bond_W64_L100_K2_p0.35"
/// (local, kernel 2), "..._K3open_2dC4" (open boundaries, 2-D, 4 channels), "..._S2" (skips
/// every 2 layers; "S2kept" if not droppable); then "_in<W_in>", "_out<W_out>" and
/// "_pin<p_input>" when the grid sets them. The dense MLP's names are those of old jobs.
std::string percolation_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                                  const Topology& topology, double p);
/// "bond_W16_L8_thresholds".
std::string thresholds_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                                 const Topology& topology);
/// "train_bond_W16_L8_p0.5_nobias_relu".
std::string training_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                               const Topology& topology, double p, bool bias,
                               Activation activation);
/// "lattice_bond_L64".
std::string lattice_task_name(LatticeModel model, int size);

}  // namespace dropperc
