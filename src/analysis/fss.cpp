#include "dropperc/analysis/fss.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <nlopt.hpp>

namespace dropperc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Type-7 quantile of sorted values.
double quantile(const std::vector<double>& sorted, double probability) {
  const double position = probability * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

// A curve in scaling variables: x = (p - p_c) S^b, y = S^a O, dy = S^a dO (§10.3).
struct Scaled {
  std::vector<double> x, y, dy;
};

Scaled scale(const SizeCurve& c, const ScalingParameters& s) {
  Scaled out;
  const double stretch = std::pow(c.size, s.b), lift = std::pow(c.size, s.a);
  for (std::size_t j = 0; j < c.p.size(); ++j) {
    out.x.push_back((c.p[j] - s.p_c) * stretch);
    out.y.push_back(lift * c.value[j]);
    out.dy.push_back(lift * c.error[j]);
  }
  return out;
}

// Weighted sums of the points around x used for the master curve at x.
struct LocalSums {
  double w = 0, wx = 0, wxx = 0, wy = 0, wxy = 0;
  void add(double dx, double y, double dy) {
    const double weight = 1.0 / (dy * dy);
    w += weight;
    wx += weight * dx;
    wxx += weight * dx * dx;
    wy += weight * y;
    wxy += weight * dx * y;
  }
};

}  // namespace

ThresholdSummary summarize_thresholds(std::vector<double> thresholds) {
  if (thresholds.empty()) throw std::invalid_argument("summarize_thresholds: no thresholds");
  std::sort(thresholds.begin(), thresholds.end());
  ThresholdSummary s;
  s.p_half = quantile(thresholds, 0.5);
  s.p_90 = quantile(thresholds, 0.1);
  s.p_10 = quantile(thresholds, 0.9);
  s.width = s.p_10 - s.p_90;
  return s;
}

SizeCurve threshold_curve(std::vector<double> thresholds, double size, bool spans_below,
                          int points) {
  if (thresholds.empty()) throw std::invalid_argument("threshold_curve: no thresholds");
  std::sort(thresholds.begin(), thresholds.end());
  const double n = static_cast<double>(thresholds.size());
  SizeCurve c;
  c.size = size;
  for (int j = 0; j < points; ++j) {
    const double level = points == 1 ? 0.05 : 0.05 + 0.9 * j / (points - 1);
    const double p = quantile(thresholds, level);
    const auto below = static_cast<double>(
        std::lower_bound(thresholds.begin(), thresholds.end(), p) - thresholds.begin());
    const auto above = static_cast<double>(
        thresholds.end() - std::upper_bound(thresholds.begin(), thresholds.end(), p));
    const double theta = (spans_below ? above : below) / n;
    c.p.push_back(p);
    c.value.push_back(theta);
    c.error.push_back(std::sqrt(theta * (1 - theta) / n));
  }
  return c;
}

CollapseQuality collapse_quality(const std::vector<SizeCurve>& curves, const ScalingParameters& s,
                                 double x_window) {
  std::vector<Scaled> scaled;
  for (const SizeCurve& c : curves)
    scaled.push_back(scale(c, s));
  double sum = 0.0;
  std::int64_t terms = 0;
  for (std::size_t i = 0; i < scaled.size(); ++i) {
    const Scaled& a = scaled[i];
    for (std::size_t j = 0; j < a.x.size(); ++j) {
      const double x = a.x[j];
      if (!(a.dy[j] > 0) || std::abs(x) > x_window) continue;
      // The two points of every other size that bracket x, fitted by a weighted straight line:
      // its value Y and error dY at x are the master curve there.
      LocalSums local;
      for (std::size_t k = 0; k < scaled.size(); ++k) {
        const Scaled& b = scaled[k];
        if (k == i || b.x.size() < 2 || x < b.x.front() || x > b.x.back()) continue;
        auto right = std::upper_bound(b.x.begin(), b.x.end(), x);
        if (right == b.x.end()) --right;  // x equals the last point
        const auto r = static_cast<std::size_t>(right - b.x.begin()), l = r - 1;
        if (!(b.dy[l] > 0) || !(b.dy[r] > 0)) continue;
        local.add(b.x[l] - x, b.y[l], b.dy[l]);
        local.add(b.x[r] - x, b.y[r], b.dy[r]);
      }
      const double determinant = local.w * local.wxx - local.wx * local.wx;
      if (!(determinant > 0)) continue;
      const double master = (local.wxx * local.wy - local.wx * local.wxy) / determinant;
      const double master_variance = local.wxx / determinant;
      const double d = a.y[j] - master;
      sum += d * d / (a.dy[j] * a.dy[j] + master_variance);
      ++terms;
    }
  }
  return {terms > 0 ? sum / static_cast<double>(terms) : kNaN, terms};
}

