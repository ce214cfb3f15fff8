#include "task_names.hpp"

namespace dropperc {

namespace {

// "sitebond_W16_L8", then "_in<W_in>" and "_out<W_out>" when the grid sets them.
std::string shape_name(const GridSpec& grid, DropoutModel model, int width, int depth) {
  std::string s = std::string(model == DropoutModel::site_bond ? "sitebond" : name(model)) + "_W" +
                  std::to_string(width) + "_L" + std::to_string(depth);
  if (grid.input_width) s += "_in" + std::to_string(*grid.input_width);
  if (grid.output_width) s += "_out" + std::to_string(*grid.output_width);
  return s;
}

}  // namespace

std::string percolation_task_name(const GridSpec& grid, DropoutModel model, int width, int depth,
                                  double p) {
  return shape_name(grid, model, width, depth) + "_p" + canonical_number(p);
}

std::string thresholds_task_name(const GridSpec& grid, DropoutModel model, int width, int depth) {
  return shape_name(grid, model, width, depth) + "_thresholds";
}

std::string training_task_name(const GridSpec& grid, DropoutModel model, int width, int depth,
                               double p, bool bias, Activation activation) {
  return "train_" + percolation_task_name(grid, model, width, depth, p) +
         (bias ? "_bias_" : "_nobias_") + std::string(name(activation));
}

std::string lattice_task_name(LatticeModel model, int size) {
  return "lattice_" + std::string(name(model)) + "_L" + std::to_string(size);
}

}  // namespace dropperc
