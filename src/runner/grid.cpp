#include "grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

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

GridValues grid_values(const GridSpec& g) {
  GridValues values;
  values.models.insert(g.models.begin(), g.models.end());
  values.widths.insert(g.widths.begin(), g.widths.end());
  for (int w : g.widths) {
    for (const GridValue& l : depths_at(g, w))
      values.depths.insert(static_cast<int>(l.value));
    for (const GridValue& p : p_at(g, w))
      values.p.push_back(p.value);
  }
  std::sort(values.p.begin(), values.p.end());
  values.biases.insert(g.biases.begin(), g.biases.end());
  values.activations.insert(g.activations.begin(), g.activations.end());
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
         agrees(rule.bias, point.bias) && agrees(rule.activation, point.activation);
}

}  // namespace

bool matches_any(const std::vector<PointRule>& rules, const GridPoint& point) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const PointRule& rule) { return matches(rule, point); });
}

}  // namespace dropperc
