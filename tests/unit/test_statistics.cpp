#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/core/rng.hpp"
#include "dropperc/core/statistics.hpp"

namespace dropperc {
namespace {

TEST(Statistics, ClopperPearsonKnownValues) {
  // k = 0 and k = n have closed forms: high = 1 - (alpha/2)^(1/n), low = (alpha/2)^(1/n).
  const Interval none = clopper_pearson(0, 10);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 1 - std::pow(0.025, 0.1), 1e-12);
  const Interval all = clopper_pearson(10, 10);
  EXPECT_NEAR(all.low, std::pow(0.025, 0.1), 1e-12);
  EXPECT_EQ(all.high, 1.0);
  // Symmetric case, reference values from R's binom.test(5, 10).
  const Interval half = clopper_pearson(5, 10);
  EXPECT_NEAR(half.low, 0.1870860, 1e-7);
  EXPECT_NEAR(half.high, 0.8129140, 1e-7);
}

// The exact interval is conservative: over 4000 repetitions its coverage is at least 95%,
// within 4 sigma of the binomial count of covering repetitions.
TEST(Statistics, ClopperPearsonCoversAtLeastItsConfidence) {
  const int repetitions = 4000, n = 40;
  for (double theta : {0.03, 0.5, 0.93}) {
    const KeepThreshold keep(1.0 - theta);  // "kept" with probability theta
    int covered = 0;
    for (int r = 0; r < repetitions; ++r) {
      RandomStream rng({17, 0, static_cast<std::uint64_t>(r), 0});
      int successes = 0;
      for (int i = 0; i < n; ++i)
        successes += keep.keep(rng.next());
      const Interval ci = clopper_pearson(successes, n);
      covered += ci.low <= theta && theta <= ci.high;
    }
    const double sigma = std::sqrt(0.95 * 0.05 / repetitions);
    EXPECT_GE(static_cast<double>(covered) / repetitions, 0.95 - 4 * sigma) << "theta " << theta;
  }
}

TEST(Statistics, MeanAccumulatorMatchesTwoPassFormulas) {
  RandomStream rng({1, 1, 1, 1});
  std::vector<double> x(1000);
  for (double& v : x)
    v = 1e6 + rng.uniform();  // a large offset tests the numerical stability
  MeanAccumulator acc;
  for (double v : x)
    acc.add(v);
  double mean = 0, var = 0;
  for (double v : x)
    mean += v / x.size();
  for (double v : x)
    var += (v - mean) * (v - mean) / (x.size() - 1);
  EXPECT_EQ(acc.count(), 1000);
  EXPECT_NEAR(acc.mean(), mean, 1e-9);
  EXPECT_NEAR(acc.variance() / var, 1.0, 1e-9);
  EXPECT_NEAR(acc.standard_error(), std::sqrt(var / 1000), 1e-12);
}

TEST(Statistics, MergedBlocksEqualOneAccumulator) {
  RandomStream rng({2, 2, 2, 2});
  MeanAccumulator whole, first, second, empty;
  for (int i = 0; i < 300; ++i) {
    const double v = rng.uniform();
    whole.add(v);
    (i < 120 ? first : second).add(v);
  }
  first.merge(second);
  first.merge(empty);
  EXPECT_EQ(first.count(), whole.count());
  EXPECT_NEAR(first.mean(), whole.mean(), 1e-14);
  EXPECT_NEAR(first.variance(), whole.variance(), 1e-14);
  empty.merge(whole);
  EXPECT_EQ(empty.mean(), whole.mean());
}

// The standard error must describe the real spread of means: over R = 2000 repetitions the
// standard deviation of the means matches the average standard error within 4 times the
// relative error of a standard deviation estimate, 1 / sqrt(2 (R - 1)).
TEST(Statistics, StandardErrorMatchesObservedSpread) {
  const int repetitions = 2000, n = 50;
  MeanAccumulator means, errors;
  for (int r = 0; r < repetitions; ++r) {
    RandomStream rng({3, 0, static_cast<std::uint64_t>(r), 0});
    MeanAccumulator acc;
    for (int i = 0; i < n; ++i)
      acc.add(draw_exponential(rng));
    means.add(acc.mean());
    errors.add(acc.standard_error());
  }
  const double spread = std::sqrt(means.variance());
  EXPECT_NEAR(errors.mean() / spread, 1.0, 4.0 / std::sqrt(2.0 * (repetitions - 1)));
}

}  // namespace
}  // namespace dropperc
