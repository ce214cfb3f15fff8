#include "fit_table.hpp"

#include <algorithm>

#include "contents.hpp"

#include "dropperc/analysis/fit_verdict.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc::detail {

FitSpec describe(const std::string& fit, const std::string& model, const std::string& observable,
                 const std::string& family, const std::string& spanning,
                 const std::vector<std::string>& parameters) {
  FitSpec spec;
  spec.about.fit = fit;
  spec.about.model = model;
  spec.about.observable = observable;
  spec.about.family = family;
  spec.about.spanning = spanning;
  spec.parameters = parameters;
  return spec;
}

CollapseSpec Fits::collapse(CollapseSpec spec) const {
  if (options_.fixed_p_c) {
    spec.fit_p_c = false;
    spec.start.p_c = *options_.fixed_p_c;
  }
  if (options_.fixed_b) {
    spec.fit_b = false;
    spec.start.b = *options_.fixed_b;
  }
  return spec;
}

void Fits::add(const FitSpec& spec, const std::vector<std::size_t>& groups,
               const Estimator& estimator, const std::vector<double>& exact) {
  const std::string& fit = spec.about.fit;
  const std::size_t n = spec.parameters.size();
  const Bootstrap b = bootstrap(groups, options_.resamples, seed_, name_stream(fit), estimator);
  const double quality = spec.has_quality ? b.estimate[n] : kNaN;
  const std::size_t stored = n + (spec.has_quality ? 1 : 0);
  std::vector<double> errors;
  std::vector<Interval> intervals;
  std::vector<std::int64_t> failures;
  for (std::size_t k = 0; k < n; ++k) {
    errors.push_back(b.error(k));
    intervals.push_back(b.interval(k));
    failures.push_back(static_cast<std::int64_t>(b.failures(k)));
  }
  add_rows(spec, {b.estimate.begin(), b.estimate.begin() + static_cast<std::ptrdiff_t>(n)}, errors,
           intervals, exact, quality, failures, options_.resamples,
           spec.chi2 ? b.estimate[stored] : kNaN, spec.chi2 ? b.estimate[stored + 1] : kNaN);
  std::vector<std::string> names = spec.parameters;
  if (spec.has_quality) names.emplace_back("quality");
  std::vector<std::vector<double>> resamples = b.resamples;
  for (auto& r : resamples)
    r.resize(stored);  // without chi^2 and points
  sets.push_back({fit, names, std::move(resamples)});
}

void Fits::add_direct(const FitSpec& spec, const std::vector<double>& values,
                      const std::vector<double>& errors, const std::vector<double>& exact,
                      double chi2, double fitted_points) {
  std::vector<Interval> intervals;
  for (std::size_t k = 0; k < values.size(); ++k)
    intervals.push_back({values[k] - 1.96 * errors[k], values[k] + 1.96 * errors[k]});
  add_rows(spec, values, errors, intervals, exact, kNaN,
           std::vector<std::int64_t>(values.size(), 0), 0, chi2, fitted_points);
}

std::vector<double> Fits::last_values() const {
  std::vector<double> values;
  for (std::size_t k = last_; k < rows.size(); ++k)
    values.push_back(rows[k].value);
  return values;
}

void Fits::add_rows(const FitSpec& spec, const std::vector<double>& values,
                    const std::vector<double>& errors, const std::vector<Interval>& intervals,
                    const std::vector<double>& exact, double quality,
                    const std::vector<std::int64_t>& failures, std::int64_t resamples, double chi2,
                    double fitted_points) {
  FitEvidence evidence{spec.parameters, values, spec.lower, spec.upper};
  if (spec.chi2) {
    evidence.points = fitted_points;
    evidence.free = spec.free;
    evidence.chi2 = chi2;
  }
  evidence.failures = failures.empty() ? 0 : *std::max_element(failures.begin(), failures.end());
  evidence.resamples = resamples;
  const FitVerdict verdict = judge_fit(evidence);
  last_ = rows.size();
  for (std::size_t k = 0; k < spec.parameters.size(); ++k) {
    FitRow row = spec.about;
    row.parameter = spec.parameters[k];
    row.value = values[k];
    row.error = errors[k];
    row.low = intervals[k].low;
    row.high = intervals[k].high;
    row.exact = k < exact.size() ? exact[k] : kNaN;
    row.quality = quality;
    row.failures = failures[k];
    row.held = k < spec.held.size() && spec.held[k] ? 1 : 0;
    row.valid = verdict.valid ? 1 : 0;
    row.reason = verdict.reason;
    row.dof = verdict.dof;
    row.chi2_per_dof = verdict.chi2_per_dof;
    rows.push_back(std::move(row));
  }
  for (const std::string& task : spec.tasks)
    tasks.push_back({spec.about.fit, task});
}

}  // namespace dropperc::detail
