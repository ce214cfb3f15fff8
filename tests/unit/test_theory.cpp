#include <cmath>
#include <stdexcept>

#include "support/exact_enumeration.hpp"
#include <gtest/gtest.h>

#include "dropperc/core/theory.hpp"

namespace dropperc {
namespace {

using testing::enumerate_masks;

double theta(const Architecture& arch, DropoutModel model, double p) {
  return spanning_probability(arch, Dropout::of(model, p)).theta;
}

// The table of ../shared/design/theory.md §6 (our docs/theory.md §9).
TEST(Theory, ReproducesOracleTable) {
  EXPECT_NEAR(theta({3, 3, 5, 3}, DropoutModel::bond, 0.5), 0.9124, 5e-5);
  EXPECT_NEAR(theta({3, 3, 5, 3}, DropoutModel::site, 0.5), 0.5129, 5e-5);
  EXPECT_NEAR(theta({1, 4, 6, 1}, DropoutModel::bond, 0.75), 0.10151244249530, 1e-13);
  EXPECT_NEAR(theta({1, 4, 6, 1}, DropoutModel::site, 0.75), 0.10204424111260, 1e-13);
  EXPECT_NEAR(theta({10, 5, 100, 10}, DropoutModel::bond, 0.5), 0.99970352462585, 1e-13);
  EXPECT_NEAR(theta({10, 5, 100, 10}, DropoutModel::site, 0.5), 0.04179954471660, 1e-13);
}

struct TinyCase {
  Architecture arch;
  Dropout dropout;
};

// Tiny networks (at most 16 random elements) with W_in != W != W_out for every model.
std::vector<TinyCase> tiny_cases() {
  return {{{2, 3, 3, 1}, Dropout::of(DropoutModel::site, 0.45)},
          {{1, 2, 3, 3}, Dropout::of(DropoutModel::site, 0.8)},
          {{1, 2, 2, 2}, Dropout::of(DropoutModel::bond, 0.55)},
          {{2, 2, 3, 1}, Dropout::of(DropoutModel::bond, 0.3)},
          {{3, 2, 1, 2}, Dropout::of(DropoutModel::bond, 0.7)},
          {{1, 2, 2, 1}, Dropout{DropoutModel::site_bond, 0.3, 0.5}},
          {{2, 2, 2, 1}, Dropout{DropoutModel::site_bond, 0.6, 0.2}},
          // per-layer widths
          {Architecture::layered(2, {3, 1, 4}, 1), Dropout::of(DropoutModel::site, 0.55)},
          {Architecture::layered(1, {3, 2}, 2), Dropout::of(DropoutModel::bond, 0.5)},
          {Architecture::layered(2, {1, 3, 1}, 1), Dropout::of(DropoutModel::bond, 0.35)},
          {Architecture::layered(1, {2, 1, 2}, 1), Dropout{DropoutModel::site_bond, 0.4, 0.3}},
          // input dropout
          {{3, 2, 2, 1}, Dropout{DropoutModel::site, 0.5, 0.0, 0.4}},
          {{2, 2, 2, 2}, Dropout{DropoutModel::bond, 0.0, 0.45, 0.3}},
          {Architecture::layered(3, {2, 1}, 1), Dropout{DropoutModel::site_bond, 0.3, 0.4, 0.6}},
          // per-layer drop probabilities
          {{2, 2, 3, 1}, Dropout{DropoutModel::site, 0.0, 0.0, 0.0, {0.2, 0.7, 0.45}}},
          {Architecture::layered(1, {2, 3}, 2),
           Dropout{DropoutModel::bond, 0.0, 0.0, 0.0, {}, {0.1, 0.6, 0.35}}},
          {Architecture::layered(2, {2, 1}, 1),
           Dropout{DropoutModel::site_bond, 0.0, 0.0, 0.25, {0.5, 0.3}, {0.4, 0.2, 0.6}}},
          {{2, 2, 2, 2}, Dropout{DropoutModel::site, 0.0, 0.0, 0.3, {1.0, 0.2}}}};
}

// Theory equals the probability-weighted sum over every mask to 1e-12.
TEST(Theory, EqualsExactEnumeration) {
  for (const TinyCase& c : tiny_cases()) {
    const auto exact = enumerate_masks(c.arch, c.dropout);
    const ReachableChain chain = reachable_chain(c.arch, c.dropout);
    const SpanningProbability theta = spanning_probability(c.arch, c.dropout);
    EXPECT_NEAR(theta.theta, exact.directed_spanning.mean, 1e-12);
    EXPECT_NEAR(theta.one_minus_theta, 1 - exact.directed_spanning.mean, 1e-12);
    EXPECT_NEAR(chain.spanning.theta, exact.directed_spanning.mean, 1e-12);
    EXPECT_NEAR(chain.expected_extinction_depth, exact.extinction_depth.mean, 1e-12);
    // E[D^2] = sum_d (2d - 1) P(D >= d), P(D >= 1) = 1 and P(D >= d) = s_{d-1} for d >= 2.
    double depth_second_moment = 1.0;
    for (int d = 2; d <= c.arch.depth() + 1; ++d)
      depth_second_moment += (2 * d - 1) * chain.survival[d - 1];
    EXPECT_NEAR(depth_second_moment, exact.extinction_depth.second, 1e-12 * depth_second_moment);
    for (int k = 0; k < c.arch.layers(); ++k) {
      EXPECT_NEAR(chain.expected_reachable[k], exact.reachable[k].mean, 1e-12) << "layer " << k;
    }
  }
}

TEST(Theory, SiteClosedFormEqualsChain) {
  for (Architecture arch :
       {Architecture{1, 4, 6, 1}, Architecture{7, 3, 50, 2}, Architecture{2, 9, 1, 5},
        Architecture::layered(784, {512, 256, 128}, 10), Architecture::layered(3, {1, 9, 2}, 4)}) {
    for (double p : {0.05, 0.5, 0.9, 0.999}) {
      const auto closed = site_spanning_probability(arch, p);
      const auto chain = reachable_chain(arch, Dropout::of(DropoutModel::site, p)).spanning;
      EXPECT_NEAR(chain.theta, closed.theta, 1e-13);
      EXPECT_NEAR(chain.one_minus_theta / closed.one_minus_theta, 1.0, 1e-12);
      EXPECT_NEAR(chain.log_theta / closed.log_theta, 1.0, 1e-12);
    }
  }
}

// Input dropout 1 keeps no input unit: theta = 0 exactly, nothing reached, D = 1 (the chain's
// conditioning on N_0 >= 1 has nothing to condition on).
TEST(Theory, InputDropoutOfOneReachesNothing) {
  for (DropoutModel model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    Dropout dropout = Dropout::of(model, 0.3);
    dropout.p_input = 1.0;
    const auto theta = spanning_probability(Architecture{3, 4, 2, 2}, dropout);
    EXPECT_EQ(theta.theta, 0.0) << name(model);
    EXPECT_EQ(theta.one_minus_theta, 1.0) << name(model);
    const ReachableChain chain = reachable_chain(Architecture{3, 4, 2, 2}, dropout);
    EXPECT_EQ(chain.spanning.theta, 0.0) << name(model);
    EXPECT_EQ(chain.expected_extinction_depth, 1.0) << name(model);
    for (double n : chain.expected_reachable)
      EXPECT_EQ(n, 0.0) << name(model);
  }
}

// Dropping everything (p = 1) reaches nothing on every network, layered and with input
// dropout included: theta is 0, not the NaN of a sum with -inf terms.
TEST(Theory, DropProbabilityOneReachesNothing) {
  for (const Architecture& arch :
       {Architecture{3, 4, 2, 2}, Architecture::layered(5, {6, 2, 4}, 3)}) {
    for (double p_input : {0.0, 0.3}) {
      for (DropoutModel model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
        Dropout dropout = Dropout::of(model, 1.0);
        dropout.p_input = p_input;
        const SpanningProbability theta = spanning_probability(arch, dropout);
        EXPECT_EQ(theta.theta, 0.0) << name(model) << " " << arch;
        EXPECT_EQ(theta.one_minus_theta, 1.0) << name(model) << " " << arch;
      }
    }
  }
}

// A list of equal widths is the uniform network itself: the same value, the same theta bits.
TEST(Theory, EqualWidthsAreTheUniformNetwork) {
  const Architecture listed = Architecture::layered(3, {5, 5, 5, 5}, 2);
  EXPECT_TRUE(listed.is_uniform());
  EXPECT_EQ(listed, (Architecture{3, 5, 4, 2}));
  for (DropoutModel model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    const auto a = spanning_probability(listed, Dropout::of(model, 0.7));
    const auto b = spanning_probability(Architecture{3, 5, 4, 2}, Dropout::of(model, 0.7));
    EXPECT_EQ(a.theta, b.theta);
    EXPECT_EQ(a.one_minus_theta, b.one_minus_theta);
  }
}

// A layer of width 1 is a cut unit: theta = (1 - p) theta(the rest), exactly for site dropout
// (docs/theory.md §2), and the taper 784 -> 512 -> 256 -> 128 -> 10 keeps 1 - theta to the
// precision of its smallest factor, 1 - (1 - 0.5^128).
TEST(Theory, PerLayerWidthsMultiplyTheSiteFactors) {
  const double p = 0.6;
  const auto with_cut = site_spanning_probability(Architecture::layered(2, {3, 1, 4}, 2), p);
  const double expected = (1 - std::pow(p, 3)) * (1 - p) * (1 - std::pow(p, 4));
  EXPECT_NEAR(with_cut.theta / expected, 1.0, 1e-15);
  const auto taper =
      site_spanning_probability(Architecture::layered(784, {512, 256, 128}, 10), 0.5);
  const double sum = std::pow(0.5, 512) + std::pow(0.5, 256) + std::pow(0.5, 128);
  EXPECT_NEAR(taper.one_minus_theta / sum, 1.0, 1e-14);
}

// (1 - p^W)^L (1 - p^W_out) <= theta_bond <= (1 - p^(W_in W)) (1 - p^(W^2))^(L-1) (1 - p^(W W_out))
TEST(Theory, BondLiesWithinItsBounds) {
  for (Architecture a :
       {Architecture{1, 4, 6, 1}, Architecture{3, 3, 5, 3}, Architecture{2, 5, 40, 4}}) {
    for (double p : {0.2, 0.5, 0.75, 0.9}) {
      const double lower =
          std::pow(1 - std::pow(p, a.width()), a.depth()) * (1 - std::pow(p, a.output_width));
      const double upper = (1 - std::pow(p, a.input_width * a.width())) *
                           std::pow(1 - std::pow(p, a.width() * a.width()), a.depth() - 1) *
                           (1 - std::pow(p, a.width() * a.output_width));
      const double t = theta(a, DropoutModel::bond, p);
      EXPECT_LE(lower, t * (1 + 1e-14));
      EXPECT_LE(t, upper * (1 + 1e-14));
    }
  }
}

// 1 - theta ~ 1e-300 keeps full relative precision: a single path of L + 1 edges has
// 1 - theta = 1 - (1 - p)^(L+1) exactly, and site with p^W = 1e-300 has 1 - theta = L p^W.
TEST(Theory, TinyComplementKeepsRelativePrecision) {
  const Architecture path{1, 1, 99, 1};
  const double p = 1e-302;
  const auto bond = spanning_probability(path, Dropout::of(DropoutModel::bond, p));
  EXPECT_NEAR(bond.one_minus_theta / (100 * p), 1.0, 1e-12);
  EXPECT_EQ(bond.theta, 1.0);

  const Architecture wide{3, 30, 1, 2};
  const auto site = reachable_chain(wide, Dropout::of(DropoutModel::site, 1e-10)).spanning;
  EXPECT_NEAR(site.one_minus_theta / 1e-300, 1.0, 1e-12);
}

// L = 10^6: theta underflows for site (log theta = L log(1 - p^W) is exact) and is O(1) for
// bond at W = 5, where the chain's quasi-stationary decay makes log theta linear in L.
TEST(Theory, MillionLayerNetworksStayFinite) {
  const Architecture deep{2, 2, 1000000, 2};
  const auto chain = reachable_chain(deep, Dropout::of(DropoutModel::site, 0.5)).spanning;
  EXPECT_EQ(chain.theta, 0.0);
  EXPECT_NEAR(chain.log_theta / (1e6 * std::log(0.75)), 1.0, 1e-10);
  EXPECT_EQ(chain.one_minus_theta, 1.0);

  auto log_theta = [](int depth) {
    return spanning_probability({5, 5, depth, 5}, Dropout::of(DropoutModel::bond, 0.5)).log_theta;
  };
  const double a = log_theta(250000), b = log_theta(500000), c = log_theta(1000000);
  EXPECT_TRUE(std::isfinite(c));
  EXPECT_NEAR((c - b) / (b - a), 2.0, 1e-6);
}

// theory.md §3: at p = 0.5, W = 5, theta = 1/2 near depth 22 for site and near 2e5 for bond.
TEST(Theory, BondIsFarMoreRobustThanSite) {
  auto at_depth = [](DropoutModel model, int depth) { return theta({5, 5, depth, 5}, model, 0.5); };
  EXPECT_GT(at_depth(DropoutModel::site, 21), 0.5);
  EXPECT_LT(at_depth(DropoutModel::site, 23), 0.5);
  EXPECT_GT(at_depth(DropoutModel::bond, 100000), 0.5);
  EXPECT_LT(at_depth(DropoutModel::bond, 400000), 0.5);
}

TEST(Theory, PHalfMatchesSiteClosedForm) {
  for (auto [width, depth] : {std::pair{4, 6}, std::pair{2, 100}, std::pair{16, 1000}}) {
    const double expected = std::pow(1 - std::pow(2.0, -1.0 / depth), 1.0 / width);
    EXPECT_NEAR(p_half(Architecture::uniform(width, depth), ScanLine::of(DropoutModel::site)),
                expected, 1e-12);
  }
}

TEST(Theory, PHalfIsWhereThetaIsOneHalf) {
  const Architecture arch{3, 4, 30, 2};
  for (const ScanLine& line :
       {ScanLine::of(DropoutModel::bond), ScanLine::of(DropoutModel::site_bond),
        ScanLine{DropoutModel::site_bond, false, true, 0.2, 0.0}}) {
    const double p = p_half(arch, line);
    EXPECT_NEAR(spanning_probability(arch, line.at(p)).theta, 0.5, 1e-12);
  }
  // A fixed site probability that already kills the network leaves no crossing.
  EXPECT_THROW(p_half(arch, ScanLine{DropoutModel::site_bond, false, true, 0.999, 0.0}),
               std::domain_error);
}

// The p at a level of theta (docs/theory.md §5.1): the site closed form inverted by hand, and
// theta or 1 - theta at the solution equal to the level for the chain, near 1 as well.
TEST(Theory, SolvePFindsWhereThetaReachesTheLevel) {
  const Architecture site{5, 4, 6, 3};
  // (1 - p^W)^L = 0.9: p = (1 - 0.9^(1/L))^(1/W).
  EXPECT_NEAR(solve_p(site, ScanLine::of(DropoutModel::site), {0.9}),
              std::pow(1 - std::pow(0.9, 1.0 / 6), 0.25), 1e-14);
  const Architecture bond = Architecture::uniform(8, 16);
  const ScanLine line = ScanLine::of(DropoutModel::bond);
  EXPECT_NEAR(spanning_probability(bond, line.at(solve_p(bond, line, {0.999}))).theta, 0.999,
              1e-13);
  for (double level : {1e-3, 1e-12, 1e-100}) {
    const double p = solve_p(bond, line, {level, true});
    EXPECT_NEAR(spanning_probability(bond, line.at(p)).one_minus_theta / level, 1.0, 1e-8) << level;
  }
  EXPECT_NEAR(solve_p(bond, line, {0.5}), p_half(bond, line), 1e-14);
  // With p_bond = 0.5 fixed, theta stays below 0.99 at every p_site.
  const ScanLine site_only{DropoutModel::site_bond, true, false, 0.0, 0.5};
  EXPECT_THROW(solve_p(Architecture::uniform(2, 16), site_only, {0.99}), std::domain_error);
}

// The largest depth at a level: bisection against a scan of every depth; capped at the largest
// depth searched; refused where theta need not decrease with L.
TEST(Theory, SolveDepthIsTheLargestDepthAtTheLevel) {
  const Dropout bond = Dropout::of(DropoutModel::bond, 0.7);
  for (const ThetaLevel level :
       {ThetaLevel{0.5}, ThetaLevel{0.9}, ThetaLevel{1e-6}, ThetaLevel{0.999, true}}) {
    int largest = 0;
    for (int l = 1; l <= 300; ++l) {
      const SpanningProbability s = spanning_probability(Architecture::uniform(4, l), bond);
      if (level.complement ? s.one_minus_theta <= level.value : s.theta >= level.value) largest = l;
    }
    ASSERT_GT(largest, 1);
    ASSERT_LT(largest, 300);
    const DepthSolution found = solve_depth(Architecture::uniform(4, 1), bond, level, 300);
    EXPECT_EQ(found.depth, largest) << level.value;
    EXPECT_FALSE(found.capped);
  }
  const DepthSolution capped = solve_depth(Architecture::uniform(4, 1), bond, {0.5}, 3);
  EXPECT_EQ(capped.depth, 3);
  EXPECT_TRUE(capped.capped);
  EXPECT_THROW(
      solve_depth(Architecture::uniform(4, 1), Dropout::of(DropoutModel::bond, 0.95), {0.999}, 100),
      std::domain_error);
  EXPECT_THROW(solve_depth({4, 4, 1, 2}, bond, {0.5}, 100), std::invalid_argument);
  // Why (§5.1, with its rounded values): one input unit, W = 100, one output unit, DropConnect at
  // 0.98: theta grows with L.
  const Dropout sparse = Dropout::of(DropoutModel::bond, 0.98);
  EXPECT_NEAR(spanning_probability({1, 100, 1, 1}, sparse).theta, 0.0392, 5e-5);
  EXPECT_NEAR(spanning_probability({1, 100, 2, 1}, sparse).theta, 0.0742, 5e-5);
  EXPECT_NEAR(spanning_probability({1, 100, 10, 1}, sparse).theta, 0.618, 5e-4);
  EXPECT_NO_THROW(solve_depth({4, 4, 1, 2}, Dropout::of(DropoutModel::site, 0.5), {0.5}, 100));
}

TEST(Theory, EndpointsAreCertain) {
  const Architecture arch{2, 3, 4, 2};
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    EXPECT_EQ(theta(arch, model, 0.0), 1.0);
    EXPECT_EQ(theta(arch, model, 1.0), 0.0);
    const auto chain = reachable_chain(arch, Dropout::of(model, 1.0));
    EXPECT_EQ(chain.expected_extinction_depth, 1.0);
    EXPECT_EQ(reachable_chain(arch, Dropout::of(model, 0.0)).expected_extinction_depth, 5.0);
  }
}

}  // namespace
}  // namespace dropperc
