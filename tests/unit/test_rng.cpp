#include <cmath>
#include <numeric>
#include <vector>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <gtest/gtest.h>

#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

std::vector<double> uniforms(const StreamKey& key, int n) {
  RandomStream rng(key);
  std::vector<double> u(n);
  for (double& x : u)
    x = rng.uniform();
  return u;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b, int lag) {
  const int n = static_cast<int>(a.size()) - lag;
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; ++i) {
    sa += a[i], sb += b[i + lag], sab += a[i] * b[i + lag];
    saa += a[i] * a[i], sbb += b[i + lag] * b[i + lag];
  }
  const double cov = sab / n - (sa / n) * (sb / n);
  return cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
}

TEST(Rng, SameKeyGivesSameStream) {
  const StreamKey key{42, 7, 3, 1};
  RandomStream a(key), b(key);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(a.next(), b.next());
}

TEST(Rng, SeekReproducesSequentialDraws) {
  RandomStream sequential({1, 2, 3, 4});
  std::vector<std::uint64_t> words(64);
  for (auto& w : words)
    w = sequential.next();
  for (std::uint64_t position : {0u, 1u, 3u, 4u, 5u, 17u, 63u}) {
    RandomStream jumped({1, 2, 3, 4});
    jumped.seek(position);
    EXPECT_EQ(jumped.position(), position);
    EXPECT_EQ(jumped.next(), words[position]) << "position " << position;
    EXPECT_EQ(jumped.position(), position + 1);
  }
}

// Changing any one field of the key gives a stream uncorrelated with the original (at lags 0
// and 1) and itself uniform: |r| < 4 / sqrt(n) and the mean within 4 sigma of 1/2.
TEST(Rng, DistinctKeysGiveIndependentStreams) {
  const int n = 200000;
  const StreamKey base{1, 0, 0, 0};
  const auto reference = uniforms(base, n);
  for (StreamKey other : {StreamKey{2, 0, 0, 0}, StreamKey{1, 1, 0, 0}, StreamKey{1, 0, 1, 0},
                          StreamKey{1, 0, 0, 1}}) {
    const auto u = uniforms(other, n);
    EXPECT_LT(std::abs(correlation(reference, u, 0)), 4.0 / std::sqrt(n));
    EXPECT_LT(std::abs(correlation(reference, u, 1)), 4.0 / std::sqrt(n));
    double mean = 0;
    for (double x : u)
      mean += x / n;
    EXPECT_LT(std::abs(mean - 0.5), 4.0 * std::sqrt(1.0 / 12 / n));
  }
}

TEST(Rng, UniformLiesInOpenIntervalAndIsSymmetric) {
  EXPECT_EQ(to_uniform(0), 0x1p-53);
  EXPECT_EQ(to_uniform(~std::uint64_t{0}), 1.0 - 0x1p-53);
  RandomStream rng({5, 5, 5, 5});
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t x = rng.next();
    ASSERT_EQ(to_uniform(~x), 1.0 - to_uniform(x));
  }
}

// The integer keep rule equals "u > p" for every word, including p on a cell midpoint, just
// beside one, at 0 and 1, and far below the grid.
TEST(Rng, KeepThresholdEqualsUniformComparison) {
  std::vector<double> ps = {0.0, 1.0, 0.5, 0.25, 1e-300, 0x1p-53, 0x1p-52, 1.0 - 0x1p-53, 0.3, 0.7};
  for (std::uint64_t m : {0ull, 1ull, 12345ull, (1ull << 51), (1ull << 52) - 1}) {
    const double midpoint = (static_cast<double>(m) + 0.5) * 0x1p-52;
    ps.insert(ps.end(), {midpoint, std::nextafter(midpoint, 0.0), std::nextafter(midpoint, 1.0)});
  }
  RandomStream rng({9, 9, 9, 9});
  for (double p : ps) {
    const KeepThreshold keep(p);
    const std::uint64_t k = keep.cells_dropped();
    for (std::uint64_t cell : {k, k - 1, k + 1, std::uint64_t{0}, (std::uint64_t{1} << 52) - 1}) {
      if (cell >= (std::uint64_t{1} << 52)) continue;
      const std::uint64_t x = (cell << 12) | 0xabc;
      ASSERT_EQ(keep.keep(x), to_uniform(x) > p) << "p = " << p << ", cell " << cell;
    }
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t x = rng.next();
      ASSERT_EQ(keep.keep(x), to_uniform(x) > p) << "p = " << p;
    }
  }
}

