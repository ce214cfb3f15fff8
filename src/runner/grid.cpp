#include "grid.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dropperc {

namespace {

// Decimals beyond which a range is not decimal: its values are start + (stop - start) k / (num -
// 1).
constexpr int kMaxDecimals = 17;

// v in [0, 1] as a whole number of 10^-decimals, read from its shortest decimal (the one the
// user wrote); nullopt if that decimal has more than `decimals` places.
std::optional<std::int64_t> scaled(double v, int decimals) {
  if (!(v >= 0.0 && v <= 1.0)) return std::nullopt;
  char buffer[512];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed);
  if (error != std::errc{}) return std::nullopt;
  const std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (static_cast<int>(fraction.size()) > decimals) return std::nullopt;
  std::int64_t n = 0;
  for (char c : std::string(whole) + std::string(fraction) +
                    std::string(static_cast<std::size_t>(decimals) - fraction.size(), '0'))
    n = n * 10 + (c - '0');
  return n;
}

// The double nearest n x 10^-decimals, read from that decimal.
double from_scaled(std::int64_t n, int decimals) {
  const std::string text = std::to_string(n) + "e-" + std::to_string(decimals);
  double v = 0.0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

// A range is exact to its own resolution: with start and stop written with at most d decimals
// and a step (stop - start) / (num - 1) that is a whole number of 10^-d' for some d' >= d, the
// values are the decimals start + k step at d' places, each read as the double nearest it (so
// that { start = 0.1, stop = 0.9, num = 9 } gives the double 0.3, not 0.30000000000000004).
std::vector<double> evenly_spaced(double start, double stop, int num) {
  for (int d = 0; d <= kMaxDecimals; ++d) {
    const auto first = scaled(start, d);
    const auto last = scaled(stop, d);
    if (!first || !last || (*last - *first) % (num - 1) != 0) continue;
    const std::int64_t step = (*last - *first) / (num - 1);
    std::vector<double> values;
    for (int k = 0; k < num; ++k)
      values.push_back(from_scaled(*first + k * step, d));
    return values;
  }
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

bool same_value(const std::string& parameter, const std::string& a, const std::string& b) {
  if (parameter != "p") return a == b;
  double x = 0.0, y = 0.0;
  std::from_chars(a.data(), a.data() + a.size(), x);
  std::from_chars(b.data(), b.data() + b.size(), y);
  return std::abs(x - y) <= kSameP;
}

bool matches_any(const std::vector<PointRule>& rules, const PointValues& point) {
  return std::any_of(rules.begin(), rules.end(), [&](const PointRule& rule) {
    return std::all_of(rule.match.begin(), rule.match.end(), [&](const auto& kv) {
      const auto it = point.find(kv.first);
      return it != point.end() && same_value(kv.first, it->second, kv.second);
    });
  });
}

}  // namespace dropperc
