#pragma once
// Finite-size-scaling estimators on stored results: thresholds from per-sample thresholds, data
// collapse with the Houdayer-Hartmann quality, the layered networks' critical-width exponent and
// power laws (docs/theory.md §10). Pure functions of plain data: errors come from running them
// under bootstrap.hpp.

#include <cstdint>
#include <limits>
#include <vector>

namespace dropperc {

/// Where theta(p) = P(p < p*) crosses 1/2, 0.9 and 0.1, from samples of p*: quantiles of p*
/// (type 7, linear between order statistics; §10.1). width = p_10 - p_90 >= 0.
struct ThresholdSummary {
  double p_half = 0.0;  ///< theta = 1/2: the median of p*
  double p_90 = 0.0;    ///< theta = 0.9: the 10 % quantile of p*
  double p_10 = 0.0;    ///< theta = 0.1: the 90 % quantile of p*
  double width = 0.0;   ///< the transition width p_10 - p_90
};
/// Throws std::invalid_argument if `thresholds` is empty.
ThresholdSummary summarize_thresholds(std::vector<double> thresholds);

/// An observable O at drop probabilities p (increasing) for one system size S, with errors.
struct SizeCurve {
  double size = 0.0;
  std::vector<double> p, value, error;
};

/// theta from per-sample thresholds at their quantiles of `points` equally spaced levels from
/// 5 % to 95 % (the transition region, sampled at the same theta levels for every size), with
/// binomial errors sqrt(theta (1 - theta) / n). `spans_below`: a sample spans at p iff p < p*
/// (dropout's drop probability); otherwise iff p > p* (the lattice's occupation probability).
/// §10.1.
SizeCurve threshold_curve(std::vector<double> thresholds, double size, bool spans_below,
                          int points = 15);

/// O(p, S) = S^(-a) F((p - p_c) S^b).
struct ScalingParameters {
  double p_c = 0.0;
  double b = 1.0;
  double a = 0.0;
};

/// The Houdayer-Hartmann quality of a collapse (§10.3): each point's distance from the master
/// curve built from the other sizes' points around it, in units of the combined error,
/// squared and averaged. About 1 for a collapse as good as the errors allow. Points with zero
/// error, or outside |x| <= x_window in the scaling variable x = (p - p_c) S^b, do not count.
struct CollapseQuality {
  double quality = std::numeric_limits<double>::quiet_NaN();  ///< NaN if no point counts
  std::int64_t terms = 0;                                     ///< points that count
};
CollapseQuality collapse_quality(const std::vector<SizeCurve>& curves, const ScalingParameters& s,
                                 double x_window = std::numeric_limits<double>::infinity());

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

struct CollapseSpec {
  ScalingParameters start;                 ///< starting point (and the value of fixed parameters)
  ScalingParameters step{0.01, 0.1, 0.1};  ///< initial simplex steps
  ScalingParameters lower{-kInfinity, -kInfinity, -kInfinity};  ///< bounds of the free ones
  ScalingParameters upper{kInfinity, kInfinity, kInfinity};
  bool fit_p_c = true, fit_b = true, fit_a = false;
  double x_window = std::numeric_limits<double>::infinity();
};
struct CollapseFit {
  ScalingParameters best;
  CollapseQuality quality;
};
/// Minimises collapse_quality over the free parameters, within their bounds, with NLopt's
/// Nelder-Mead simplex.
/// With every parameter fixed, returns the quality at `start`. Throws std::invalid_argument if
/// fewer than 2 curves are given.
CollapseFit fit_collapse(const std::vector<SizeCurve>& curves, const CollapseSpec& spec);

/// Weighted least squares y = intercept + slope x with weights 1 / sigma^2.
struct LineFit {
  double intercept = 0.0, slope = 0.0;
  double intercept_error = 0.0, slope_error = 0.0;  ///< from the weights alone
  double chi2 = 0.0;
  std::int64_t points = 0;
};
/// Points with non-finite values or sigma <= 0 are skipped; NaN parameters if fewer than 2
/// distinct x remain.
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y,
                 const std::vector<double>& sigma);

/// theta of a layered network (width W, depth L) at drop probability p.
struct LayeredPoint {
  double width = 0.0, depth = 0.0, p = 0.0, theta = 0.0, error = 0.0;
};
/// ln(-ln theta) = ln L + c W^kappa ln p + d_W (§10.4): per width, the slope s_W of
/// ln(-ln theta) - ln L against ln p; then ln s_W = ln c + kappa ln W. Points with theta not in
/// (0, 1) or zero error are skipped; NaN if fewer than 2 widths have a slope.
struct KappaFit {
  double kappa = std::numeric_limits<double>::quiet_NaN();
  double c = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> widths, slopes, slope_errors;
  std::vector<double> intercepts, ln_p_low, ln_p_high;     ///< per width: its line and ln p range
  double chi2 = std::numeric_limits<double>::quiet_NaN();  ///< of ln s_W = ln c + kappa ln W
  std::int64_t points = 0;                                 ///< widths with a slope
};
KappaFit fit_kappa(const std::vector<LayeredPoint>& points);

/// y = amplitude x^(-exponent), by fit_line on (ln x, ln y) with sigma_ln y = sigma_y / y
/// (§10.5); non-positive x or y are skipped.
struct PowerLawFit {
  double amplitude = std::numeric_limits<double>::quiet_NaN();
  double exponent = std::numeric_limits<double>::quiet_NaN();
  double chi2 = std::numeric_limits<double>::quiet_NaN();  ///< of the line on (ln x, ln y)
  std::int64_t points = 0;
};
PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y,
                          const std::vector<double>& sigma);

}  // namespace dropperc
