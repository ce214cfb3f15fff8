// The bootstrap: reproducible resamples, errors that match known sampling variances, and
// intervals with their nominal coverage.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/fss.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

std::vector<double> uniforms(std::uint64_t seed, std::uint64_t sample, std::size_t n) {
  RandomStream rng({seed, 1, sample, 0});
  std::vector<double> u(n);
  for (double& x : u)
    x = rng.uniform();
  return u;
}

Estimator mean_of(const std::vector<double>& data) {
  return [&data](const Resample& r) {
    double sum = 0.0;
    for (std::size_t i : r[0])
      sum += data[i];
    return std::vector<double>{sum / static_cast<double>(r[0].size())};
  };
}

TEST(Bootstrap, EstimateUsesTheDataAndResamplesAreReproducible) {
  const std::vector<double> data = uniforms(1, 0, 100);
  const Bootstrap a = bootstrap({data.size()}, 50, 7, 3, mean_of(data));
  const Bootstrap b = bootstrap({data.size()}, 50, 7, 3, mean_of(data));
  const Bootstrap other = bootstrap({data.size()}, 50, 8, 3, mean_of(data));
  EXPECT_EQ(a.estimate[0], std::accumulate(data.begin(), data.end(), 0.0) / 100);
  EXPECT_EQ(a.resamples, b.resamples);
  EXPECT_NE(a.resamples, other.resamples);
  ASSERT_EQ(a.resamples.size(), 50u);
}

// The bootstrap error of a mean of n uniforms estimates sqrt(1/12/n). With B resamples its
// relative standard error is about 1/sqrt(2B) (plus the data's own spread of its sample
// variance, relative 0.9/sqrt(n) for uniforms): a 4 sigma band from both.
TEST(Bootstrap, ErrorOfAMeanMatchesItsStandardError) {
  const std::size_t n = 400;
  const int resamples = 2000;
  const std::vector<double> data = uniforms(2, 0, n);
  const Bootstrap b = bootstrap({n}, resamples, 11, 0, mean_of(data));
  const double expected = std::sqrt(1.0 / 12.0 / static_cast<double>(n));
  const double relative = std::sqrt(1.0 / (2.0 * resamples) + 0.8 / static_cast<double>(n) / 4.0);
  EXPECT_NEAR(b.error(0) / expected, 1.0, 4 * relative);
  const Interval ci = b.interval(0);
  EXPECT_LT(ci.low, b.estimate[0]);
  EXPECT_GT(ci.high, b.estimate[0]);
}

TEST(Bootstrap, GroupsAreResampledIndependentlyAndFailuresCounted) {
  const Bootstrap b = bootstrap({3, 5}, 20, 1, 0, [](const Resample& r) {
    EXPECT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].size(), 3u);
    EXPECT_EQ(r[1].size(), 5u);
    for (std::size_t i : r[0])
      EXPECT_LT(i, 3u);
    for (std::size_t i : r[1])
      EXPECT_LT(i, 5u);
    // Undefined when every unit of group 0 is the same one.
    const bool degenerate =
        std::all_of(r[0].begin(), r[0].end(), [&](auto i) { return i == r[0][0]; });
    return std::vector<double>{degenerate ? std::nan("") : 1.0};
  });
  std::size_t degenerate = 0;
  for (const auto& r : b.resamples)
    degenerate += std::isnan(r[0]);
  EXPECT_EQ(b.failures(0), degenerate);
}

// Coverage: in 200 synthetic repetitions (p* drawn from a logistic distribution with known
// median 0.4), the 95 % percentile interval of the median p_half must contain 0.4 in at least
// 90 % of them. With true coverage 95 % the count is Binomial(200, 0.95): mean 190, sd 3.1.
TEST(Bootstrap, PercentileIntervalsOfPHalfCoverTheTruth) {
  const double truth = 0.4, scale = 0.05;
  int covered = 0;
  for (std::uint64_t repetition = 0; repetition < 200; ++repetition) {
    std::vector<double> thresholds = uniforms(3, repetition, 400);
    for (double& u : thresholds)
      u = truth + scale * std::log(u / (1 - u));
    const Bootstrap b = bootstrap({thresholds.size()}, 200, 5, repetition, [&](const Resample& r) {
      std::vector<double> chosen;
      for (std::size_t i : r[0])
        chosen.push_back(thresholds[i]);
      return std::vector<double>{summarize_thresholds(chosen).p_half};
    });
    const Interval ci = b.interval(0);
    covered += ci.low <= truth && truth <= ci.high;
  }
  EXPECT_GE(covered, 180) << covered << " of 200 intervals cover the truth";
}

}  // namespace
}  // namespace dropperc