CollapseFit fit_collapse(const std::vector<SizeCurve>& curves, const CollapseSpec& spec) {
  if (curves.size() < 2) throw std::invalid_argument("fit_collapse: fewer than 2 sizes");
  const std::vector<double ScalingParameters::*> all = {
      &ScalingParameters::p_c, &ScalingParameters::b, &ScalingParameters::a};
  const std::vector<bool> free = {spec.fit_p_c, spec.fit_b, spec.fit_a};
  std::vector<double ScalingParameters::*> fitted;
  std::vector<double> x, step, lower, upper;
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (!free[k]) continue;
    fitted.push_back(all[k]);
    lower.push_back(spec.lower.*all[k]);
    upper.push_back(spec.upper.*all[k]);
    x.push_back(std::clamp(spec.start.*all[k], lower.back(), upper.back()));
    step.push_back(spec.step.*all[k]);
  }
  if (fitted.empty()) return {spec.start, collapse_quality(curves, spec.start, spec.x_window)};
  auto parameters = [&](const std::vector<double>& v) {
    ScalingParameters s = spec.start;
    for (std::size_t k = 0; k < fitted.size(); ++k)
      s.*fitted[k] = v[k];
    return s;
  };
  // Too few overlapping points make any quality meaningless: such parameters are rejected.
  auto objective = [&](const std::vector<double>& v) {
    const CollapseQuality q = collapse_quality(curves, parameters(v), spec.x_window);
    return q.terms >= 3 && std::isfinite(q.quality) ? q.quality : 1e300;
  };
  using Objective = decltype(objective);
  nlopt::opt optimiser(nlopt::LN_NELDERMEAD, static_cast<unsigned>(x.size()));
  optimiser.set_min_objective([](const std::vector<double>& v, std::vector<double>&,
                                 void* data) { return (*static_cast<Objective*>(data))(v); },
                              &objective);
  optimiser.set_lower_bounds(lower);
  optimiser.set_upper_bounds(upper);
  optimiser.set_initial_step(step);
  optimiser.set_xtol_rel(1e-10);
  optimiser.set_ftol_abs(1e-12);
  optimiser.set_maxeval(20000);
  double best = 0.0;
  try {
    optimiser.optimize(x, best);
  } catch (const nlopt::roundoff_limited&) {
    // The simplex could not improve further in floating point: x is as good as it gets.
  }
  const ScalingParameters s = parameters(x);
  return {s, collapse_quality(curves, s, spec.x_window)};
}

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y,
                 const std::vector<double>& sigma) {
  double w = 0, wx = 0, wxx = 0, wy = 0, wxy = 0;
  std::int64_t points = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || !(sigma[i] > 0)) continue;
    const double weight = 1.0 / (sigma[i] * sigma[i]);
    w += weight;
    wx += weight * x[i];
    wxx += weight * x[i] * x[i];
    wy += weight * y[i];
    wxy += weight * x[i] * y[i];
    ++points;
  }
  LineFit f;
  f.points = points;
  const double determinant = w * wxx - wx * wx;
  if (points < 2 || !(determinant > 1e-300 * w * wxx)) {
    f.intercept = f.slope = f.intercept_error = f.slope_error = f.chi2 = kNaN;
    return f;
  }
  f.slope = (w * wxy - wx * wy) / determinant;
  f.intercept = (wxx * wy - wx * wxy) / determinant;
  f.slope_error = std::sqrt(w / determinant);
  f.intercept_error = std::sqrt(wxx / determinant);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || !(sigma[i] > 0)) continue;
    const double r = (y[i] - f.intercept - f.slope * x[i]) / sigma[i];
    f.chi2 += r * r;
  }
  return f;
}

KappaFit fit_kappa(const std::vector<LayeredPoint>& points) {
  struct Columns {
    std::vector<double> x, y, sigma;
  };
  std::map<double, Columns> by_width;
  for (const LayeredPoint& pt : points) {
    if (!(pt.theta > 0 && pt.theta < 1) || !(pt.error > 0) || !(pt.p > 0)) continue;
    const double minus_log = -std::log(pt.theta);
    Columns& c = by_width[pt.width];
    c.x.push_back(std::log(pt.p));
    c.y.push_back(std::log(minus_log) - std::log(pt.depth));
    c.sigma.push_back(pt.error / (pt.theta * minus_log));  // d ln(-ln theta) / d theta
  }
  KappaFit fit;
  std::vector<double> log_width, log_slope, log_slope_error;
  for (const auto& [width, c] : by_width) {
    const LineFit line = fit_line(c.x, c.y, c.sigma);
    if (!(line.slope > 0)) continue;
    fit.widths.push_back(width);
    fit.slopes.push_back(line.slope);
    fit.slope_errors.push_back(line.slope_error);
    fit.intercepts.push_back(line.intercept);
    fit.ln_p_low.push_back(*std::min_element(c.x.begin(), c.x.end()));
    fit.ln_p_high.push_back(*std::max_element(c.x.begin(), c.x.end()));
    log_width.push_back(std::log(width));
    log_slope.push_back(std::log(line.slope));
    log_slope_error.push_back(line.slope_error / line.slope);
  }
  const LineFit power = fit_line(log_width, log_slope, log_slope_error);
  fit.kappa = power.slope;
  fit.c = std::exp(power.intercept);
  fit.chi2 = power.chi2;
  fit.points = power.points;
  return fit;
}

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y,
                          const std::vector<double>& sigma) {
  std::vector<double> log_x, log_y, log_sigma;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0)) continue;
    log_x.push_back(std::log(x[i]));
    log_y.push_back(std::log(y[i]));
    log_sigma.push_back(sigma[i] / y[i]);
  }
  const LineFit line = fit_line(log_x, log_y, log_sigma);
  return {std::exp(line.intercept), -line.slope, line.chi2, line.points};
}

}  // namespace dropperc
