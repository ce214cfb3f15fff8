#include "dropperc/analysis/fit_verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <boost/math/special_functions/gamma.hpp>

namespace dropperc {

namespace {

std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

bool at(double value, double bound) {
  return std::isfinite(bound) && std::abs(value - bound) <= 1e-9 * std::max(1.0, std::abs(bound));
}

}  // namespace

FitVerdict judge_fit(const FitEvidence& fit) {
  FitVerdict v;
  std::vector<std::string> reasons;
  for (std::size_t k = 0; k < fit.values.size(); ++k) {
    const double value = fit.values[k];
    const std::string& name = fit.parameters.at(k);
    if (!std::isfinite(value)) {
      reasons.push_back(name + " is not finite on the data");
      continue;
    }
    const double low = k < fit.lower.size() ? fit.lower[k] : -INFINITY;
    const double high = k < fit.upper.size() ? fit.upper[k] : INFINITY;
    if (at(value, low) || at(value, high)) {
      reasons.push_back(name + " = " + shown(value) + " at a bound of its search interval [" +
                        shown(low) + ", " + shown(high) + "]");
    }
  }
  if (!std::isnan(fit.points)) {
    v.dof = fit.points - fit.free;
    if (v.dof <= 0) {
      reasons.push_back("dof = " + shown(v.dof) + ": " + shown(fit.points) + " points for " +
                        shown(fit.free) + " parameters");
    } else if (std::isfinite(fit.chi2) && fit.chi2 >= 0) {
      v.chi2_per_dof = fit.chi2 / v.dof;
      // Upper tail of the chi^2 distribution with dof degrees of freedom (§10.8).
      const double probability = boost::math::gamma_q(v.dof / 2, fit.chi2 / 2);
      if (probability < kMinimumFitProbability) {
        reasons.push_back("chi2/dof = " + shown(v.chi2_per_dof) + " with dof = " + shown(v.dof) +
                          ": P(chi2) = " + shown(probability) + " < " +
                          shown(kMinimumFitProbability));
      }
    }
  }
  if (fit.resamples > 0 && static_cast<double>(fit.failures) >
                               kMaximumFailedResamples * static_cast<double>(fit.resamples)) {
    reasons.push_back(std::to_string(fit.failures) + " of " + std::to_string(fit.resamples) +
                      " resamples failed (more than " + shown(100 * kMaximumFailedResamples) +
                      " %)");
  }
  v.valid = reasons.empty();
  for (const std::string& r : reasons)
    v.reason += (v.reason.empty() ? "" : "; ") + r;
  return v;
}

}  // namespace dropperc