// For p = 1/2, 3/4 and 1/4 the bit-sliced comparison needs one or two words: a lane is kept iff
// its cell index m >= k(p), i.e. iff its leading bits are 1 (p = 1/2), 11 (p = 3/4), or not 00
// (p = 1/4).
TEST(Rng, Draw64ReadsCellIndicesMostSignificantBitFirst) {
  for (std::uint64_t s = 0; s < 100; ++s) {
    RandomStream words({21, s, 0, 0});
    const std::uint64_t w1 = words.next(), w2 = words.next();
    RandomStream a({21, s, 0, 0}), b({21, s, 0, 0}), c({21, s, 0, 0});
    EXPECT_EQ(KeepThreshold(0.5).draw_64(a), w1);
    EXPECT_EQ(a.position(), 1u);
    EXPECT_EQ(KeepThreshold(0.75).draw_64(b), w1 & w2);
    EXPECT_EQ(KeepThreshold(0.25).draw_64(c), w1 | w2);
  }
  RandomStream rng({22, 0, 0, 0});
  EXPECT_EQ(KeepThreshold(0.0).draw_64(rng), ~std::uint64_t{0});
  EXPECT_EQ(KeepThreshold(1.0).draw_64(rng), 0u);
}

// Each lane is kept with probability 1 - p, lanes are uncorrelated, and a draw costs about
// log2(64) + 2 words. Moderate p: every lane within 4 sigma; extreme p (rare events): the total
// over all lanes within the exact binomial tails of probability 3.2e-5 each (the 4 sigma level).
TEST(Rng, Draw64KeepsEachLaneWithItsProbability) {
  for (double p : {0.1, 0.3, 0.5, 0.9, 1e-6, 0.999999}) {
    const KeepThreshold keep(p);
    RandomStream rng({23, 0, 0, 0});
    const int draws = 20000;
    std::vector<int> kept(64, 0);
    int both = 0;
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t word = keep.draw_64(rng);
      for (int l = 0; l < 64; ++l)
        kept[l] += (word >> l) & 1u;
      both += (word & 1u) && ((word >> 37) & 1u);
    }
    const double q = 1 - p;
    if (std::min(p, q) * draws >= 100) {
      const double sigma = std::sqrt(draws * p * q);
      for (int l = 0; l < 64; ++l)
        EXPECT_NEAR(kept[l], draws * q, 4 * sigma) << "p " << p << " lane " << l;
      EXPECT_NEAR(both, draws * q * q, 4 * std::sqrt(draws * q * q * (1 - q * q))) << "p " << p;
    } else {
      const int total = std::accumulate(kept.begin(), kept.end(), 0);
      const boost::math::binomial_distribution<> law(64.0 * draws, q);
      EXPECT_GT(boost::math::cdf(law, total), 3.2e-5) << "p " << p << ": " << total;
      EXPECT_GT(boost::math::cdf(boost::math::complement(law, total - 1)), 3.2e-5) << "p " << p;
    }
    if (p == 0.3) {
      EXPECT_LT(static_cast<double>(rng.position()) / draws, 10.0);
    }
  }
}

TEST(Rng, BernoulliFrequencyMatchesP) {
  const int n = 200000;
  for (double p : {0.0, 0.1, 0.5, 0.9, 0.999, 1.0}) {
    const KeepThreshold keep(p);
    RandomStream rng({3, 1, 4, 1});
    int dropped = 0;
    for (int i = 0; i < n; ++i)
      dropped += !keep.keep(rng.next());
    EXPECT_LE(std::abs(dropped - n * p), 4.0 * std::sqrt(n * p * (1 - p)) + 1e-9) << "p = " << p;
  }
}

// Pearson's chi-square of observed against expected counts, bins pooled from the left until
// each expects at least 10; returns the statistic's upper tail probability.
double chi_square_tail(const std::vector<int>& observed, const std::vector<double>& expected) {
  double statistic = 0, pooled_observed = 0, pooled_expected = 0;
  int bins = 0;
  for (std::size_t k = 0; k < observed.size(); ++k) {
    pooled_observed += observed[k];
    pooled_expected += expected[k];
    if (pooled_expected >= 10 || k + 1 == observed.size()) {
      statistic += std::pow(pooled_observed - pooled_expected, 2) / pooled_expected;
      pooled_observed = pooled_expected = 0;
      ++bins;
    }
  }
  if (bins < 2) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(bins - 1), statistic));
}

