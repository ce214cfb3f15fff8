// The survival fit on synthetic data with known parameters and a known correction to scaling:
// it must recover them within its bootstrap errors (4 sigma), its intervals must cover the
// truth as often as they claim, its chi^2 must follow its degrees of freedom, and a fit without
// the correction that the data has must be rejected by its chi^2.

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <gtest/gtest.h>

#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/survival.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

// P(t; p) = A t^(-delta) (1 + b / t) exp(-g (p - p_c) t^(1/nu)): one uniform u per sample and
// B_t = p_c + (ln(A t^-delta (1 + b/t)) - ln u) / (g t^(1/nu)), so that P(B_t > p) = P(u <
// P(t; p)) wherever P(t; p) < 1: the fitted scaling form exactly (c_1 = -g, c_2 = 0).
struct Truth {
  double p_c = 0.355, delta = 0.16, nu = 1.73, amplitude = 0.8, b = 0.5, g = 2.0;
};

SurvivalSamples synthetic(const Truth& truth, std::size_t samples, int per_decade,
                          std::uint64_t seed) {
  SurvivalSamples data;
  for (int k = 0; k <= 4 * per_decade; ++k)
    data.depths.push_back(std::round(std::pow(10.0, static_cast<double>(k) / per_decade)));
  RandomStream rng({seed, 1, 2, 3});
  for (std::size_t s = 0; s < samples; ++s) {
    const double u = rng.uniform();
    for (double t : data.depths) {
      const double a = truth.amplitude * std::pow(t, -truth.delta) * (1.0 + truth.b / t);
      data.thresholds.push_back(truth.p_c + (std::log(a) - std::log(u)) /
                                                (truth.g * std::pow(t, 1.0 / truth.nu)));
    }
  }
  return data;
}

// Where the synthetic P stays below 1 at every depth fitted.
std::vector<double> window() {
  return {0.353, 0.354, 0.355, 0.356, 0.357};
}

