#include "scaling_fits.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <string>

#include "threshold_estimates.hpp"

#include "dropperc/core/canonical_number.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc::detail {

namespace {

// Points (W, L, p, theta) at the curve points of every task, from the resampled thresholds, or
// with the exact theta at the same p (and the errors n samples would have) when `exact`.
std::vector<LayeredPoint> layered_points(const std::vector<const ThresholdTask*>& tasks, int s,
                                         const Resample& r, bool exact) {
  std::vector<LayeredPoint> points;
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    const ThresholdTask& t = *tasks[k];
    const SizeCurve curve = threshold_curve(pick(t.thresholds[s], r[k]), 0, true);
    const DropoutModel model = *parse_dropout_model(t.model);
    const auto n = static_cast<double>(r[k].size());
    for (std::size_t j = 0; j < curve.p.size(); ++j) {
      double theta = curve.value[j], error = curve.error[j];
      if (exact) {
        theta = spanning_probability(t.arch, Dropout::of(model, curve.p[j])).theta;
        error = std::sqrt(theta * (1 - theta) / n);
      }
      points.push_back({static_cast<double>(t.arch.width()), static_cast<double>(t.arch.depth()),
                        curve.p[j], theta, error});
    }
  }
  return points;
}

// How well theta collapses in x = ln L + c W^kappa ln p (§10.4): the Houdayer-Hartmann quality
// of the tasks' curves drawn against x (collapse_quality with p_c = 0, b = 0 reads p as x).
double quality_in_x(const std::vector<LayeredPoint>& points, const KappaFit& f) {
  std::map<std::pair<double, double>, SizeCurve> curves;  // by (W, L); points come in p order
  for (const LayeredPoint& pt : points) {
    SizeCurve& c = curves[{pt.width, pt.depth}];
    c.size = 1.0;
    c.p.push_back(std::log(pt.depth) + f.c * std::pow(pt.width, f.kappa) * std::log(pt.p));
    c.value.push_back(pt.theta);
    c.error.push_back(pt.error);
  }
  std::vector<SizeCurve> all;
  for (auto& [key, c] : curves)
    all.push_back(std::move(c));
  return collapse_quality(all, {0.0, 0.0, 0.0}).quality;
}

// kappa, c, the local exponents between consecutive widths, ln(s_b / s_a) / ln(b / a), the
// quality of the collapse in x, and the chi^2 and number of points of ln s_W against ln W.
std::vector<double> kappa_parameters(const std::vector<LayeredPoint>& points, std::size_t local) {
  const KappaFit f = fit_kappa(points);
  std::vector<double> v{f.kappa, f.c};
  const bool every_width = f.slopes.size() == local + 1;  // else the names would not match
  for (std::size_t k = 0; k < local; ++k) {
    v.push_back(every_width ? std::log(f.slopes[k + 1] / f.slopes[k]) /
                                  std::log(f.widths[k + 1] / f.widths[k])
                            : kNaN);
  }
  v.push_back(std::isfinite(f.kappa) ? quality_in_x(points, f) : kNaN);
  v.push_back(f.chi2);
  v.push_back(static_cast<double>(f.points));
  return v;
}

