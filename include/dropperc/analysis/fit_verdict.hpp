#pragma once
// Whether a fit is a result (docs/theory.md §10.8): the rules that every row of /analysis/fits
// is judged by, on what the fit itself knows (values, search intervals, points, chi^2, failed
// resamples).

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace dropperc {

/// A fit whose chi^2 with `dof` degrees of freedom has an upper-tail probability below this is
/// not a result: its model does not describe the points within their errors.
inline constexpr double kMinimumFitProbability = 1e-3;
/// A fit with more than this fraction of its bootstrap resamples failed is not a result.
inline constexpr double kMaximumFailedResamples = 0.1;

/// What a fit knows of itself.
struct FitEvidence {
  std::vector<std::string> parameters;  ///< names, for the reason
  std::vector<double> values;           ///< on the data
  /// The search interval of each parameter; +-infinity where it has none (also for derived or
  /// fixed parameters).
  std::vector<double> lower, upper;
  /// Points fitted and free parameters; points NaN for an estimate that is no fit to points (a
  /// quantile): then neither dof nor chi^2 applies.
  double points = std::numeric_limits<double>::quiet_NaN();
  double free = 0;
  double chi2 = std::numeric_limits<double>::quiet_NaN();  ///< at the best parameters
  std::int64_t failures = 0;   ///< the most failed resamples of any parameter
  std::int64_t resamples = 0;  ///< 0 for fits without a bootstrap
};

struct FitVerdict {
  bool valid = true;
  std::string reason;  ///< every rule broken, "; "-separated; "" when valid
  double dof = std::numeric_limits<double>::quiet_NaN();
  double chi2_per_dof = std::numeric_limits<double>::quiet_NaN();
};

/// A fit is not a result when (§10.8): a value on the data is not finite; a parameter sits at a
/// bound of its search interval (to 1e-9 relative); dof = points - free <= 0 (it goes through
/// its points, e.g. a line through two); the chi^2 probability Q(dof / 2, chi^2 / 2) is below
/// kMinimumFitProbability; more than kMaximumFailedResamples of its resamples failed.
FitVerdict judge_fit(const FitEvidence& fit);

}  // namespace dropperc