std::vector<std::size_t> every(std::size_t n) {
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

Bootstrap fitted(const SurvivalSamples& data, const SurvivalModel& model, int resamples,
                 std::uint64_t seed) {
  const SurvivalFitter fitter(data, window(), model);
  const SurvivalFit best = fitter.fit(every(data.count()));
  return bootstrap({data.count()}, resamples, seed, 7, [&](const Resample& r) {
    const SurvivalFit f =
        r[0].size() == data.count() && r[0] == every(data.count()) ? best : fitter.fit(r[0], best);
    return std::vector<double>{f.p_c, f.delta, f.nu_par, f.chi2,
                               static_cast<double>(f.points - f.free)};
  });
}

TEST(Survival, CountsAreTheSamplesAboveEachP) {
  SurvivalSamples data{{1, 10}, {0.5, 0.2, 0.3, 0.3, 0.9, 0.1}};  // 3 samples x 2 depths
  const auto counts = count_survivors(data, {0.1, 0.3, 0.6}, {0, 1, 2, 2});
  // depth 1: B = 0.5, 0.3, 0.9, 0.9; depth 10: 0.2, 0.3, 0.1, 0.1 (p < B survives).
  EXPECT_EQ(counts[0], (std::vector<std::int64_t>{4, 3, 2}));
  EXPECT_EQ(counts[1], (std::vector<std::int64_t>{2, 0, 0}));
}

TEST(Survival, FitRecoversKnownExponentsAndThreshold) {
  const Truth truth;
  const SurvivalSamples data = synthetic(truth, 40000, 4, 11);
  const Bootstrap b = fitted(data, {10.0, true}, 40, 5);
  EXPECT_NEAR(b.estimate[0], truth.p_c, 4 * b.error(0));
  EXPECT_NEAR(b.estimate[1], truth.delta, 4 * b.error(1));
  EXPECT_NEAR(b.estimate[2], truth.nu, 4 * b.error(2));
  EXPECT_LT(b.error(0), 2e-4);  // the data resolve p_c at all
  const double dof = b.estimate[4];
  ASSERT_GE(dof, 10);
  const boost::math::chi_squared chi2(dof);
  EXPECT_GT(boost::math::cdf(boost::math::complement(chi2, b.estimate[3])), 1e-4);
}

TEST(Survival, IntervalsCoverTheTruthAndChi2FollowsItsDof) {
  // Over independent data sets: the 95 % intervals of p_c cover it in about 95 % of them
  // (Binomial(30, 0.95): at least 24 is 4 sigma), the squared deviations in units of the
  // bootstrap error average about 1, and chi^2 / dof about 1 (both within 4 sigma of their
  // spread over 30 sets).
  const Truth truth;
  int covered = 0;
  double z2 = 0, chi2_ratio = 0, dof = 0;
  constexpr int kSets = 30;
  for (int set = 0; set < kSets; ++set) {
    const SurvivalSamples data = synthetic(truth, 8000, 3, 100 + static_cast<std::uint64_t>(set));
    const Bootstrap b = fitted(data, {10.0, true}, 30, 1000 + static_cast<std::uint64_t>(set));
    const Interval i = b.interval(0);
    covered += i.low <= truth.p_c && truth.p_c <= i.high ? 1 : 0;
    z2 += std::pow((b.estimate[0] - truth.p_c) / b.error(0), 2) / kSets;
    chi2_ratio += b.estimate[3] / b.estimate[4] / kSets;
    dof = b.estimate[4];
  }
  EXPECT_GE(covered, 24);
  EXPECT_NEAR(z2, 1.0, 4 * std::sqrt(2.0 / kSets));
  EXPECT_NEAR(chi2_ratio, 1.0, 4 * std::sqrt(2.0 / dof / kSets));
}

TEST(Survival, FitWithoutTheDataCorrectionIsRejectedByItsChi2) {
  Truth truth;
  truth.b = 2.0;
  const SurvivalSamples data = synthetic(truth, 40000, 4, 13);
  const SurvivalFitter fitter(data, window(), {1.0, false});
  const SurvivalFit f = fitter.fit(every(data.count()));
  const boost::math::chi_squared chi2(static_cast<double>(f.points - f.free));
  EXPECT_LT(boost::math::cdf(boost::math::complement(chi2, f.chi2)), 1e-3);
  // With the correction, the same points are described.
  const SurvivalFit g = SurvivalFitter(data, window(), {1.0, true}).fit(every(data.count()));
  const boost::math::chi_squared chi2g(static_cast<double>(g.points - g.free));
  EXPECT_GT(boost::math::cdf(boost::math::complement(chi2g, g.chi2)), 1e-4);
}

// The median depth of samples whose survival depth is exponential with median T (B_t = T e / t
// in a p-independent form: one p) is T, within 4 sigma of ln T's sampling error
// 1 / (sqrt(n) ln 2) (the median of n exponentials).
TEST(Survival, MedianDepthIsTheMedianSurvivalDepth) {
  constexpr double median = 137.0;
  constexpr std::size_t n = 20000;
  SurvivalSamples data;
  for (int k = 0; k <= 80; ++k)
    data.depths.push_back(std::round(std::pow(10.0, k / 20.0)));
  data.depths.erase(std::unique(data.depths.begin(), data.depths.end()), data.depths.end());
  RandomStream rng({5, 6, 7, 8});
  for (std::size_t s = 0; s < n; ++s) {
    const double depth = -median * std::log(rng.uniform()) / std::log(2.0);
    for (double t : data.depths)
      data.thresholds.push_back(t < depth ? 1.0 : 0.0);  // reaches t at p = 0.5 iff t < D
  }
  const double ln_t = std::log(median_depth(data, 0.5, every(n)));
  EXPECT_NEAR(ln_t, std::log(median), 4.0 / (std::sqrt(double{n}) * std::log(2.0)));
  EXPECT_TRUE(std::isnan(median_depth(data, 1.0, every(n))));  // nobody survives at p = 1
  SurvivalSamples shallow{{1, 2}, std::vector<double>(2 * n, 1.0)};
  EXPECT_TRUE(std::isnan(median_depth(shallow, 0.5, every(n))));  // all alive at the last depth
}

// ln T points of 4 widths from the scaling form plus correlated Gaussian noise of a known
// covariance (correlation 0.8 between neighbouring p, sd 0.03): over 30 noise draws the fit's
// estimates are unbiased within 4 standard errors of their mean, and chi^2 averages its dof.
TEST(Survival, DepthScalingFitRecoversZAndNuPerpWithItsChi2) {
  constexpr double p_c = 0.355, z = 1.58, nu_perp = 1.1, g_0 = -1.0, g_1 = -3.0, sd = 0.03;
  const std::vector<double> widths = {8, 16, 32, 64, 128};
  const std::vector<double> p = {0.345, 0.35, 0.355, 0.36, 0.365};
  const auto k = static_cast<Eigen::Index>(p.size());
  Eigen::MatrixXd covariance(k, k);
  for (Eigen::Index a = 0; a < k; ++a) {
    for (Eigen::Index b = 0; b < k; ++b)
      covariance(a, b) = sd * sd * std::pow(0.8, std::abs(static_cast<double>(a - b)));
  }
  const Eigen::MatrixXd factor = covariance.llt().matrixL();
  RandomStream rng({7, 8, 9, 10});
  auto normal = [&] {  // Box-Muller
    return std::sqrt(-2.0 * std::log(rng.uniform())) *
           std::cos(2.0 * std::numbers::pi * rng.uniform());
  };
  constexpr int kSets = 30;
  std::vector<double> sum(3, 0.0), squares(3, 0.0);
  double chi2 = 0, dof = 0;
  for (int set = 0; set < kSets; ++set) {
    DepthScalingPoints points;
    for (double w : widths) {
      Eigen::VectorXd noise(k);
      for (Eigen::Index a = 0; a < k; ++a)
        noise(a) = normal();
      noise = factor * noise;
      std::vector<double> ln_t;
      for (Eigen::Index a = 0; a < k; ++a) {
        const double x = (p[static_cast<std::size_t>(a)] - p_c) * std::pow(w, 1.0 / nu_perp);
        ln_t.push_back(z * std::log(w) + g_0 + g_1 * x + noise(a));
      }
      points.widths.push_back(w);
      points.p.push_back(p);
      points.ln_t.push_back(ln_t);
      points.covariance.push_back(covariance);
    }
    const DepthScalingFit f = fit_depth_scaling(points, false, p.front(), p.back());
    const std::vector<double> values = {f.p_c, f.z, f.nu_perp};
    for (std::size_t i = 0; i < 3; ++i) {
      sum[i] += values[i] / kSets;
      squares[i] += values[i] * values[i] / kSets;
    }
    chi2 += f.chi2 / kSets;
    dof = static_cast<double>(f.points - f.free);
  }
  const std::vector<double> truth = {p_c, z, nu_perp};
  for (std::size_t i = 0; i < 3; ++i) {
    const double spread = std::sqrt((squares[i] - sum[i] * sum[i]) * kSets / (kSets - 1));
    EXPECT_NEAR(sum[i], truth[i], 4 * spread / std::sqrt(double{kSets})) << i;
  }
  EXPECT_NEAR(chi2, dof, 4 * std::sqrt(2 * dof / kSets));
}

}  // namespace
}  // namespace dropperc
