#include "dropperc/core/exact_range.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
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

}  // namespace dropperc
