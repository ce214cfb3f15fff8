#include "task_names.hpp"

namespace dropperc {

namespace {

// "16", or a layered network's widths "512-256-128" with a run of equal widths as "64x3".
std::string widths_name(const GridShape& shape) {
  if (shape.width > 0) return std::to_string(shape.width);
  std::string s;
  const std::vector<int>& w = shape.layered;
  for (std::size_t k = 0; k < w.size();) {
    std::size_t run = 1;
    while (k + run < w.size() && w[k + run] == w[k])
      ++run;
    s += (k > 0 ? "-" : "") + std::to_string(w[k]) + (run > 1 ? "x" + std::to_string(run) : "");
    k += run;
  }
  return s;
}

// "" for the dense MLP; local layers "_K3", "_K3open", "_K3_2d", "_K3_2dC4" (C channels); then
// skips "_S2", or "_S2kept" when DropConnect may not drop them.
std::string topology_name(const Topology& t) {
  std::string s;
  if (t.connectivity == Connectivity::local) {
    s += "_K" + std::to_string(t.kernel) + (t.boundary == Boundary::open ? "open" : "");
    if (t.dimensions == 2) s += "_2d" + (t.channels > 1 ? "C" + std::to_string(t.channels) : "");
  }
  if (t.residual > 0) s += "_S" + std::to_string(t.residual) + (t.residual_dropout ? "" : "kept");
  return s;
}

// "sitebond_W16_L8" and the topology's name, then "_in<W_in>", "_out<W_out>" and "_pin<p_input>"
// when the grid sets them.
std::string shape_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                       const Topology& topology) {
  std::string s = std::string(model == DropoutModel::site_bond ? "sitebond" : name(model)) + "_W" +
                  widths_name(shape) + "_L" + std::to_string(shape.depth) + topology_name(topology);
  if (grid.input_width) s += "_in" + std::to_string(*grid.input_width);
  if (grid.output_width) s += "_out" + std::to_string(*grid.output_width);
  if (grid.input_dropout > 0.0) s += "_pin" + canonical_number(grid.input_dropout);
  return s;
}

}  // namespace

std::string percolation_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                                  const Topology& topology, double p) {
  return shape_name(grid, model, shape, topology) + "_p" + canonical_number(p);
}

std::string thresholds_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                                 const Topology& topology) {
  return shape_name(grid, model, shape, topology) + "_thresholds";
}

std::string training_task_name(const GridSpec& grid, DropoutModel model, const GridShape& shape,
                               const Topology& topology, double p, bool bias,
                               Activation activation) {
  return "train_" + percolation_task_name(grid, model, shape, topology, p) +
         (bias ? "_bias_" : "_nobias_") + std::string(name(activation));
}

std::string lattice_task_name(LatticeModel model, int size) {
  return "lattice_" + std::string(name(model)) + "_L" + std::to_string(size);
}

}  // namespace dropperc
