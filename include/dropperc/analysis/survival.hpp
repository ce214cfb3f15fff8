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

}  // namespace dropperc
