#include "keep_law_fits.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "scaling_fits.hpp"

#include "dropperc/core/canonical_number.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc::detail {

namespace {

// theta of a thresholds task of a keep law at the job's keep scales c (ascending), from the
// chosen samples: the fraction with p* > p(c) (§10.7), with binomial errors.
SizeCurve keep_curve(const ThresholdTask& t, std::vector<double> thresholds) {
  std::sort(thresholds.begin(), thresholds.end());
  const auto n = static_cast<double>(thresholds.size());
  std::vector<std::size_t> order(t.curve_keep.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return t.curve_keep[a] < t.curve_keep[b]; });
  SizeCurve curve{static_cast<double>(t.arch.width()), {}, {}, {}};
  for (std::size_t j : order) {
    const auto above = static_cast<double>(
        thresholds.end() - std::upper_bound(thresholds.begin(), thresholds.end(), t.curve_p[j]));
    const double theta = above / n;
    curve.p.push_back(t.curve_keep[j]);
    curve.value.push_back(theta);
    curve.error.push_back(std::sqrt(theta * (1 - theta) / n));
  }
  return curve;
}

// "_in<k>" for networks fed by k input units when k differs from the width, else "".
std::string input_suffix(const Architecture& arch) {
  return arch.input_width == arch.width() ? "" : "_in" + std::to_string(arch.input_width);
}

// The family's theta at c = 1 (a keep scale of the job) against W: theta ~ W^-exponent, on the
// chosen samples, or on exact theta when `exact` (§10.7). NaNs if c = 1 is not a keep scale.
std::vector<double> theta_at_critical(const std::vector<const ThresholdTask*>& family, int s,
                                      const Resample& r, bool exact) {
  std::vector<double> widths, theta, errors;
  for (std::size_t k = 0; k < family.size(); ++k) {
    const ThresholdTask& t = *family[k];
    const auto at = std::find(t.curve_keep.begin(), t.curve_keep.end(), 1.0);
    if (at == t.curve_keep.end()) return {kNaN, kNaN, kNaN, kNaN};
    const double p = t.curve_p[static_cast<std::size_t>(at - t.curve_keep.begin())];
    const std::vector<double> chosen = pick(t.thresholds[s], r[k]);
    const auto n = static_cast<double>(chosen.size());
    double value = static_cast<double>(std::count_if(chosen.begin(), chosen.end(),
                                                     [p](double x) { return x > p; })) /
                   n;
    if (exact)
      value = spanning_probability(t.arch, Dropout::of(*parse_dropout_model(t.model), p)).theta;
    widths.push_back(static_cast<double>(t.arch.width()));
    theta.push_back(value);
    errors.push_back(std::sqrt(value * (1 - value) / n));
  }
  const PowerLawFit f = fit_power_law(widths, theta, errors);
  return {f.exponent, f.amplitude, f.chi2, static_cast<double>(f.points)};
}

}  // namespace

