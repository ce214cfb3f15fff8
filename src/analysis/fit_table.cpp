#include "fit_table.hpp"

#include "contents.hpp"

#include "dropperc/core/rng.hpp"

namespace dropperc::detail {

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

void Fits::add(const std::string& fit, const std::string& model, const std::string& observable,
               const std::vector<std::string>& parameters, bool has_quality,
               const std::vector<std::size_t>& groups, const Estimator& estimator,
               const std::vector<double>& exact) {
  const Bootstrap b = bootstrap(groups, options_.resamples, seed_, name_stream(fit), estimator);
  const double quality = has_quality ? b.estimate[parameters.size()] : kNaN;
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    const Interval ci = b.interval(k);
    rows.push_back({fit, model, observable, parameters[k], b.estimate[k], b.error(k), ci.low,
                    ci.high, k < exact.size() ? exact[k] : kNaN, quality,
                    static_cast<std::int64_t>(b.failures(k))});
  }
  std::vector<std::string> names = parameters;
  if (has_quality) names.emplace_back("quality");
  sets.push_back({fit, names, b.resamples});
}

void Fits::add_direct(const std::string& fit, const std::string& model,
                      const std::string& observable, const std::vector<std::string>& parameters,
                      const std::vector<double>& values, const std::vector<double>& errors,
                      const std::vector<double>& exact) {
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    rows.push_back({fit, model, observable, parameters[k], values[k], errors[k],
                    values[k] - 1.96 * errors[k], values[k] + 1.96 * errors[k], exact[k], kNaN, 0});
  }
}

}  // namespace dropperc::detail
