#pragma once
// Grid expansion (private to the runner): ranges of probabilities, and the point rules (skip,
// only) that pick grid points by their values. depths_at and p_at (the laws) are public
// (job.hpp).

#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dropperc/core/exact_range.hpp"
#include "dropperc/runner/job.hpp"

namespace dropperc {

/// A network shape of the grid: a uniform width at one of its depths (with the scale of the depth
/// law that gave it), or a layered network's hidden widths.
struct GridShape {
  int width = 0;  ///< 0: layered
  std::vector<int> layered;
  int depth = 0;
  double depth_scale = std::numeric_limits<double>::quiet_NaN();
  /// The network with this hidden part; W_in and W_out default to the first and last hidden
  /// widths.
  Architecture architecture(std::optional<int> inputs, std::optional<int> outputs) const;
};
/// The number of the grid's shapes, counted without making them.
std::int64_t network_shapes(const GridSpec& grid);
/// How many networks the grid has and how: "10000 (100 widths x 100 depths)", with "+ 3 listed"
/// for the layered ones.
std::string networks_text(const GridSpec& grid);
/// The grid's shapes, in order: each uniform width at each of its depths, then the layered ones.
std::vector<GridShape> shapes(const GridSpec& grid);

/// A grid point as point rules see it: p is absent at a thresholds task, bias and activation
/// outside training.
struct GridPoint {
  DropoutModel model = DropoutModel::site;
  int width = 0, depth = 0;  ///< width 0: a layered network, which no width rule matches
  std::optional<double> p;
  std::optional<bool> bias;
  std::optional<Activation> activation;
  std::optional<int> kernel;  ///< local networks only
  int residual = 0;
};

/// Drop probabilities closer than this are one value to point rules: a rule's p matches a grid p
/// computed by a law or a range however the user rounded it (to 9 decimals or more), and the
/// grid refuses two p values this close (a rule could not tell them apart).
inline constexpr double kSameP = 1e-9;

/// Whether one of the rules matches the point: every value the rule gives equals the point's.
bool matches_any(const std::vector<PointRule>& rules, const GridPoint& point);

/// Every value each grid parameter takes, to check that a rule's values are on the grid.
struct GridValues {
  std::set<DropoutModel> models;
  std::set<int> widths, depths;
  std::vector<double> p;  ///< ascending
  std::set<bool> biases;
  std::set<Activation> activations;
  std::set<int> kernels, residuals;
  /// Whether the grid has a p within kSameP of `value`.
  bool has_p(double value) const;
};
GridValues grid_values(const GridSpec& grid);

}  // namespace dropperc