// §10.4 on every thresholds task of a model: ln(-ln theta) - ln L against ln p, per width; for
// directed spanning the same fit on exact theta (the Markov chain of §3) is the comparison, when
// every task is small enough for it (exact_is_affordable). Keeps the lines of the widths and
// the points of the collapse in x on the data.
void kappa_fit(const std::vector<const ThresholdTask*>& tasks, const std::string& model, int s,
               Fits& fits) {
  std::set<int> widths;
  for (const ThresholdTask* t : tasks)
    widths.insert(t->arch.width());
  if (widths.size() < 2) return;
  std::vector<std::string> names{"kappa", "c"};
  for (auto a = widths.begin(), b = std::next(a); b != widths.end(); ++a, ++b)
    names.push_back("kappa_W" + std::to_string(*a) + "_W" + std::to_string(*b));
  const std::size_t local = widths.size() - 1;
  std::vector<double> exact;
  const bool affordable = std::all_of(tasks.begin(), tasks.end(), [](const ThresholdTask* t) {
    return exact_is_affordable(t->arch, t->model);
  });
  if (s == 0 && affordable) {
    exact = kappa_parameters(layered_points(tasks, s, every_sample(tasks, s), true), local);
    exact.resize(names.size());  // the quality has no exact counterpart
  }
  const std::string fit = std::string("kappa_") + model + "_" + kSpanning[s];
  FitSpec spec =
      describe(fit, model, std::string("theta_") + kSpanning[s], "kappa", kSpanning[s], names);
  spec.about.scaling = "width";
  spec.about.min_size = *widths.begin();
  spec.about.input_width = shared_input_width(tasks);
  spec.tasks = task_names(tasks);
  spec.has_quality = true;
  spec.free = 2;  // ln c and kappa in ln s_W = ln c + kappa ln W
  spec.chi2 = true;
  fits.add(
      spec, sample_counts(tasks, s),
      [&](const Resample& r) {
        return kappa_parameters(layered_points(tasks, s, r, false), local);
      },
      exact);
  const KappaFit f = fit_kappa(layered_points(tasks, s, every_sample(tasks, s), false));
  for (std::size_t k = 0; k < f.widths.size(); ++k) {
    fits.slopes.push_back({fit, static_cast<std::int64_t>(f.widths[k]), f.slopes[k],
                           f.slope_errors[k], f.intercepts[k], f.ln_p_low[k], f.ln_p_high[k]});
  }
  if (!std::isfinite(f.kappa)) return;
  for (const ThresholdTask* t : tasks) {  // x = ln L + c W^kappa ln p
    const SizeCurve curve = threshold_curve(t->thresholds[s], 0, true);
    const double depth = t->arch.depth(), width = t->arch.width();
    for (std::size_t j = 0; j < curve.p.size(); ++j) {
      fits.points.push_back(
          {fit, t->name, width, curve.p[j], curve.value[j],
           std::log(depth) + f.c * std::pow(width, f.kappa) * std::log(curve.p[j]), curve.value[j],
           curve.error[j]});
    }
  }
}

// §10.3 for one family of sizes: S = width at a fixed depth, or S = depth at a fixed width, or
// S = width with L tied to it (`fixed` NaN; of a depth law's scale `depth_scale`, else NaN).
void collapse_fit(const std::vector<const ThresholdTask*>& family, bool by_width,
                  const std::string& fit, const std::string& model, int s, double fixed,
                  double depth_scale, Fits& fits) {
  auto size = [by_width](const ThresholdTask& t) {
    return static_cast<double>(by_width ? t.arch.width() : t.arch.depth());
  };
  const ThresholdTask& largest = **std::max_element(
      family.begin(), family.end(), [&](auto* a, auto* b) { return size(*a) < size(*b); });
  const ThresholdTask& smallest = **std::min_element(
      family.begin(), family.end(), [&](auto* a, auto* b) { return size(*a) < size(*b); });
  CollapseSpec spec;
  spec.start.p_c = summarize_thresholds(largest.thresholds[s]).p_half;
  spec.start.b = 1.0;
  spec.step = {0.02, 0.2, 0.1};
  spec.lower.p_c = 0.0;  // a drop probability
  spec.upper.p_c = 1.0;
  spec = fits.collapse(spec);
  FitSpec about = describe(fit, model, std::string("theta_") + kSpanning[s], "collapse",
                           kSpanning[s], {"p_c", "b"});
  about.about.scaling = by_width ? "width" : "depth";
  about.about.fixed_size = fixed;
  about.about.depth_scale = depth_scale;
  about.about.min_size = size(smallest);
  about.about.input_width = shared_input_width(family);
  about.tasks = task_names(family);
  collapse_bounds(spec, about);
  auto curves_of = [&](const Resample& r) {
    std::vector<SizeCurve> curves;
    for (std::size_t k = 0; k < family.size(); ++k) {
      curves.push_back(
          threshold_curve(pick(family[k]->thresholds[s], r[k]), size(*family[k]), true));
    }
    return curves;
  };
  fits.add(about, sample_counts(family, s), [&](const Resample& r) {
    const CollapseFit f = fit_collapse(curves_of(r), spec);
    return std::vector<double>{f.best.p_c, f.best.b, f.quality.quality,
                               f.quality.quality * static_cast<double>(f.quality.terms),
                               static_cast<double>(f.quality.terms)};
  });
  const std::vector<double> best = fits.last_values();
  add_collapse_points(fits, fit, about.tasks, curves_of(every_sample(family, s)),
                      {best[0], best[1], 0.0});
}

