#include "dropperc/analysis/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "dropperc/core/rng.hpp"

namespace dropperc {

namespace {

std::vector<double> finite_values(const std::vector<std::vector<double>>& resamples,
                                  std::size_t k) {
  std::vector<double> values;
  for (const auto& r : resamples) {
    if (k < r.size() && std::isfinite(r[k])) values.push_back(r[k]);
  }
  return values;
}

// Type-7 quantile (linear between order statistics) of sorted values.
double sorted_quantile(const std::vector<double>& sorted, double probability) {
  const double position = probability * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

}  // namespace

double Bootstrap::error(std::size_t k) const {
  const std::vector<double> values = finite_values(resamples, k);
  if (values.size() < 2) return std::nan("");
  const double mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  double squares = 0.0;
  for (double v : values)
    squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

Interval Bootstrap::interval(std::size_t k, double level) const {
  std::vector<double> values = finite_values(resamples, k);
  if (values.empty()) return {std::nan(""), std::nan("")};
  std::sort(values.begin(), values.end());
  const double tail = (1.0 - level) / 2.0;
  return {sorted_quantile(values, tail), sorted_quantile(values, 1.0 - tail)};
}

std::size_t Bootstrap::failures(std::size_t k) const {
  return resamples.size() - finite_values(resamples, k).size();
}

Bootstrap bootstrap(const std::vector<std::size_t>& group_sizes, int resamples, std::uint64_t seed,
                    std::uint64_t stream, const Estimator& estimator) {
  if (resamples < 0) throw std::invalid_argument("bootstrap: negative number of resamples");
  Resample indices(group_sizes.size());
  for (std::size_t g = 0; g < group_sizes.size(); ++g) {
    indices[g].resize(group_sizes[g]);
    std::iota(indices[g].begin(), indices[g].end(), std::size_t{0});
  }
  Bootstrap result;
  result.estimate = estimator(indices);
  result.resamples.reserve(static_cast<std::size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    for (std::size_t g = 0; g < group_sizes.size(); ++g) {
      RandomStream rng(
          {seed, stream_id(StreamDomain::bootstrap, stream), static_cast<std::uint64_t>(r), g});
      for (std::size_t& i : indices[g])
        i = static_cast<std::size_t>(draw_below(rng, group_sizes[g]));
    }
    result.resamples.push_back(estimator(indices));
  }
  return result;
}

}  // namespace dropperc