void critical_fits(const Contents& c, Fits& fits) {
  std::map<std::tuple<std::string, int, std::string, double>, std::vector<const ThresholdTask*>>
      families;
  for (const ThresholdTask& t : c.thresholds) {
    if (t.curve_keep.empty() || std::isnan(t.depth_scale) ||
        !in_families(t.arch, t.p_input, t.topology))
      continue;
    for (int s = 0; s < 2; ++s) {
      if (!t.thresholds[s].empty())
        families[{t.model, s, input_suffix(t.arch), t.depth_scale}].push_back(&t);
    }
  }
  for (auto& entry : families) {
    // Named, not structured bindings: lambdas below capture them (Clang 14 cannot).
    const auto& key = entry.first;
    std::vector<const ThresholdTask*>& family = entry.second;
    const std::string model = std::get<0>(key), input = std::get<2>(key);
    const int s = std::get<1>(key);
    const double scale = std::get<3>(key);
    std::sort(family.begin(), family.end(),
              [](auto* a, auto* b) { return a->arch.width() < b->arch.width(); });
    if (!tied(family)) continue;
    const std::string base =
        std::string("_") + model + "_" + kSpanning[s] + "_keep_a" + canonical_number(scale) + input;
    const std::string observable = std::string("theta_") + kSpanning[s];
    // Mean field from a single input unit: c_c = 1, b = a = 1/2 (§10.7).
    const std::vector<double> mean_field = family.front()->arch.input_width == 1
                                               ? std::vector<double>{1.0, 0.5, 0.5}
                                               : std::vector<double>{};
    auto describe_family = [&](const std::string& fit, const std::string& kind,
                               const std::vector<const ThresholdTask*>& tasks,
                               const std::vector<std::string>& parameters) {
      FitSpec spec = describe(fit, model, observable, kind, kSpanning[s], parameters);
      spec.about.scaling = "width";
      spec.about.depth_scale = scale;
      spec.about.input_width = shared_input_width(tasks);
      spec.about.min_size = tasks.front()->arch.width();
      spec.tasks = task_names(tasks);
      spec.chi2 = true;
      return spec;
    };
    for (std::size_t first = 0; first + 3 <= family.size(); ++first) {
      const std::vector<const ThresholdTask*> sizes(
          family.begin() + static_cast<std::ptrdiff_t>(first), family.end());
      CollapseSpec spec;
      spec.start = {1.0, 1.0, 0.0};
      spec.step = {0.05, 0.2, 0.2};
      spec.fit_a = true;
      spec.lower.p_c = 0.0;  // a keep scale
      const std::string fit =
          "collapse" + base + "_Wmin" + std::to_string(sizes.front()->arch.width());
      FitSpec about = describe_family(fit, "keep_collapse", sizes, {"c_c", "b", "a"});
      collapse_bounds(spec, about);
      auto curves_of = [&](const Resample& r) {
        std::vector<SizeCurve> curves;
        for (std::size_t k = 0; k < sizes.size(); ++k)
          curves.push_back(keep_curve(*sizes[k], pick(sizes[k]->thresholds[s], r[k])));
        return curves;
      };
      fits.add(
          about, sample_counts(sizes, s),
          [&](const Resample& r) {
            const CollapseFit f = fit_collapse(curves_of(r), spec);
            return std::vector<double>{f.best.p_c,
                                       f.best.b,
                                       f.best.a,
                                       f.quality.quality,
                                       f.quality.quality * static_cast<double>(f.quality.terms),
                                       static_cast<double>(f.quality.terms)};
          },
          mean_field);
      const std::vector<double> best = fits.last_values();
      add_collapse_points(fits, fit, about.tasks, curves_of(every_sample(sizes, s)),
                          {best[0], best[1], best[2]});
    }
    const Resample all = every_sample(family, s);
    const std::vector<double> exact =
        s == 0 ? theta_at_critical(family, s, all, true) : std::vector<double>{};
    if (std::isnan(theta_at_critical(family, s, all, false)[0])) continue;  // c = 1 not scanned
    FitSpec about =
        describe_family("theta_c1" + base, "theta_at_keep_1", family, {"exponent", "amplitude"});
    about.about.keep_scale = 1.0;
    about.free = 2;
    fits.add(
        about, sample_counts(family, s),
        [&](const Resample& r) { return theta_at_critical(family, s, r, false); }, exact);
  }
}

// §10.7: the mean extinction depth of percolation tasks of a keep law against W,
// D = amplitude W^exponent, per (model, input width, keep scale, depth scale) with 3 widths or
// more; weighted least squares on ln D with the tasks' standard errors. The exact comparison is
// the same fit on E[min(D, L + 1)] of the reachable-count chain (§5).
void extinction_fits(const Contents& c, Fits& fits) {
  std::map<std::tuple<std::string, std::string, double, double>, std::vector<const KeepLawTask*>>
      families;
  for (const KeepLawTask& t : c.keep_law) {
    if (!std::isnan(t.depth_scale) && in_families(t.arch, t.p_input, t.topology))
      families[{t.model, input_suffix(t.arch), t.keep, t.depth_scale}].push_back(&t);
  }
  for (auto& [key, family] : families) {
    const auto& [model, input, keep, scale] = key;
    std::set<int> widths;
    for (const KeepLawTask* t : family)
      widths.insert(t->arch.width());
    if (widths.size() < 3 || widths.size() != family.size()) continue;
    std::vector<double> x, y, sigma, y_exact;
    for (const KeepLawTask* t : family) {
      x.push_back(std::log(t->arch.width()));
      y.push_back(std::log(t->extinction_depth));
      sigma.push_back(t->extinction_depth_error / t->extinction_depth);
      const ReachableChain chain =
          reachable_chain(t->arch, Dropout::of(*parse_dropout_model(t->model), t->p));
      y_exact.push_back(std::log(chain.expected_extinction_depth));
    }
    const LineFit f = fit_line(x, y, sigma);
    const LineFit e = fit_line(x, y_exact, sigma);
    const double amplitude = std::exp(f.intercept);
    FitSpec about =
        describe("extinction_depth_" + model + "_c" + canonical_number(keep) + "_a" +
                     canonical_number(scale) + input,
                 model, "extinction_depth", "extinction_depth", "", {"exponent", "amplitude"});
    about.about.scaling = "width";
    about.about.depth_scale = scale;
    about.about.keep_scale = keep;
    about.about.min_size = *widths.begin();
    double input_width = family.front()->arch.input_width;
    for (const KeepLawTask* t : family) {
      about.tasks.push_back(t->name);
      if (t->arch.input_width != input_width) input_width = kNaN;
    }
    about.about.input_width = input_width;
    about.free = 2;
    about.chi2 = true;
    fits.add_direct(about, {f.slope, amplitude}, {f.slope_error, amplitude * f.intercept_error},
                    {e.slope, std::exp(e.intercept)}, f.chi2, static_cast<double>(f.points));
  }
}

}  // namespace dropperc::detail