// §10.3 over the lattice sizes of one model: p_c, b = 1/nu and nu itself from the same fits.
void lattice_collapse(const std::vector<const LatticeTask*>& family, const std::string& fit,
                      Fits& fits) {
  const LatticeTask& largest = **std::max_element(
      family.begin(), family.end(), [](auto* a, auto* b) { return a->size < b->size; });
  CollapseSpec spec;
  spec.start = {summarize_thresholds(largest.thresholds).p_half, 0.75, 0.0};
  spec.step = {0.01, 0.1, 0.1};
  spec.lower.p_c = 0.0;  // an occupation probability
  spec.upper.p_c = 1.0;
  spec = fits.collapse(spec);
  std::vector<std::size_t> counts;
  std::vector<std::string> tasks;
  for (const LatticeTask* t : family) {
    counts.push_back(t->thresholds.size());
    tasks.push_back(t->name);
  }
  const std::string& model = largest.model;
  FitSpec about = describe(fit, model, "spanning_probability", "lattice_collapse", kCrossing,
                           {"p_c", "b", "nu"});
  about.about.scaling = "size";
  about.about.min_size = static_cast<double>(family.front()->size);
  about.tasks = tasks;
  collapse_bounds(spec, about);
  about.held[2] = about.held[1];  // nu = 1/b
  auto curves_of = [&](const Resample& r) {
    std::vector<SizeCurve> curves;
    for (std::size_t k = 0; k < family.size(); ++k) {
      curves.push_back(threshold_curve(pick(family[k]->thresholds, r[k]),
                                       static_cast<double>(family[k]->size), false));
    }
    return curves;
  };
  // Published values (docs/theory.md §10.6): p_c, 1/nu, nu.
  const double p_c = model == "lattice_bond" ? 0.5 : 0.59274621;
  fits.add(about, counts,
           [&](const Resample& r) {
             const CollapseFit f = fit_collapse(curves_of(r), spec);
             return std::vector<double>{f.best.p_c,
                                        f.best.b,
                                        1.0 / f.best.b,
                                        f.quality.quality,
                                        f.quality.quality * static_cast<double>(f.quality.terms),
                                        static_cast<double>(f.quality.terms)};
           },
           {p_c, 0.75, 4.0 / 3.0});
  const std::vector<double> best = fits.last_values();
  Resample all;
  for (std::size_t n : counts) {
    all.emplace_back(n);
    std::iota(all.back().begin(), all.back().end(), std::size_t{0});
  }
  add_collapse_points(fits, fit, tasks, curves_of(all), {best[0], best[1], 0.0});
}

}  // namespace

// The search interval of each collapse parameter (p_c, b, a) that `spec` fits, and how many.
void collapse_bounds(const CollapseSpec& spec, FitSpec& fit) {
  const bool free[] = {spec.fit_p_c, spec.fit_b, spec.fit_a};
  const double lower[] = {spec.lower.p_c, spec.lower.b, spec.lower.a};
  const double upper[] = {spec.upper.p_c, spec.upper.b, spec.upper.a};
  fit.lower.assign(fit.parameters.size(), -kInfinity);
  fit.upper.assign(fit.parameters.size(), kInfinity);
  // p_c and b are fitted unless the options hold them (Fits::collapse); the third is a or a
  // derived parameter, never held by the user.
  fit.held.assign(fit.parameters.size(), false);
  for (std::size_t k = 0; k < 2 && k < fit.parameters.size(); ++k)
    fit.held[k] = !free[k];
  for (std::size_t k = 0; k < 3 && k < fit.parameters.size(); ++k) {
    if (!free[k]) continue;
    fit.lower[k] = lower[k];
    fit.upper[k] = upper[k];
    fit.free += 1;
  }
  fit.has_quality = true;
  fit.chi2 = true;
}

