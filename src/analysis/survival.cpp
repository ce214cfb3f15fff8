#include "dropperc/analysis/survival.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <stdexcept>

#include <nlopt.hpp>

#include "dropperc/analysis/bootstrap.hpp"

namespace dropperc {

namespace {

// levels[s * T + i]: how many of the (ascending) p a sample's B_{t_i} exceeds; it reaches t_i at
// p[j] iff j < its level.
std::vector<std::size_t> levels_of(const SurvivalSamples& data, const std::vector<double>& p) {
  std::vector<std::size_t> levels(data.thresholds.size());
  for (std::size_t k = 0; k < levels.size(); ++k) {
    levels[k] = static_cast<std::size_t>(std::lower_bound(p.begin(), p.end(), data.thresholds[k]) -
                                         p.begin());
  }
  return levels;
}

// The minimum of chi^2(p_c, 1/nu) within the bounds: NLopt's Nelder-Mead from `start`, or from the
// best point of a 21 x 14 grid over the bounds (the surface can have several valleys).
std::vector<double> minimise(const std::function<double(double, double)>& chi2,
                             const std::vector<double>& lower, const std::vector<double>& upper,
                             const std::optional<std::array<double, 2>>& start) {
  std::vector<double> x;
  if (start) {
    x = {std::clamp((*start)[0], lower[0], upper[0]), std::clamp((*start)[1], lower[1], upper[1])};
  } else {
    double best = std::numeric_limits<double>::infinity();
    for (int a = 0; a <= 20; ++a) {
      for (int b = 0; b <= 13; ++b) {
        const double p_c = lower[0] + (upper[0] - lower[0]) * a / 20.0;
        const double inverse_nu = lower[1] + (upper[1] - lower[1]) * b / 13.0;
        if (const double c = chi2(p_c, inverse_nu); c < best) {
          best = c;
          x = {p_c, inverse_nu};
        }
      }
    }
  }
  auto objective = [&](const std::vector<double>& v) { return chi2(v[0], v[1]); };
  using Objective = decltype(objective);
  nlopt::opt optimiser(nlopt::LN_NELDERMEAD, 2);
  optimiser.set_min_objective([](const std::vector<double>& v, std::vector<double>&,
                                 void* d) { return (*static_cast<Objective*>(d))(v); },
                              &objective);
  optimiser.set_lower_bounds(lower);
  optimiser.set_upper_bounds(upper);
  optimiser.set_initial_step({(upper[0] - lower[0]) / 20.0, 0.05});
  optimiser.set_xtol_rel(1e-9);
  optimiser.set_maxeval(2000);
  double best = 0.0;
  try {
    optimiser.optimize(x, best);
  } catch (const nlopt::roundoff_limited&) {
    // As good as floating point allows.
  }
  return x;
}

// beta minimising |y - X beta|^2 (whitened points and columns), and that minimum.
double least_squares(const Eigen::MatrixXd& design, const Eigen::VectorXd& y,
                     Eigen::VectorXd* coefficients) {
  const Eigen::VectorXd beta = design.colPivHouseholderQr().solve(y);
  if (coefficients != nullptr) *coefficients = beta;
  return (y - design * beta).squaredNorm();
}

}  // namespace

std::vector<std::vector<std::int64_t>> count_survivors(const SurvivalSamples& data,
                                                       const std::vector<double>& p,
                                                       const std::vector<std::size_t>& samples) {
  const std::size_t depths = data.depths.size();
  std::vector<std::vector<std::int64_t>> histogram(depths,
                                                   std::vector<std::int64_t>(p.size() + 1, 0));
  for (std::size_t s : samples) {
    for (std::size_t i = 0; i < depths; ++i) {
      const double b = data.thresholds[s * depths + i];
      ++histogram[i][static_cast<std::size_t>(std::lower_bound(p.begin(), p.end(), b) - p.begin())];
    }
  }
  // survivors at p[j]: the samples of level > j.
  std::vector<std::vector<std::int64_t>> survivors(depths, std::vector<std::int64_t>(p.size()));
  for (std::size_t i = 0; i < depths; ++i) {
    std::int64_t above = 0;
    for (std::size_t j = p.size(); j-- > 0;) {
      above += histogram[i][j + 1];
      survivors[i][j] = above;
    }
  }
  return survivors;
}

SurvivalFitter::SurvivalFitter(const SurvivalSamples& data, std::vector<double> p,
                               SurvivalModel model)
    : data_(data), p_(std::move(p)), model_(model) {
  if (p_.empty() || !std::is_sorted(p_.begin(), p_.end()))
    throw std::invalid_argument("survival fit: the p must be given in ascending order");
  if (p_.size() * data.depths.size() > kMaxSurvivalPoints) {
    throw std::runtime_error("survival fit: more than " + std::to_string(kMaxSurvivalPoints) +
                             " (depth, p) points");
  }
  const std::size_t n = data.count(), depths = data.depths.size();
  std::vector<std::size_t> every(n);
  for (std::size_t s = 0; s < n; ++s)
    every[s] = s;
  const auto survivors = count_survivors(data, p_, every);
  // The points, each a set of surviving samples: one that repeats the set of the point before
  // it at the same depth (no threshold between the two p) or at the same p (no sample lost
  // between the two depths) is the same random variable, and is left out.
  for (std::size_t i = 0; i < depths; ++i) {
    if (data.depths[i] < model.t_min) continue;
    for (std::size_t j = 0; j < p_.size(); ++j) {
      const std::int64_t k = survivors[i][j];
      if (k < kMinSurvivalCount || static_cast<std::int64_t>(n) - k < kMinSurvivalCount) continue;
      const bool repeats = (j > 0 && survivors[i][j - 1] == k) ||
                           (!depth_.empty() && i > 0 && survivors[i - 1][j] == k &&
                            data.depths[i - 1] >= model.t_min);
      if (repeats) continue;
      depth_.push_back(i);
      level_.push_back(j);
      t_.push_back(data.depths[i]);
      x_p_.push_back(p_[j]);
    }
  }
  const auto m = static_cast<Eigen::Index>(t_.size());
  if (m == 0) return;
  // Joint survivors of every pair of points: per pair of depths, the histogram of the samples'
  // levels at the two, summed from above (O(n T^2) rather than O(n m^2)).
  const std::vector<std::size_t> levels = levels_of(data, p_);
  const std::size_t side = p_.size() + 2;
  std::vector<double> above(side * side);
  Eigen::MatrixXd joint = Eigen::MatrixXd::Zero(m, m);
  for (std::size_t u = 0; u < depths; ++u) {
    for (std::size_t v = 0; v <= u; ++v) {
      const bool used = std::find(depth_.begin(), depth_.end(), u) != depth_.end() &&
                        std::find(depth_.begin(), depth_.end(), v) != depth_.end();
      if (!used) continue;
      std::fill(above.begin(), above.end(), 0.0);
      for (std::size_t s = 0; s < n; ++s)
        above[levels[s * depths + u] * side + levels[s * depths + v]] += 1.0;
      // above[a][b]: samples of level >= a at u and >= b at v.
      for (std::size_t a = side - 1; a-- > 0;) {
        for (std::size_t b = side - 1; b-- > 0;) {
          above[a * side + b] +=
              above[(a + 1) * side + b] + above[a * side + b + 1] - above[(a + 1) * side + b + 1];
        }
      }
      for (Eigen::Index a = 0; a < m; ++a) {
        if (depth_[static_cast<std::size_t>(a)] != u) continue;
        for (Eigen::Index b = 0; b < m; ++b) {
          if (depth_[static_cast<std::size_t>(b)] != v) continue;
          joint(a, b) = joint(b, a) = above[(level_[static_cast<std::size_t>(a)] + 1) * side +
                                            level_[static_cast<std::size_t>(b)] + 1];
        }
      }
    }
  }
  const auto count = static_cast<double>(n);
  Eigen::MatrixXd covariance(m, m);
  for (Eigen::Index a = 0; a < m; ++a) {
    for (Eigen::Index b = 0; b < m; ++b) {
      const double pa = joint(a, a) / count, pb = joint(b, b) / count;
      covariance(a, b) = (joint(a, b) / count - pa * pb) / (count * pa * pb);
    }
  }
  covariance_.compute(covariance);
  if (covariance_.info() != Eigen::Success)
    throw std::runtime_error("survival fit: the points' covariance is not positive definite");
  const Eigen::Index columns = model_.correction ? 3 : 2;
  Eigen::MatrixXd fixed(m, columns);
  for (Eigen::Index a = 0; a < m; ++a) {
    const double t = t_[static_cast<std::size_t>(a)];
    fixed(a, 0) = 1.0;
    fixed(a, 1) = -std::log(t);
    if (model_.correction) fixed(a, 2) = 1.0 / t;
  }
  fixed_ = covariance_.matrixL().solve(fixed);
}

double SurvivalFitter::chi2(const Eigen::VectorXd& y, double p_c, double inverse_nu,
                            Eigen::VectorXd* coefficients) const {
  const Eigen::Index m = fixed_.rows(), k = fixed_.cols();
  Eigen::MatrixXd scaling(m, 2);
  for (Eigen::Index a = 0; a < m; ++a) {
    const auto at = static_cast<std::size_t>(a);
    const double x = (x_p_[at] - p_c) * std::pow(t_[at], inverse_nu);
    scaling(a, 0) = x;
    scaling(a, 1) = x * x;
  }
  Eigen::MatrixXd design(m, k + 2);
  design << fixed_, covariance_.matrixL().solve(scaling);
  return least_squares(design, y, coefficients);
}

SurvivalFit SurvivalFitter::fit(const std::vector<std::size_t>& samples,
                                const std::optional<SurvivalFit>& start) const {
  SurvivalFit result;
  result.points = points();
  result.free = static_cast<int>(fixed_.cols()) + 4;
  if (result.points - result.free < 2) return result;
  const auto survivors = count_survivors(data_, p_, samples);
  const auto n = static_cast<double>(samples.size());
  Eigen::VectorXd y(points());
  for (std::size_t a = 0; a < t_.size(); ++a) {
    const auto k = static_cast<double>(survivors[depth_[a]][level_[a]]);
    if (k <= 0.0) return result;  // a resample without survivors at a point
    y(static_cast<Eigen::Index>(a)) = std::log(k / n);
  }
  const Eigen::VectorXd white = covariance_.matrixL().solve(y);
  const std::vector<double> x =
      minimise([&](double p_c, double inverse_nu) { return chi2(white, p_c, inverse_nu); },
               {p_.front(), kMinInverseNuPar}, {p_.back(), kMaxInverseNuPar},
               start && std::isfinite(start->p_c)
                   ? std::optional(std::array{start->p_c, 1.0 / start->nu_par})
                   : std::nullopt);
  Eigen::VectorXd beta;
  result.chi2 = chi2(white, x[0], x[1], &beta);
  result.p_c = x[0];
  result.nu_par = 1.0 / x[1];
  result.delta = beta(1);
  return result;
}

}  // namespace dropperc

