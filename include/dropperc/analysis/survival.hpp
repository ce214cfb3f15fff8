#pragma once
// Survival of a seed's cluster with depth, and the fit of its scaling form near the critical
// point of directed percolation (docs/theory.md §12.3): P(t; p), the fraction of samples that
// reach hidden layer t at drop probability p, from per-sample survival thresholds B_t (a sample
// reaches layer t iff p < B_t, local_percolation.hpp), so that one set of samples gives the
// whole (t, p) plane, and the points share samples: the fit is a generalised least-squares fit
// with their covariance, and errors come from the bootstrap over samples (bootstrap.hpp).

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <Eigen/Dense>

namespace dropperc {

/// Per-sample survival thresholds of one task: sample s reaches hidden layer depths[i] iff
/// p < thresholds[s * depths.size() + i].
struct SurvivalSamples {
  std::vector<double> depths;  ///< ascending
  std::vector<double> thresholds;
  std::size_t count() const { return depths.empty() ? 0 : thresholds.size() / depths.size(); }
};

/// survivors[i][j]: the samples among `samples` (indices, repeats counted) that reach depths[i]
/// at p[j] (ascending).
std::vector<std::vector<std::int64_t>> count_survivors(const SurvivalSamples& data,
                                                       const std::vector<double>& p,
                                                       const std::vector<std::size_t>& samples);

/// ln P(t; p) = a - delta ln t [+ b / t] + c_1 x + c_2 x^2 with x = (p - p_c) t^(1/nu_par):
/// the scaling form P = t^(-delta) Phi((p - p_c) t^(1/nu_par)) near p_c, ln Phi to second
/// order, with or without the leading correction to scaling b t^(-1) (§12.3).
struct SurvivalModel {
  double t_min = 1.0;       ///< the points at depths t >= t_min
  bool correction = false;  ///< with b / t
};

struct SurvivalFit {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double p_c = kNaN, delta = kNaN, nu_par = kNaN;
  double chi2 = kNaN;       ///< generalised: with the points' covariance
  std::int64_t points = 0;  ///< the points fitted
  int free = 0;             ///< p_c, 1/nu_par and the linear coefficients
};

/// The bounds of the search: p_c within the fitted p, 1/nu_par within these.
inline constexpr double kMinInverseNuPar = 0.2;
inline constexpr double kMaxInverseNuPar = 1.5;
/// A point enters the fit only with at least this many samples on each side (surviving and
/// not), where the normal approximation of ln P that the chi^2 assumes holds.
inline constexpr std::int64_t kMinSurvivalCount = 25;
/// At most this many (depth, p) pairs are fitted (the covariance is dense): throws
/// std::runtime_error above it, and the analysis reports such a fit without values.
inline constexpr std::size_t kMaxSurvivalPoints = 4000;

/// The points of a model on one task's data, their covariance from the data, factorised once:
/// the fits of every resample use it (a bootstrap with the covariance held fixed).
class SurvivalFitter {
 public:
  /// The points (t_i >= t_min, p_j) with kMinSurvivalCount samples on each side in the data,
  /// without repeats of one set of surviving samples (they would make the covariance
  /// singular); Cov(ln P_a, ln P_b) = (P_ab - P_a P_b) / (n P_a P_b), P_ab the fraction of
  /// samples surviving at both (the delta method). `p` ascending.
  SurvivalFitter(const SurvivalSamples& data, std::vector<double> p, SurvivalModel model);

  std::int64_t points() const { return static_cast<std::int64_t>(t_.size()); }
  double p_low() const { return p_.front(); }
  double p_high() const { return p_.back(); }

  /// The fit to the samples `samples` (the data itself: every index once), searched from
  /// `start` (by default from the best point of a grid over the bounds). NaN parameters if the
  /// points leave fewer than 2 degrees of freedom, or a resample empties one of them.
  SurvivalFit fit(const std::vector<std::size_t>& samples,
                  const std::optional<SurvivalFit>& start = std::nullopt) const;

 private:
  // chi^2 at (p_c, 1/nu_par) with the linear coefficients at their best; `coefficients` out.
  double chi2(const Eigen::VectorXd& y, double p_c, double inverse_nu,
              Eigen::VectorXd* coefficients = nullptr) const;

  const SurvivalSamples& data_;
  std::vector<double> p_;
  SurvivalModel model_;
  std::vector<std::size_t> depth_, level_;  // per point: its depth index and p index
  std::vector<double> t_, x_p_;             // per point: t and p
  Eigen::LLT<Eigen::MatrixXd> covariance_;
  Eigen::MatrixXd fixed_;  // the whitened columns that do not depend on p_c, 1/nu_par
};

/// The depth at which the fraction of `samples` reaching it at p falls to 1/2, between the two
/// stored depths around 1/2: ln(-ln fraction) linear in ln t (§12.4). NaN where the fraction is
/// still above 1/2 at the last depth, or already at or below it at the first.
double median_depth(const SurvivalSamples& data, double p, const std::vector<std::size_t>& samples);

/// ln median_depth at each p (ascending).
std::vector<double> ln_median_depths(const SurvivalSamples& data, const std::vector<double>& p,
                                     const std::vector<std::size_t>& samples);

/// The covariance of ln_median_depths over `resamples` bootstrap resamples of the samples
/// (bootstrap.hpp, keyed by seed and stream), and the p where every resample and the data
/// define it: what a fit of several widths holds fixed (§12.4).
struct MedianDepths {
  std::vector<double> p, ln_t;
  Eigen::MatrixXd covariance;
};
MedianDepths median_depths(const SurvivalSamples& data, const std::vector<double>& p, int resamples,
                           std::uint64_t seed, std::uint64_t stream);

/// Full input layers of widths W: the median survival depth T(p, W) near p_c follows
/// ln T = z ln W + g_0 + g_1 x + g_2 x^2 [+ e / W], x = (p - p_c) W^(1/nu_perp) (§12.4).
struct DepthScalingPoints {
  std::vector<double> widths;                ///< one entry per task
  std::vector<std::vector<double>> p, ln_t;  ///< per task: its p and ln T there
  std::vector<Eigen::MatrixXd> covariance;   ///< per task: of its ln T (tasks independent)
};
struct DepthScalingFit {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double p_c = kNaN, z = kNaN, nu_perp = kNaN;
  double chi2 = kNaN;
  std::int64_t points = 0;
  int free = 0;
};
inline constexpr double kMinInverseNuPerp = 0.2;
inline constexpr double kMaxInverseNuPerp = 2.5;
/// Generalised least squares with the tasks' covariances (block diagonal); p_c searched within
/// [p_low, p_high], 1/nu_perp within the bounds above, from `start` or a grid. NaN parameters
/// if a point is not finite or fewer than 2 degrees of freedom remain.
DepthScalingFit fit_depth_scaling(const DepthScalingPoints& points, bool correction, double p_low,
                                  double p_high,
                                  const std::optional<DepthScalingFit>& start = std::nullopt);

}  // namespace dropperc
