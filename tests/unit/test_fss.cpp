// Finite-size-scaling estimators on synthetic data with known parameters: they must recover
// them within their bootstrap errors (4 sigma).

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/bootstrap.hpp"
#include "dropperc/fss.hpp"
#include "dropperc/rng.hpp"

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

// theta on 15 points spanning each size's 5 %-95 % range of thresholds, binomial errors.
std::vector<SizeCurve> curves_of(const Synthetic& s, const Resample& r) {
  std::vector<SizeCurve> curves;
  for (std::size_t k = 0; k < s.sizes.size(); ++k) {
    std::vector<double> t;
    for (std::size_t i : r[k])
      t.push_back(s.thresholds[k][i]);
    std::sort(t.begin(), t.end());
    const double n = static_cast<double>(t.size());
    const double low = t[t.size() / 20], high = t[t.size() - t.size() / 20 - 1];
    SizeCurve c;
    c.size = s.sizes[k];
    for (int j = 0; j < 15; ++j) {
      const double p = low + (high - low) * j / 14.0;
      const auto above = static_cast<double>(t.end() - std::upper_bound(t.begin(), t.end(), p));
      const double theta = above / n;
      c.p.push_back(p);
      c.value.push_back(theta);
      c.error.push_back(std::sqrt(theta * (1 - theta) / n));
    }
    curves.push_back(std::move(c));
  }
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

// Layered data obeying ln(-ln theta) = ln L + c W^kappa ln p + d_W exactly, with binomial noise
// from n samples per point at theta between 0.15 and 0.85.
struct LayeredSample {
  LayeredPoint where;
  std::int64_t spans;
};

std::vector<LayeredSample> synthetic_layered(double kappa, double c, std::int64_t n,
                                             std::uint64_t seed) {
  std::vector<LayeredSample> points;
  RandomStream rng({seed, 0, 0, 0});
  for (double w : {2.0, 3.0, 4.0, 6.0}) {
    const double offset = 0.3 / w;  // d_W: any per-width constant
    for (double depth : {4.0, 16.0}) {
      for (double theta_target : {0.85, 0.7, 0.5, 0.3, 0.15}) {
        const double slope = c * std::pow(w, kappa);
        const double p =
            std::exp((std::log(-std::log(theta_target)) - std::log(depth) - offset) / slope);
        const double theta = std::exp(-depth * std::exp(offset) * std::pow(p, slope));
        std::int64_t spans = 0;
        for (std::int64_t i = 0; i < n; ++i)
          spans += rng.uniform() < theta;
        points.push_back({{w, depth, p, 0.0, 0.0}, spans});
      }
    }
  }
  return points;
}

// Kappa and c of a resample: sample i of a point spans iff i < spans, so resampling indices
// resamples the spanning indicators.
std::vector<double> kappa_of(const std::vector<LayeredSample>& points, std::int64_t n,
                             const Resample& r) {
  std::vector<LayeredPoint> data;
  for (std::size_t k = 0; k < points.size(); ++k) {
    const auto spans = std::count_if(r[k].begin(), r[k].end(), [&](std::size_t i) {
      return static_cast<std::int64_t>(i) < points[k].spans;
    });
    LayeredPoint pt = points[k].where;
    pt.theta = static_cast<double>(spans) / static_cast<double>(n);
    pt.error = std::sqrt(pt.theta * (1 - pt.theta) / static_cast<double>(n));
    data.push_back(pt);
  }
  const KappaFit f = fit_kappa(data);
  return {f.kappa, f.c};
}

// The fit must return kappa and c within 4 bootstrap sigma.
TEST(Fss, KappaFitRecoversTheCriticalWidthExponent) {
  const double kappa = 1.6, c = 0.7;
  const std::int64_t n = 2000;
  const auto points = synthetic_layered(kappa, c, n, 14);
  const std::vector<std::size_t> sizes(points.size(), static_cast<std::size_t>(n));
  const Bootstrap boot =
      bootstrap(sizes, 100, 5, 0, [&](const Resample& r) { return kappa_of(points, n, r); });
  EXPECT_NEAR(boot.estimate[0], kappa, 4 * boot.error(0));
  EXPECT_NEAR(boot.estimate[1], c, 4 * boot.error(1));
  EXPECT_LT(boot.error(0), 0.1);
}

// Coverage of the kappa fit's 95 % percentile intervals over 200 synthetic repetitions: at
// least 90 % (180) must contain the true kappa (Binomial(200, 0.95): mean 190, sd 3.1).
TEST(Fss, KappaIntervalsCoverTheTruth) {
  const double kappa = 1.6, c = 0.7;
  const std::int64_t n = 400;
  int covered = 0;
  for (std::uint64_t repetition = 0; repetition < 200; ++repetition) {
    const auto points = synthetic_layered(kappa, c, n, 100 + repetition);
    const std::vector<std::size_t> sizes(points.size(), static_cast<std::size_t>(n));
    const Bootstrap boot = bootstrap(sizes, 100, 6, repetition,
                                     [&](const Resample& r) { return kappa_of(points, n, r); });
    const Interval ci = boot.interval(0);
    covered += ci.low <= kappa && kappa <= ci.high;
  }
  EXPECT_GE(covered, 180) << covered << " of 200 intervals cover the truth";
}

}  // namespace
}  // namespace dropperc