namespace dropperc {

namespace {

// The median depth from the survivors at one p, survivors[i][j] at depth i (count_survivors).
double median_of(const SurvivalSamples& data,
                 const std::vector<std::vector<std::int64_t>>& survivors, std::size_t j,
                 std::size_t samples) {
  const auto n = static_cast<double>(samples);
  const auto fraction = [&](std::size_t i) { return static_cast<double>(survivors[i][j]) / n; };
  if (samples == 0 || fraction(0) <= 0.5) return std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 1; i < data.depths.size(); ++i) {
    if (fraction(i) > 0.5) continue;
    // Interpolated in ln(-ln fraction), linear in ln t where the survival decays as a
    // stretched exponential (exactly so for the exponential decay of a finite system); in the
    // fraction itself where a side has none left.
    const double a = fraction(i - 1), b = fraction(i);
    const auto g = [](double f) { return std::log(-std::log(f)); };
    const double u = b > 0.0 && a < 1.0 ? (g(0.5) - g(a)) / (g(b) - g(a)) : (a - 0.5) / (a - b);
    return std::exp(std::log(data.depths[i - 1]) +
                    u * (std::log(data.depths[i]) - std::log(data.depths[i - 1])));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

double median_depth(const SurvivalSamples& data, double p,
                    const std::vector<std::size_t>& samples) {
  return median_of(data, count_survivors(data, {p}, samples), 0, samples.size());
}

std::vector<double> ln_median_depths(const SurvivalSamples& data, const std::vector<double>& p,
                                     const std::vector<std::size_t>& samples) {
  const auto survivors = count_survivors(data, p, samples);  // one pass for every p
  std::vector<double> ln_t;
  for (std::size_t j = 0; j < p.size(); ++j)
    ln_t.push_back(std::log(median_of(data, survivors, j, samples.size())));
  return ln_t;
}

MedianDepths median_depths(const SurvivalSamples& data, const std::vector<double>& p, int resamples,
                           std::uint64_t seed, std::uint64_t stream) {
  const Bootstrap b = bootstrap({data.count()}, resamples, seed, stream,
                                [&](const Resample& r) { return ln_median_depths(data, p, r[0]); });
  std::vector<std::size_t> kept;
  for (std::size_t j = 0; j < p.size(); ++j) {
    if (std::isfinite(b.estimate[j]) && b.failures(j) == 0) kept.push_back(j);
  }
  MedianDepths m;
  const auto k = static_cast<Eigen::Index>(kept.size());
  m.covariance = Eigen::MatrixXd::Zero(k, k);
  for (std::size_t a = 0; a < kept.size(); ++a) {
    m.p.push_back(p[kept[a]]);
    m.ln_t.push_back(b.estimate[kept[a]]);
  }
  const auto count = static_cast<double>(b.resamples.size());
  for (Eigen::Index a = 0; a < k; ++a) {
    for (Eigen::Index c = 0; c < k; ++c) {
      double mean_a = 0, mean_c = 0, product = 0;
      for (const auto& r : b.resamples) {
        mean_a += r[kept[static_cast<std::size_t>(a)]] / count;
        mean_c += r[kept[static_cast<std::size_t>(c)]] / count;
        product +=
            r[kept[static_cast<std::size_t>(a)]] * r[kept[static_cast<std::size_t>(c)]] / count;
      }
      m.covariance(a, c) = (product - mean_a * mean_c) * count / (count - 1.0);
    }
  }
  return m;
}

DepthScalingFit fit_depth_scaling(const DepthScalingPoints& points, bool correction, double p_low,
                                  double p_high, const std::optional<DepthScalingFit>& start) {
  DepthScalingFit result;
  std::vector<Eigen::LLT<Eigen::MatrixXd>> factors;
  Eigen::Index m = 0;
  for (std::size_t w = 0; w < points.widths.size(); ++w) {
    for (double y : points.ln_t[w]) {
      if (!std::isfinite(y)) return result;
    }
    factors.emplace_back(points.covariance[w]);
    if (factors.back().info() != Eigen::Success) return result;
    m += static_cast<Eigen::Index>(points.ln_t[w].size());
  }
  const Eigen::Index fixed = correction ? 3 : 2;
  result.points = m;
  result.free = static_cast<int>(fixed) + 4;
  if (result.points - result.free < 2) return result;
  // The whitened points and the columns that do not depend on (p_c, 1/nu_perp), block by block.
  Eigen::VectorXd white(m);
  Eigen::MatrixXd columns(m, fixed);
  for (std::size_t w = 0, row = 0; w < points.widths.size(); ++w) {
    const auto k = static_cast<Eigen::Index>(points.ln_t[w].size());
    Eigen::MatrixXd block(k, fixed);
    for (Eigen::Index j = 0; j < k; ++j) {
      block(j, 0) = std::log(points.widths[w]);
      block(j, 1) = 1.0;
      if (correction) block(j, 2) = 1.0 / points.widths[w];
    }
    const Eigen::Map<const Eigen::VectorXd> y(points.ln_t[w].data(), k);
    white.segment(static_cast<Eigen::Index>(row), k) = factors[w].matrixL().solve(y);
    columns.middleRows(static_cast<Eigen::Index>(row), k) = factors[w].matrixL().solve(block);
    row += static_cast<std::size_t>(k);
  }
  auto chi2 = [&](double p_c, double inverse_nu, Eigen::VectorXd* beta) {
    Eigen::MatrixXd design(m, fixed + 2);
    design.leftCols(fixed) = columns;
    for (std::size_t w = 0, row = 0; w < points.widths.size(); ++w) {
      const auto k = static_cast<Eigen::Index>(points.ln_t[w].size());
      Eigen::MatrixXd scaling(k, 2);
      for (Eigen::Index j = 0; j < k; ++j) {
        const double x = (points.p[w][static_cast<std::size_t>(j)] - p_c) *
                         std::pow(points.widths[w], inverse_nu);
        scaling(j, 0) = x;
        scaling(j, 1) = x * x;
      }
      design.block(static_cast<Eigen::Index>(row), fixed, k, 2) =
          factors[w].matrixL().solve(scaling);
      row += static_cast<std::size_t>(k);
    }
    return least_squares(design, white, beta);
  };
  const std::vector<double> x =
      minimise([&](double p_c, double inverse_nu) { return chi2(p_c, inverse_nu, nullptr); },
               {p_low, kMinInverseNuPerp}, {p_high, kMaxInverseNuPerp},
               start && std::isfinite(start->p_c)
                   ? std::optional(std::array{start->p_c, 1.0 / start->nu_perp})
                   : std::nullopt);
  Eigen::VectorXd beta;
  result.chi2 = chi2(x[0], x[1], &beta);
  result.p_c = x[0];
  result.nu_perp = 1.0 / x[1];
  result.z = beta(0);
  return result;
}

}  // namespace dropperc
