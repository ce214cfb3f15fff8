// Finite-size-scaling estimators on synthetic data with known parameters: they must recover
// them within their bootstrap errors (4 sigma).

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/fss.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

TEST(Fss, ThresholdSummaryIsQuantilesOfTheThresholds) {
  const ThresholdSummary s = summarize_thresholds({5, 1, 4, 2, 3});
  EXPECT_DOUBLE_EQ(s.p_half, 3.0);
  EXPECT_DOUBLE_EQ(s.p_90, 1.4);  // theta = 0.9 where 10 % of p* lie below
  EXPECT_DOUBLE_EQ(s.p_10, 4.6);
  EXPECT_DOUBLE_EQ(s.width, 3.2);
  EXPECT_THROW(summarize_thresholds({}), std::invalid_argument);
}

TEST(Fss, LineFitRecoversALineAndItsErrors) {
  // y = 2 + 3x, sigma = 0.5 at x = 0..4: slope error = sigma / sqrt(sum (x - mean)^2) =
  // 0.5/sqrt(10).
  const std::vector<double> x{0, 1, 2, 3, 4}, y{2, 5, 8, 11, 14}, sigma(5, 0.5);
  const LineFit f = fit_line(x, y, sigma);
  EXPECT_NEAR(f.intercept, 2.0, 1e-12);
  EXPECT_NEAR(f.slope, 3.0, 1e-12);
  EXPECT_NEAR(f.slope_error, 0.5 / std::sqrt(10.0), 1e-12);
  EXPECT_NEAR(f.intercept_error, 0.5 * std::sqrt(0.6), 1e-12);  // sigma sqrt(sum x^2 / (n Sxx))
  EXPECT_NEAR(f.chi2, 0.0, 1e-18);
  EXPECT_EQ(f.points, 5);
  EXPECT_TRUE(std::isnan(fit_line({1, 1}, {2, 3}, {1, 1}).slope));  // one distinct x
}

TEST(Fss, PowerLawFitRecoversExponentAndAmplitude) {
  std::vector<double> x, y, sigma;
  for (double t : {0.05, 0.1, 0.2, 0.4, 0.8}) {
    x.push_back(t);
    y.push_back(30.0 * std::pow(t, -1.3));
    sigma.push_back(0.01 * y.back());
  }
  const PowerLawFit f = fit_power_law(x, y, sigma);
  EXPECT_NEAR(f.exponent, 1.3, 1e-12);
  EXPECT_NEAR(f.amplitude, 30.0, 1e-10);
}

// Synthetic spanning data obeying theta(p, S) = F((p - p_c) S^b) with F logistic: each sample's
// threshold is p* = p_c + X S^(-b), X standard logistic (theta = P(p < p*) = F).
struct Synthetic {
  std::vector<double> sizes;
  std::vector<std::vector<double>> thresholds;  // per size
};

Synthetic synthetic_collapse(double p_c, double b, std::size_t samples, std::uint64_t seed) {
  Synthetic s;
  s.sizes = {8, 16, 32, 64};
  for (std::size_t k = 0; k < s.sizes.size(); ++k) {
    RandomStream rng({seed, 2, k, 0});
    std::vector<double> t(samples);
    for (double& v : t) {
      const double u = rng.uniform();
      v = p_c + std::log(u / (1 - u)) * std::pow(s.sizes[k], -b);
    }
    s.thresholds.push_back(std::move(t));
  }
  return s;
}

// The thresholds a resample picks: group k, units r[k].
std::vector<double> pick(const std::vector<double>& thresholds, const std::vector<std::size_t>& r) {
  std::vector<double> t;
  for (std::size_t i : r)
    t.push_back(thresholds[i]);
  return t;
}

// theta of every size, as the analysis draws it (threshold_curve).
std::vector<SizeCurve> curves_of(const Synthetic& s, const Resample& r) {
  std::vector<SizeCurve> curves;
  for (std::size_t k = 0; k < s.sizes.size(); ++k)
    curves.push_back(threshold_curve(pick(s.thresholds[k], r[k]), s.sizes[k], true));
  return curves;
}

TEST(Fss, CollapseQualityIsAboutOneAtTheTruthAndLargeAway) {
  const Synthetic s = synthetic_collapse(0.4, 0.75, 4000, 1);
  Resample all(s.sizes.size());
  for (auto& r : all) {
    r.resize(4000);
    for (std::size_t i = 0; i < r.size(); ++i)
      r[i] = i;
  }
  const auto curves = curves_of(s, all);
  const CollapseQuality truth = collapse_quality(curves, {0.4, 0.75, 0.0});
  EXPECT_GT(truth.terms, 30);
  // Points of one curve share samples, so the quality is not exactly chi-square; it is O(1).
  EXPECT_LT(truth.quality, 3.0);
  EXPECT_GT(collapse_quality(curves, {0.42, 0.75, 0.0}).quality, 10 * truth.quality);
  EXPECT_GT(collapse_quality(curves, {0.4, 1.2, 0.0}).quality, 10 * truth.quality);
}

