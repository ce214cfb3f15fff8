#include <cmath>

#include <gtest/gtest.h>

#include "dropperc/core/fast_sampler.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/statistics.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc {
namespace {

constexpr int kSamples = 40000;

// Exact variance of the extinction depth D from P(D >= d) = s_{d-1}, d = 1..L+1:
// E[D^2] = sum_d (2d - 1) P(D >= d).
double extinction_depth_variance(const ReachableChain& chain) {
  double second = 0.0;
  for (std::size_t d = 1; d < chain.survival.size(); ++d)
    second += (2.0 * d - 1) * chain.survival[d - 1];
  return second - chain.expected_extinction_depth * chain.expected_extinction_depth;
}
const std::vector<double> kGrid = {0.1, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9};

// The fraction of samples with p* > p against exact theta(p), each within 4 sigma; and the
// mean extinction depth from the per-layer thresholds against the chain's, within 4 sigma.
void expect_thresholds_follow_theory(const Architecture& arch, DropoutModel model) {
  std::vector<int> spans(kGrid.size(), 0);
  std::vector<MeanAccumulator> depth(kGrid.size());
  for (std::uint64_t s = 0; s < kSamples; ++s) {
    RandomStream rng({21, 0, s, 0});
    const ExtinctionThresholds t = model == DropoutModel::site ? fast_site_thresholds(arch, rng)
                                                               : fast_bond_thresholds(arch, rng);
    ASSERT_EQ(t.alive.size(), static_cast<std::size_t>(arch.depth()));
    for (std::size_t k = 0; k < kGrid.size(); ++k) {
      spans[k] += kGrid[k] < t.directed;
      depth[k].add(1 + std::count_if(t.alive.begin(), t.alive.end(),
                                     [&](double a) { return a > kGrid[k]; }));
    }
  }
  for (std::size_t k = 0; k < kGrid.size(); ++k) {
    const Dropout d = Dropout::of(model, kGrid[k]);
    const double theta = spanning_probability(arch, d).theta;
    const double sigma = std::sqrt(theta * (1 - theta) / kSamples);
    EXPECT_NEAR(static_cast<double>(spans[k]) / kSamples, theta, 4 * sigma + 1e-12)
        << name(model) << " p = " << kGrid[k];
    const ReachableChain chain = reachable_chain(arch, d);
    EXPECT_NEAR(depth[k].mean(), chain.expected_extinction_depth,
                4 * std::sqrt(extinction_depth_variance(chain) / kSamples) + 1e-12)
        << name(model) << " p = " << kGrid[k];
  }
}

TEST(FastSampler, SiteThresholdFollowsTheory) {
  expect_thresholds_follow_theory({3, 4, 6, 1}, DropoutModel::site);
  expect_thresholds_follow_theory({1, 2, 20, 5}, DropoutModel::site);
}

TEST(FastSampler, BondThresholdFollowsTheory) {
  expect_thresholds_follow_theory({1, 4, 6, 1}, DropoutModel::bond);
  expect_thresholds_follow_theory({5, 3, 12, 2}, DropoutModel::bond);
  expect_thresholds_follow_theory({2, 7, 3, 9}, DropoutModel::bond);
}

// The O(L W) sampler against the O(L W^2) bottleneck search on explicit uniforms: two
// independent samples of p*, whose means agree within 4 combined standard errors.
TEST(FastSampler, BondThresholdAgreesWithExplicitSearch) {
  const Architecture arch{3, 6, 8, 2};
  MeanAccumulator fast, explicit_search;
  for (std::uint64_t s = 0; s < kSamples; ++s) {
    RandomStream a({22, 0, s, 0}), b({22, 1, s, 0});
    fast.add(fast_bond_threshold(arch, a));
    explicit_search.add(directed_threshold(arch, DropoutModel::bond, b));
  }
  const double sigma = std::hypot(fast.standard_error(), explicit_search.standard_error());
  EXPECT_NEAR(fast.mean(), explicit_search.mean(), 4 * sigma);
}

TEST(FastSampler, ScalarBondThresholdEqualsFullOne) {
  const Architecture arch{4, 5, 7, 3};
  for (std::uint64_t s = 0; s < 100; ++s) {
    RandomStream a({23, 0, s, 0}), b({23, 0, s, 0});
    EXPECT_EQ(fast_bond_threshold(arch, a), fast_bond_thresholds(arch, b).directed);
  }
}

// E[N_k] from the Binomial chain against the exact profile, layer by layer, within 4 sigma,
// for every model (site+bond with distinct probabilities) and W_in != W != W_out.
TEST(FastSampler, ChainMatchesExactReachableProfile) {
  const Architecture arch{3, 5, 6, 2};
  for (Dropout d : {Dropout::of(DropoutModel::site, 0.5), Dropout::of(DropoutModel::bond, 0.7),
                    Dropout{DropoutModel::site_bond, 0.3, 0.6}}) {
    std::vector<MeanAccumulator> reachable(arch.layers());
    int spans = 0;
    for (std::uint64_t s = 0; s < kSamples; ++s) {
      RandomStream rng({24, 0, s, 0});
      const auto n = sample_reachable_chain(arch, d, rng);
      for (int k = 0; k < arch.layers(); ++k)
        reachable[k].add(n[k]);
      spans += n.back() > 0;
    }
    const ReachableChain exact = reachable_chain(arch, d);
    for (int k = 0; k < arch.layers(); ++k) {
      EXPECT_NEAR(reachable[k].mean(), exact.expected_reachable[k],
                  4 * reachable[k].standard_error() + 1e-12)
          << name(d.model) << " layer " << k;
    }
    const double theta = exact.spanning.theta;
    EXPECT_NEAR(static_cast<double>(spans) / kSamples, theta,
                4 * std::sqrt(theta * (1 - theta) / kSamples));
  }
}

}  // namespace
}  // namespace dropperc
