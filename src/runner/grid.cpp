#include "grid.hpp"

#include <algorithm>
#include <cmath>

namespace dropperc {

std::vector<double> evenly_spaced(double start, double stop, int num) {
  std::vector<double> values;
  for (int k = 0; k < num; ++k)
    values.push_back(k + 1 == num ? stop : start + (stop - start) * k / (num - 1));
  return values;
}

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

std::map<std::string, std::set<std::string>> grid_values(const GridSpec& g) {
  std::map<std::string, std::set<std::string>> values;
  for (DropoutModel m : g.models)
    values["model"].insert(std::string(name(m)));
  for (int w : g.widths)
    values["width"].insert(std::to_string(w));
  for (int w : g.widths) {
    for (const GridValue& l : depths_at(g, w))
      values["depth"].insert(std::to_string(static_cast<int>(l.value)));
    for (const GridValue& p : p_at(g, w))
      values["p"].insert(canonical_number(p.value));
  }
  for (bool b : g.biases)
    values["bias"].insert(b ? "true" : "false");
  for (Activation a : g.activations)
    values["activation"].insert(std::string(name(a)));
  return values;
}

bool matches_any(const std::vector<PointRule>& rules, const PointValues& point) {
  return std::any_of(rules.begin(), rules.end(), [&](const PointRule& rule) {
    return std::all_of(rule.match.begin(), rule.match.end(), [&](const auto& kv) {
      const auto it = point.find(kv.first);
      return it != point.end() && it->second == kv.second;
    });
  });
}

}  // namespace dropperc