TEST(Fss, CollapseFitRecoversPcAndExponentWithinBootstrapErrors) {
  const double p_c = 0.4, b = 0.75;
  const Synthetic s = synthetic_collapse(p_c, b, 4000, 14);
  CollapseSpec spec;
  spec.start = {0.45, 1.0, 0.0};
  const Bootstrap boot =
      bootstrap(std::vector<std::size_t>(4, 4000), 40, 3, 0, [&](const Resample& r) {
        const CollapseFit f = fit_collapse(curves_of(s, r), spec);
        return std::vector<double>{f.best.p_c, f.best.b, f.quality.quality};
      });
  EXPECT_NEAR(boot.estimate[0], p_c, 4 * boot.error(0));
  EXPECT_NEAR(boot.estimate[1], b, 4 * boot.error(1));
  EXPECT_LT(boot.error(0), 0.005);  // a meaningful test: the errors are small
  EXPECT_LT(boot.error(1), 0.1);
  EXPECT_LT(boot.estimate[2], 3.0);
  // Fixing p_c at the truth fits b alone.
  spec.fit_p_c = false;
  spec.start.p_c = p_c;
  Resample all(4, std::vector<std::size_t>(4000));
  for (auto& r : all)
    for (std::size_t i = 0; i < r.size(); ++i)
      r[i] = i;
  const CollapseFit fixed = fit_collapse(curves_of(s, all), spec);
  EXPECT_EQ(fixed.best.p_c, p_c);
  EXPECT_NEAR(fixed.best.b, b, 4 * boot.error(1));
  // Bounds hold: with p_c at most 0.39 (the truth is 0.4) the best fit sits on the bound.
  spec.fit_p_c = true;
  spec.upper.p_c = 0.39;
  const CollapseFit bounded = fit_collapse(curves_of(s, all), spec);
  EXPECT_LE(bounded.best.p_c, 0.39);
  EXPECT_NEAR(bounded.best.p_c, 0.39, 1e-6);
}

// Coverage of the collapse fit's 95 % percentile intervals of p_c and b over 200 synthetic
// repetitions: at least 90 % (180) must contain the truth. With B = 200 resamples the expected
// coverage is 94.1 % (see KappaIntervalsCoverTheTruth): Binomial(200, 0.941), mean 188, sd 3.3.
TEST(Fss, CollapseIntervalsCoverTheTruth) {
  const double p_c = 0.4, b = 0.75;
  const std::size_t n = 500;
  CollapseSpec spec;
  spec.start = {0.45, 1.0, 0.0};
  int covered_p_c = 0, covered_b = 0;
  for (std::uint64_t repetition = 0; repetition < 200; ++repetition) {
    const Synthetic s = synthetic_collapse(p_c, b, n, 1000 + repetition);
    const Bootstrap boot = bootstrap(std::vector<std::size_t>(s.sizes.size(), n), 200, 8,
                                     repetition, [&](const Resample& r) {
                                       const CollapseFit f = fit_collapse(curves_of(s, r), spec);
                                       return std::vector<double>{f.best.p_c, f.best.b};
                                     });
    const Interval a = boot.interval(0), e = boot.interval(1);
    covered_p_c += a.low <= p_c && p_c <= a.high;
    covered_b += e.low <= b && b <= e.high;
  }
  EXPECT_GE(covered_p_c, 180) << covered_p_c << " of 200 intervals of p_c cover the truth";
  EXPECT_GE(covered_b, 180) << covered_b << " of 200 intervals of b cover the truth";
}

TEST(Fss, ThresholdCurveSamplesEveryCurveAtTheSameThetaLevels) {
  std::vector<double> t(101);
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = 0.01 * static_cast<double>(100 - i);
  const SizeCurve c = threshold_curve(t, 8.0, true, 3);
  EXPECT_EQ(c.size, 8.0);
  ASSERT_EQ(c.p.size(), 3u);
  EXPECT_NEAR(c.p[0], 0.05, 1e-12);  // the 5 %, 50 % and 95 % quantiles
  EXPECT_NEAR(c.p[1], 0.50, 1e-12);
  EXPECT_NEAR(c.p[2], 0.95, 1e-12);
  EXPECT_NEAR(c.value[1], 50.0 / 101.0, 1e-12);  // p* > 0.5 for 50 of the 101 samples
  EXPECT_NEAR(c.error[1], std::sqrt(c.value[1] * (1 - c.value[1]) / 101.0), 1e-12);
  const SizeCurve lattice = threshold_curve(t, 8.0, false, 3);  // spans iff q > q*
  EXPECT_NEAR(lattice.value[1], 50.0 / 101.0, 1e-12);
  EXPECT_THROW(threshold_curve({}, 1.0, true), std::invalid_argument);
}

// Per-sample thresholds of layered tasks with -ln theta = L e^(d_W) p^(c W^kappa) (§10.4), d_W
// an arbitrary per-width offset: P(p* > p) = theta(p) for p* = (-ln V / (L e^(d_W)))^(1/s_W),
// V uniform.
struct LayeredTask {
  double width, depth;
  std::vector<double> thresholds;
};