// The draws follow the exact pmf (Boost.Math): chi-square tail probability above 6.3e-5, the
// two-sided 4 sigma level. Small and large n, both sides of 1/2, a success probability of
// 1 - 1e-20 and an n whose pmf(0) underflows.
TEST(Rng, BinomialMatchesExactDistribution) {
  struct Case {
    int n;
    double success;
    double failure;
    int draws;
  };
  for (Case c : {Case{10, 0.3, 0.7, 100000}, Case{64, 0.5, 0.5, 100000}, Case{64, 0.9, 0.1, 100000},
                 Case{2000, 0.5, 0.5, 20000}}) {
    RandomStream rng({11, static_cast<std::uint64_t>(c.n), 0, 0});
    std::vector<int> counts(c.n + 1, 0);
    for (int i = 0; i < c.draws; ++i)
      ++counts[draw_binomial(rng, c.n, c.success, c.failure)];
    const boost::math::binomial_distribution<> exact(c.n, c.success);
    std::vector<double> expected(c.n + 1);
    for (int k = 0; k <= c.n; ++k)
      expected[k] = c.draws * boost::math::pdf(exact, k);
    EXPECT_GT(chi_square_tail(counts, expected), 6.3e-5) << "n = " << c.n << ", p = " << c.success;
  }
  // Degenerate and near-degenerate cases are exact.
  RandomStream rng({12, 0, 0, 0});
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(draw_binomial(rng, 64, 1.0 - 1e-20, 1e-20), 64);
    ASSERT_EQ(draw_binomial(rng, 7, 0.0, 1.0), 0);
    ASSERT_EQ(draw_binomial(rng, 7, 1.0, 0.0), 7);
    ASSERT_EQ(draw_binomial(rng, 0, 0.5, 0.5), 0);
  }
}

// Every value below n equally often (chi-square), including n that are not powers of two and
// n close to 2^64, where rejection matters.
TEST(Rng, DrawBelowIsUniform) {
  for (std::uint64_t n : {1ull, 2ull, 3ull, 7ull, 10ull, 1000ull}) {
    RandomStream rng({13, n, 0, 0});
    std::vector<int> counts(n, 0);
    const int draws = static_cast<int>(2000 * n);
    for (int i = 0; i < draws; ++i) {
      const auto k = draw_below(rng, n);
      ASSERT_LT(k, n);
      ++counts[k];
    }
    EXPECT_GT(chi_square_tail(counts, std::vector<double>(n, 2000.0)), 6.3e-5) << "n = " << n;
  }
  RandomStream rng({14, 0, 0, 0});
  const std::uint64_t huge = (std::uint64_t{1} << 63) + 12345;
  int upper = 0;
  for (int i = 0; i < 10000; ++i)
    upper += draw_below(rng, huge) >= huge / 2;
  EXPECT_NEAR(upper, 5000, 4 * 50);
}

TEST(Rng, NormalHasUnitVarianceAndNoSkew) {
  RandomStream rng({2, 7, 1, 9});
  const int n = 200000;
  double sum = 0, squares = 0, cubes = 0;
  for (int i = 0; i < n; ++i) {
    const double z = draw_normal(rng);
    sum += z, squares += z * z, cubes += z * z * z;
  }
  EXPECT_LT(std::abs(sum / n), 4.0 / std::sqrt(n));
  EXPECT_LT(std::abs(squares / n - 1.0), 4.0 * std::sqrt(2.0 / n));  // Var(z^2) = 2
  EXPECT_LT(std::abs(cubes / n), 4.0 * std::sqrt(15.0 / n));         // Var(z^3) = 15
}

TEST(Rng, StreamDomainsDoNotOverlap) {
  EXPECT_NE(stream_id(StreamDomain::sampling, 5), stream_id(StreamDomain::training_masks, 5));
  EXPECT_EQ(stream_id(StreamDomain::data, 3) >> 48, 6u);
  EXPECT_EQ(stream_id(StreamDomain::data, 3) & 0xffff, 3u);
}

TEST(Rng, ExponentialHasUnitMeanAndVariance) {
  RandomStream rng({2, 7, 1, 8});
  const int n = 200000;
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    const double e = draw_exponential(rng);
    sum += e;
    squares += e * e;
  }
  EXPECT_LT(std::abs(sum / n - 1.0), 4.0 / std::sqrt(n));             // sd of Exp(1) is 1
  EXPECT_LT(std::abs(squares / n - 2.0), 4.0 * std::sqrt(20.0 / n));  // Var(E^2) = 24 - 4
}

}  // namespace
}  // namespace dropperc
