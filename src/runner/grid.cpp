#include "grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

namespace dropperc {

std::vector<GridValue> depths_at(const GridSpec& grid, int width) {
  std::vector<GridValue> values;
  if (!grid.depth_law) {
    for (int l : grid.depths)
      values.push_back({static_cast<double>(l)});
    return values;
  }
  for (double a : grid.depth_law->scales) {
    const double l = std::round(a * std::pow(static_cast<double>(width), grid.depth_law->power));
    values.push_back({std::max(1.0, std::min(l, 1e9)), a});
  }
  return values;
}

std::vector<GridValue> p_at(const GridSpec& grid, int width) {
  std::vector<GridValue> values;
  if (!grid.keep_law) {
    for (double p : grid.p)
      values.push_back({p});
    return values;
  }
  for (double c : grid.keep_law->scales)
    values.push_back({1.0 - c * std::pow(static_cast<double>(width), grid.keep_law->power), c});
  std::sort(values.begin(), values.end(),
            [](const GridValue& a, const GridValue& b) { return a.value < b.value; });
  return values;
}

std::vector<int> taper_widths(Taper taper, int first, int last, int depth) {
  std::vector<int> widths;
  for (int k = 0; k < depth; ++k) {
    const double t = depth == 1 ? 0.0 : static_cast<double>(k) / (depth - 1);
    const double a = first, b = last;
    const double w = taper == Taper::geometric ? a * std::pow(b / a, t) : a + (b - a) * t;
    widths.push_back(static_cast<int>(std::lround(w)));
  }
  return widths;
}

Architecture GridShape::architecture(std::optional<int> inputs, std::optional<int> outputs) const {
  if (width > 0) return {inputs.value_or(width), width, depth, outputs.value_or(width)};
  return Architecture::layered(inputs.value_or(layered.front()), layered,
                               outputs.value_or(layered.back()));
}

std::int64_t network_shapes(const GridSpec& g) {
  const auto depths =
      static_cast<std::int64_t>(g.depth_law ? g.depth_law->scales.size() : g.depths.size());
  return static_cast<std::int64_t>(g.widths.size()) * depths +
         static_cast<std::int64_t>(g.layered.size());
}

std::string networks_text(const GridSpec& g) {
  const auto depths = g.depth_law ? g.depth_law->scales.size() : g.depths.size();
  std::string parts;
  if (!g.widths.empty())
    parts = std::to_string(g.widths.size()) + " widths x " + std::to_string(depths) + " depths";
  if (!g.layered.empty())
    parts += (parts.empty() ? "" : " + ") + std::to_string(g.layered.size()) + " listed";
  return std::to_string(network_shapes(g)) + " (" + parts + ")";
}

std::vector<GridShape> shapes(const GridSpec& grid) {
  std::vector<GridShape> all;
  for (int w : grid.widths) {
    for (const GridValue& l : depths_at(grid, w))
      all.push_back({w, {}, static_cast<int>(l.value), l.scale});
  }
  for (const std::vector<int>& hidden : grid.layered) {
    const auto depth = static_cast<int>(hidden.size());
    if (std::adjacent_find(hidden.begin(), hidden.end(), std::not_equal_to<>()) == hidden.end()) {
      all.push_back({hidden.front(), {}, depth});  // equal widths: the uniform network
    } else {
      all.push_back({0, hidden, depth});
    }
  }
  return all;
}

GridValues grid_values(const GridSpec& g) {
  GridValues values;
  values.models.insert(g.models.begin(), g.models.end());
  values.widths.insert(g.widths.begin(), g.widths.end());
  for (const GridShape& shape : shapes(g)) {
    values.depths.insert(shape.depth);
    for (const GridValue& p : p_at(g, shape.width))
      values.p.push_back(p.value);
  }
  std::sort(values.p.begin(), values.p.end());
  values.biases.insert(g.biases.begin(), g.biases.end());
  values.activations.insert(g.activations.begin(), g.activations.end());
  for (const Topology& t : g.topologies) {
    if (t.connectivity == Connectivity::local) values.kernels.insert(t.kernel);
    values.residuals.insert(t.residual);
  }
  return values;
}

bool GridValues::has_p(double value) const {
  const auto above = std::lower_bound(p.begin(), p.end(), value - kSameP);
  return above != p.end() && *above <= value + kSameP;
}

namespace {

// Whether a rule leaves a parameter free or gives the point's value of it; a parameter the point
// lacks (p at a thresholds task) matches no value.
template <class T, class Same = std::equal_to<T>>
bool agrees(const std::optional<T>& rule, const std::optional<T>& point, Same same = {}) {
  return !rule || (point && same(*rule, *point));
}

bool matches(const PointRule& rule, const GridPoint& point) {
  return agrees(rule.model, std::optional(point.model)) &&
         agrees(rule.width, std::optional(point.width)) &&
         agrees(rule.depth, std::optional(point.depth)) &&
         agrees(rule.p, point.p, [](double a, double b) { return std::abs(a - b) <= kSameP; }) &&
         agrees(rule.bias, point.bias) && agrees(rule.activation, point.activation) &&
         agrees(rule.kernel, point.kernel) && agrees(rule.residual, std::optional(point.residual));
}

}  // namespace

bool matches_any(const std::vector<PointRule>& rules, const GridPoint& point) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const PointRule& rule) { return matches(rule, point); });
}

}  // namespace dropperc