std::vector<LayeredTask> synthetic_layered(double kappa, double c, std::size_t n,
                                           std::uint64_t seed) {
  std::vector<LayeredTask> tasks;
  for (double w : {2.0, 3.0, 4.0, 6.0}) {
    const double offset = 0.3 / w, slope = c * std::pow(w, kappa);
    for (double depth : {4.0, 16.0}) {
      RandomStream rng({seed, 3, tasks.size(), 0});
      LayeredTask t{w, depth, std::vector<double>(n)};
      for (double& v : t.thresholds)
        v = std::pow(-std::log(rng.uniform()) / (depth * std::exp(offset)), 1 / slope);
      tasks.push_back(std::move(t));
    }
  }
  return tasks;
}

// Kappa and c from the resampled thresholds, through the analysis' own steps: threshold_curve,
// then fit_kappa.
std::vector<double> kappa_of(const std::vector<LayeredTask>& tasks, const Resample& r) {
  std::vector<LayeredPoint> points;
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    const SizeCurve curve = threshold_curve(pick(tasks[k].thresholds, r[k]), 0.0, true);
    for (std::size_t j = 0; j < curve.p.size(); ++j)
      points.push_back(
          {tasks[k].width, tasks[k].depth, curve.p[j], curve.value[j], curve.error[j]});
  }
  const KappaFit f = fit_kappa(points);
  return {f.kappa, f.c};
}

Bootstrap bootstrap_kappa(const std::vector<LayeredTask>& tasks, int resamples,
                          std::uint64_t stream) {
  const std::vector<std::size_t> sizes(tasks.size(), tasks[0].thresholds.size());
  return bootstrap(sizes, resamples, 6, stream,
                   [&](const Resample& r) { return kappa_of(tasks, r); });
}

// The fit must return kappa and c within 4 bootstrap sigma.
TEST(Fss, KappaFitRecoversTheCriticalWidthExponent) {
  const double kappa = 1.6, c = 0.7;
  const Bootstrap boot = bootstrap_kappa(synthetic_layered(kappa, c, 2000, 14), 100, 0);
  EXPECT_NEAR(boot.estimate[0], kappa, 4 * boot.error(0));
  EXPECT_NEAR(boot.estimate[1], c, 4 * boot.error(1));
  EXPECT_LT(boot.error(0), 0.1);
}

// For the site model, ln(-ln theta) - ln L is a function of W ln p alone (§2), so at the same
// theta levels the per-width lines are exact rescalings of one another and the fit returns
// kappa = 1 whatever the curvature of that function (§10.4). "Perfect samples" (thresholds at
// the (i + 1/2)/n quantiles of the exact distribution) leave only the quantiles' interpolation
// between neighbouring samples, O(1/n^2) in theta. Points spaced evenly in p instead return
// 0.9989 on these widths and depths.
TEST(Fss, KappaFitOfTheExactSiteModelIsOne) {
  const std::size_t n = 20000;
  std::vector<LayeredTask> tasks;
  for (double w : {2.0, 4.0, 8.0, 16.0}) {
    for (double depth : {16.0, 64.0, 256.0}) {
      LayeredTask t{w, depth, std::vector<double>(n)};
      for (std::size_t i = 0; i < n; ++i) {  // theta(p*) = (1 - p*^W)^L = (i + 1/2) / n
        const double level = (static_cast<double>(i) + 0.5) / static_cast<double>(n);
        t.thresholds[i] = std::pow(1 - std::pow(level, 1 / depth), 1 / w);
      }
      tasks.push_back(std::move(t));
    }
  }
  Resample all(tasks.size(), std::vector<std::size_t>(n));
  for (auto& r : all)
    for (std::size_t i = 0; i < n; ++i)
      r[i] = i;
  EXPECT_NEAR(kappa_of(tasks, all)[0], 1.0, 1e-6);
}

// Coverage of the kappa fit's 95 % percentile intervals over 200 synthetic repetitions: at
// least 90 % (180) must contain the true kappa. The type-7 percentile interval of B resamples
// covers with probability about 1 - 2 (1 + 0.025 (B - 1)) / (B + 1) (a new draw falls below
// the k-th of B order statistics with probability k / (B + 1)): 93.1 % at B = 100, 94.8 % at
// B = 1000 (§10.2). With B = 400, 94.4 %: the count is Binomial(200, 0.944), mean 189, sd 3.3.
TEST(Fss, KappaIntervalsCoverTheTruth) {
  const double kappa = 1.6, c = 0.7;
  int covered = 0;
  for (std::uint64_t repetition = 0; repetition < 200; ++repetition) {
    const Interval ci =
        bootstrap_kappa(synthetic_layered(kappa, c, 400, 100 + repetition), 400, repetition)
            .interval(0);
    covered += ci.low <= kappa && kappa <= ci.high;
  }
  EXPECT_GE(covered, 180) << covered << " of 200 intervals cover the truth";
}

}  // namespace
}  // namespace dropperc
