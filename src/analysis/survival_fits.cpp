#include "survival_fits.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "dropperc/core/statistics.hpp"

namespace dropperc::detail {

namespace {

// The job's p at or above the task's floor (below it the thresholds are censored).
std::vector<double> resolved_p(const ThresholdTask& t) {
  std::vector<double> p;
  for (double x : t.curve_p) {
    if (x >= t.floor) p.push_back(x);
  }
  std::sort(p.begin(), p.end());
  return p;
}

// Directed percolation on the square lattice, series expansions of I. Jensen, J. Phys. A 32,
// 5233 (1999), arXiv cond-mat/9906036: keep thresholds q_c and the exponents delta = beta /
// nu_par and nu_par, in the order of the fit's parameters (p_c = 1 - q_c, delta, nu_par). A local
// network of K = 2 on a 1-D periodic layer is that lattice (§12.1).
constexpr double kBeta = 0.276486, kNuPar = 1.733847, kNuPerp = 1.096854;

// Jensen's p_c = 1 - q_c of the task's lattice, NaN where it is not the directed square lattice.
double published_p_c(const ThresholdTask& t) {
  const Topology& g = t.topology;
  const bool square = g.connectivity == Connectivity::local && g.kernel == 2 && g.dimensions == 1 &&
                      g.channels == 1 && g.boundary == Boundary::periodic && t.p_input == 0.0;
  if (!square || (t.model != "bond" && t.model != "site")) return kNaN;
  return 1.0 - (t.model == "bond" ? 0.644700185 : 0.705485);
}

// The seed fits' parameters: p_c, delta and nu_par.
std::vector<double> published(const ThresholdTask& t) {
  const double p_c = published_p_c(t);
  if (std::isnan(p_c)) return {};
  return {p_c, kBeta / kNuPar, kNuPar};
}

std::vector<std::size_t> every(std::size_t n) {
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

// The t_min of a task's fits: 10^(1 + k/2) while at least 4 stored depths lie at or above
// 3 t_min (a decade of depths at least).
std::vector<double> smallest_depths(const std::vector<double>& depths) {
  std::vector<double> t_min;
  for (int k = 0;; ++k) {
    const double t = std::round(std::pow(10.0, 1.0 + k / 2.0));
    const auto deep =
        std::count_if(depths.begin(), depths.end(), [&](double d) { return d >= 3.0 * t; });
    if (deep < 4) break;
    t_min.push_back(t);
  }
  return t_min;
}

void fit_task(const ThresholdTask& t, double t_min, bool correction, Fits& fits) {
  const std::vector<double> p = resolved_p(t);
  std::string fit = "survival_" + t.name + "_tmin" + std::to_string(static_cast<long long>(t_min));
  if (correction) fit += "_corrected";
  FitSpec spec =
      describe(fit, t.model, "seed_survival", "survival", kSpanning[0], {"p_c", "delta", "nu_par"});
  spec.about.scaling = "depth";
  spec.about.fixed_size = static_cast<double>(t.arch.width());
  spec.about.input_width = 1;
  spec.about.min_size = t_min;
  spec.about.correction = correction ? "1/t" : "";
  spec.tasks = {t.name};
  spec.chi2 = true;
  spec.lower = {p.front(), -kInfinity, 1.0 / kMaxInverseNuPar};
  spec.upper = {p.back(), kInfinity, 1.0 / kMinInverseNuPar};
  std::optional<SurvivalFitter> fitter;
  try {
    fitter.emplace(t.survival, p, SurvivalModel{t_min, correction});
  } catch (const std::runtime_error&) {
    fitter.reset();  // a singular covariance: reported as a fit without values
  }
  spec.free = fitter ? static_cast<double>((correction ? 3 : 2) + 4) : 0.0;
  const std::size_t n = t.survival.count();
  std::optional<SurvivalFit> best;
  fits.add(
      spec, {n},
      [&](const Resample& r) -> std::vector<double> {
        if (!fitter) return {kNaN, kNaN, kNaN, kNaN, 0.0};
        const SurvivalFit f = best ? fitter->fit(r[0], best) : fitter->fit(r[0]);
        if (!best) best = f;  // the data come first (bootstrap.hpp)
        return {f.p_c, f.delta, f.nu_par, f.chi2, static_cast<double>(f.points)};
      },
      published(t));
}

// The local network's part of a fit's name, as in task names: K3, K3open, K2_2dC4.
std::string topology_key(const Topology& t) {
  std::string key = "K" + std::to_string(t.kernel);
  if (t.boundary == Boundary::open) key += "open";
  if (t.dimensions == 2) key += "_2dC" + std::to_string(t.channels);
  return key;
}

// Full input layers of one model and topology, by width: the families of depth-scaling fits.
std::map<std::string, std::vector<const ThresholdTask*>> full_input_families(const Contents& c) {
  std::map<std::string, std::vector<const ThresholdTask*>> families;
  for (const ThresholdTask& t : c.thresholds) {
    const bool full = t.arch.is_uniform() && t.arch.input_width == t.arch.width() &&
                      t.p_input == 0.0 && !t.survival.depths.empty() &&
                      t.topology.connectivity == Connectivity::local && t.topology.residual == 0 &&
                      resolved_p(t).size() >= 3;
    if (full) families[t.model + "_" + topology_key(t.topology)].push_back(&t);
  }
  for (auto& [key, tasks] : families) {
    std::sort(tasks.begin(), tasks.end(), [](const ThresholdTask* a, const ThresholdTask* b) {
      return a->arch.width() < b->arch.width();
    });
  }
  return families;
}

// The depth-scaling fits' parameters: p_c, z = nu_par / nu_perp and nu_perp.
std::vector<double> published_depth_scaling(const ThresholdTask& t) {
  const double p_c = published_p_c(t);
  if (std::isnan(p_c)) return {};
  return {p_c, kNuPar / kNuPerp, kNuPerp};
}

// The fit of the family's tasks from `first` on; `medians` holds each task's median depths and
// their covariance, computed once for all the fits of the family.
void fit_depth_family(const std::string& key, const std::vector<const ThresholdTask*>& tasks,
                      const std::vector<MedianDepths>& medians, std::size_t first, bool correction,
                      Fits& fits) {
  const std::vector<const ThresholdTask*> used(tasks.begin() + static_cast<std::ptrdiff_t>(first),
                                               tasks.end());
  const std::vector<double> p = resolved_p(*used.front());
  DepthScalingPoints points;
  std::vector<std::size_t> groups;
  for (std::size_t k = first; k < tasks.size(); ++k) {
    const ThresholdTask* t = tasks[k];
    const MedianDepths& m = medians[k];
    points.widths.push_back(t->arch.width());
    points.p.push_back(m.p);
    points.ln_t.push_back(m.ln_t);
    points.covariance.push_back(m.covariance);
    groups.push_back(t->survival.count());
  }
  const double w_min = used.front()->arch.width();
  std::string fit =
      "depth_scaling_" + key + "_Wmin" + std::to_string(static_cast<long long>(w_min));
  if (correction) fit += "_corrected";
  FitSpec spec = describe(fit, used.front()->model, "median_survival_depth", "depth_scaling",
                          kSpanning[0], {"p_c", "z", "nu_perp"});
  spec.about.scaling = "width";
  spec.about.min_size = w_min;
  spec.about.correction = correction ? "1/W" : "";
  spec.tasks = task_names(used);
  spec.chi2 = true;
  spec.free = (correction ? 3 : 2) + 4;
  spec.lower = {p.front(), -kInfinity, 1.0 / kMaxInverseNuPerp};
  spec.upper = {p.back(), kInfinity, 1.0 / kMinInverseNuPerp};
  std::optional<DepthScalingFit> best;
  fits.add(
      spec, groups,
      [&](const Resample& r) -> std::vector<double> {
        DepthScalingPoints again = points;
        for (std::size_t k = 0; k < used.size(); ++k)
          again.ln_t[k] = ln_median_depths(used[k]->survival, points.p[k], r[k]);
        const DepthScalingFit f = fit_depth_scaling(again, correction, p.front(), p.back(), best);
        if (!best) best = f;  // the data come first (bootstrap.hpp)
        return {f.p_c, f.z, f.nu_perp, f.chi2, static_cast<double>(f.points)};
      },
      published_depth_scaling(*used.front()));
}

}  // namespace

void depth_scaling_fits(const Contents& c, Fits& fits) {
  for (const auto& [key, tasks] : full_input_families(c)) {
    if (tasks.size() < 3) continue;
    std::vector<MedianDepths> medians;
    for (const ThresholdTask* t : tasks) {
      medians.push_back(median_depths(t->survival, resolved_p(*t), fits.resamples(), c.seed,
                                      name_stream(t->name + "/median_depths")));
    }
    for (std::size_t first = 0; first + 3 <= tasks.size(); ++first) {
      for (bool correction : {false, true}) {
        if (correction && first + 4 > tasks.size()) continue;  // 3 widths, 1/W: no dof left
        fit_depth_family(key, tasks, medians, first, correction, fits);
      }
    }
  }
}

std::vector<SurvivalRow> survival_rows(const Contents& c) {
  std::vector<SurvivalRow> rows;
  for (const ThresholdTask& t : c.thresholds) {
    if (t.survival.depths.empty()) continue;
    const std::vector<double> p = resolved_p(t);
    const std::size_t n = t.survival.count();
    const auto survivors = count_survivors(t.survival, p, every(n));
    for (std::size_t i = 0; i < t.survival.depths.size(); ++i) {
      for (std::size_t j = 0; j < p.size(); ++j) {
        const Interval ci = clopper_pearson(survivors[i][j], static_cast<std::int64_t>(n));
        rows.push_back({t.name, t.model, t.arch.is_uniform() ? t.arch.width() : -1, t.arch.depth(),
                        t.arch.input_width, static_cast<std::int64_t>(n),
                        static_cast<std::int64_t>(t.survival.depths[i]), p[j],
                        static_cast<double>(survivors[i][j]) / static_cast<double>(n), ci.low,
                        ci.high});
      }
    }
  }
  return rows;
}

void survival_fits(const Contents& c, Fits& fits) {
  for (const ThresholdTask& t : c.thresholds) {
    if (t.survival.depths.empty() || t.arch.input_width != 1 || resolved_p(t).size() < 3) continue;
    for (double t_min : smallest_depths(t.survival.depths)) {
      for (bool correction : {false, true})
        fit_task(t, t_min, correction, fits);
    }
  }
}

}  // namespace dropperc::detail