void add_collapse_points(Fits& fits, const std::string& fit, const std::vector<std::string>& tasks,
                         const std::vector<SizeCurve>& curves, const ScalingParameters& best) {
  for (std::size_t k = 0; k < curves.size(); ++k) {
    const SizeCurve& c = curves[k];
    const double scale = std::pow(c.size, best.a);  // y = S^a O, x = (p - p_c) S^b (§10.3)
    for (std::size_t j = 0; j < c.p.size(); ++j) {
      fits.points.push_back({fit, tasks[k], c.size, c.p[j], c.value[j],
                             (c.p[j] - best.p_c) * std::pow(c.size, best.b), scale * c.value[j],
                             scale * c.error[j]});
    }
  }
}

void lattice_fits(const Contents& c, Fits& fits) {
  std::map<std::string, std::vector<const LatticeTask*>> lattices;
  for (const LatticeTask& t : c.lattice)
    lattices[t.model].push_back(&t);
  // Corrections to scaling fade with size: the fit over sizes >= L_min, for every L_min that
  // leaves 3 sizes or more, shows how far they matter.
  for (auto& [model, family] : lattices) {
    std::sort(family.begin(), family.end(), [](auto* a, auto* b) { return a->size < b->size; });
    for (std::size_t first = 0; first + 3 <= family.size(); ++first) {
      lattice_collapse({family.begin() + static_cast<std::ptrdiff_t>(first), family.end()},
                       "collapse_" + model + "_Lmin" + std::to_string(family[first]->size), fits);
    }
  }
}
bool tied(std::vector<const ThresholdTask*> tasks) {
  if (tasks.size() < 3) return false;
  std::sort(tasks.begin(), tasks.end(),
            [](auto* a, auto* b) { return a->arch.width() < b->arch.width(); });
  for (std::size_t k = 1; k < tasks.size(); ++k) {
    if (tasks[k]->arch.width() == tasks[k - 1]->arch.width() ||
        tasks[k]->arch.depth() <= tasks[k - 1]->arch.depth())
      return false;
  }
  return true;
}

// Per model and spanning: the kappa fit over all widths, and collapses of every family of 3 or
// more sizes (W at a fixed depth, L at a fixed width, W with L tied to it).
void layered_fits(const Contents& c, Fits& fits) {
  std::set<std::string> models;
  for (const ThresholdTask& t : c.thresholds)
    models.insert(t.model);
  for (const std::string& model : models) {
    for (int s = 0; s < 2; ++s) {
      const auto tasks = select(c, model, s);
      if (tasks.empty()) continue;
      kappa_fit(tasks, model, s, fits);
      std::map<int, std::vector<const ThresholdTask*>> by_depth, by_width;
      for (const ThresholdTask* t : tasks) {
        by_depth[t->arch.depth()].push_back(t);
        by_width[t->arch.width()].push_back(t);
      }
      const std::string base = std::string("collapse_") + model + "_" + kSpanning[s];
      for (const auto& [depth, family] : by_depth) {
        if (family.size() >= 3)
          collapse_fit(family, true, base + "_W_at_L" + std::to_string(depth), model, s, depth,
                       kNaN, fits);
      }
      for (const auto& [width, family] : by_width) {
        if (family.size() >= 3)
          collapse_fit(family, false, base + "_L_at_W" + std::to_string(width), model, s, width,
                       kNaN, fits);
      }
      if (tied(tasks)) collapse_fit(tasks, true, base + "_W_with_L", model, s, kNaN, kNaN, fits);
      std::map<double, std::vector<const ThresholdTask*>> by_depth_scale;  // a depth law's
      for (const ThresholdTask* t : tasks) {
        if (!std::isnan(t->depth_scale)) by_depth_scale[t->depth_scale].push_back(t);
      }
      for (const auto& [scale, family] : by_depth_scale) {
        if (by_depth_scale.size() > 1 && tied(family))
          collapse_fit(family, true, base + "_W_with_L_a" + canonical_number(scale), model, s, kNaN,
                       scale, fits);
      }
    }
  }
}

}  // namespace dropperc::detail
