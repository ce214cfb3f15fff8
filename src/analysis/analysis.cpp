#include "dropperc/analysis/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/fss.hpp"
#include "dropperc/core/canonical_number.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"
#include "dropperc/core/sampling.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/io/provenance.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const char* const kSpanning[] = {"directed", "undirected"};
const char* const kCrossing = "top-bottom";  // the lattice's spanning

// What the analysis reads of a thresholds task.
struct ThresholdTask {
  std::string name, model;
  Architecture arch;
  std::vector<double> thresholds[2];        // directed, undirected (empty if not measured)
  double depth_scale = kNaN;                // a of the grid's law L = round(a W^power), if any
  std::vector<double> curve_p, curve_keep;  // with a keep law: c of each p of the job's grid
};

// What it reads of a percolation task whose p is a keep law: the mean extinction depth.
struct KeepLawTask {
  std::string model;
  Architecture arch;
  double p = 0, keep = 0, depth_scale = kNaN;
  double extinction_depth = kNaN, extinction_depth_error = kNaN;
};

// What it reads of a training task: per-replica vectors.
struct TrainingTask {
  std::string name, model, activation;
  Architecture arch;
  double p = 0;
  std::int64_t bias = 0;
  std::vector<double> test_loss, test_accuracy, zero_gradient, steps_to_target;
};

// Whether exact theta of a network is cheap enough to evaluate at every curve point: the closed
// form for site dropout; otherwise the chain of §3, O((L + 1) W^2), at most 1e8 steps (about
// 0.1 s). Curves, p_half and kappa fits of larger networks have no exact counterpart.
bool exact_is_affordable(const Architecture& arch, const std::string& model) {
  const double w = std::max({arch.input_width, arch.width, arch.output_width});
  return model == "site" || (arch.depth + 1.0) * w * w <= 1e8;
}

Architecture architecture_of(const h5::Group& g) {
  Architecture a;
  a.input_width = static_cast<int>(g.integer_attribute(schema::kInputWidth));
  a.width = static_cast<int>(g.integer_attribute(schema::kWidth));
  a.depth = static_cast<int>(g.integer_attribute(schema::kDepth));
  a.output_width = static_cast<int>(g.integer_attribute(schema::kOutputWidth));
  return a;
}

std::vector<double> optional_vector(const h5::Group& g, std::string_view name) {
  return g.contains(name) ? g.read<double>(name) : std::vector<double>{};
}

// A 2D lattice task (lattice.hpp): occupation thresholds, spanning iff q > q*.
struct LatticeTask {
  std::string name, model;  // model: "lattice_site" or "lattice_bond"
  std::int64_t size = 0;
  std::vector<double> thresholds;
};

struct Contents {
  std::uint64_t seed = 0;
  std::vector<ThresholdTask> thresholds;
  std::vector<LatticeTask> lattice;
  std::vector<TrainingTask> training;
  std::vector<KeepLawTask> keep_law;
};

double depth_scale_of(const h5::Group& g) {
  return g.has_attribute(schema::kDepthScale) ? g.number_attribute(schema::kDepthScale) : kNaN;
}

// A percolation task of a keep law that measured the extinction depth, else nullopt.
std::optional<KeepLawTask> keep_law_task(const h5::Group& g) {
  const std::string depth(name(Observable::extinction_depth));
  const std::string error = depth + std::string(schema::kStderrSuffix);
  if (!g.has_attribute(schema::kKeepScale) || !g.contains(depth) || !g.contains(error))
    return std::nullopt;
  KeepLawTask t{g.string_attribute(schema::kModel), architecture_of(g),
                g.number_attribute(schema::kP), g.number_attribute(schema::kKeepScale),
                depth_scale_of(g)};
  t.extinction_depth = g.read<double>(depth).at(0);
  t.extinction_depth_error = g.read<double>(error).at(0);
  return t;
}

Contents read_contents(const h5::Group& root) {
  Contents c;
  c.seed = static_cast<std::uint64_t>(root.group(schema::kJob).integer_attribute(schema::kJobSeed));
  const h5::Group tasks = root.group(schema::kTasks);
  for (const std::string& name : tasks.members()) {
    const h5::Group g = tasks.group(name);
    const std::string kind = g.string_attribute(schema::kKind);
    if (kind == "thresholds") {
      ThresholdTask t;
      t.name = name;
      t.model = g.string_attribute(schema::kModel);
      t.arch = architecture_of(g);
      t.thresholds[0] = g.read<double>(schema::kDirectedThresholds);
      t.thresholds[1] = optional_vector(g, schema::kUndirectedThresholds);
      t.depth_scale = depth_scale_of(g);
      t.curve_keep = optional_vector(g, schema::kCurveKeep);
      if (!t.curve_keep.empty()) t.curve_p = g.read<double>(schema::kCurveP);
      c.thresholds.push_back(std::move(t));
    } else if (kind == "percolation") {
      if (auto t = keep_law_task(g)) c.keep_law.push_back(std::move(*t));
    } else if (kind == "lattice") {
      c.lattice.push_back({name, "lattice_" + g.string_attribute(schema::kModel),
                           g.integer_attribute(schema::kLatticeSize),
                           g.read<double>(schema::kOccupationThresholds)});
    } else if (kind == "training") {
      TrainingTask t;
      t.name = name;
      t.model = g.string_attribute(schema::kModel);
      t.activation = g.string_attribute(schema::kActivation);
      t.arch = architecture_of(g);
      t.p = g.number_attribute(schema::kP);
      t.bias = g.integer_attribute(schema::kBias);
      t.test_loss = g.read<double>(schema::kFinalTestLoss);
      t.test_accuracy = g.read<double>(schema::kFinalTestAccuracy);
      t.zero_gradient = g.read<double>(schema::kZeroGradientFraction);
      t.steps_to_target = g.read<double>(schema::kStepsToTarget);
      c.training.push_back(std::move(t));
    }
  }
  return c;
}

std::vector<double> pick(const std::vector<double>& values, const std::vector<std::size_t>& at) {
  std::vector<double> chosen;
  chosen.reserve(at.size());
  for (std::size_t i : at)
    chosen.push_back(values[i]);
  return chosen;
}

// Collects fit rows and the resample sets they come from.
class Fits {
 public:
  Fits(std::uint64_t seed, const AnalysisOptions& options) : options_(options), seed_(seed) {}

  // A collapse spec with the user's fixed parameters applied.
  CollapseSpec collapse(CollapseSpec spec) const {
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

  // Bootstraps `estimator` (parameters named `parameters`, then optionally a quality) and adds a
  // row per parameter.
  void add(const std::string& fit, const std::string& model, const std::string& observable,
           const std::vector<std::string>& parameters, bool has_quality,
           const std::vector<std::size_t>& groups, const Estimator& estimator,
           const std::vector<double>& exact = {}) {
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

  // A row per parameter of a fit whose errors come from elsewhere (a weighted least-squares fit
  // to means with standard errors): 95 % intervals of +-1.96 errors, no resample set.
  void add_direct(const std::string& fit, const std::string& model, const std::string& observable,
                  const std::vector<std::string>& parameters, const std::vector<double>& values,
                  const std::vector<double>& errors, const std::vector<double>& exact) {
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      rows.push_back({fit, model, observable, parameters[k], values[k], errors[k],
                      values[k] - 1.96 * errors[k], values[k] + 1.96 * errors[k], exact[k], kNaN,
                      0});
    }
  }

  struct Set {
    std::string fit;
    std::vector<std::string> parameters;
    std::vector<std::vector<double>> resamples;
  };
  std::vector<FitRow> rows;
  std::vector<Set> sets;

 private:
  const AnalysisOptions& options_;
  std::uint64_t seed_;
};

// The row of the (p_half, transition_width) fit just added.
ThresholdRow threshold_row(const std::string& task, const std::string& model,
                           const std::string& spanning, std::int64_t width, std::int64_t depth,
                           std::size_t samples, const Fits& fits, double exact) {
  const FitRow& half = fits.rows[fits.rows.size() - 2];
  const FitRow& transition = fits.rows.back();
  ThresholdRow row{task, model, spanning, width, depth, static_cast<std::int64_t>(samples)};
  row.p_half = half.value;
  row.p_half_error = half.error;
  row.p_half_low = half.low;
  row.p_half_high = half.high;
  row.transition_width = transition.value;
  row.transition_width_error = transition.error;
  row.p_half_exact = exact;
  row.deviation = (row.p_half - exact) / row.p_half_error;
  return row;
}

// q_half and the width of the 2D lattice: the same quantiles (§10.1); bond's is 1/2 exactly at
// every size by self-duality (§10.6).
void lattice_threshold_rows(const Contents& c, Fits& fits, std::vector<ThresholdRow>& rows) {
  for (const LatticeTask& t : c.lattice) {
    fits.add(t.name + "/" + kCrossing, t.model, "q_half", {"p_half", "transition_width"}, false,
             {t.thresholds.size()}, [&](const Resample& r) {
               const ThresholdSummary s = summarize_thresholds(pick(t.thresholds, r[0]));
               return std::vector<double>{s.p_half, s.width};
             });
    rows.push_back(threshold_row(t.name, t.model, kCrossing, t.size, t.size, t.thresholds.size(),
                                 fits, t.model == "lattice_bond" ? 0.5 : kNaN));
  }
}

std::vector<ThresholdRow> threshold_rows(const Contents& c, Fits& fits) {
  std::vector<ThresholdRow> rows;
  for (const ThresholdTask& t : c.thresholds) {
    for (int s = 0; s < 2; ++s) {
      const std::vector<double>& values = t.thresholds[s];
      if (values.empty()) continue;
      const std::string fit = t.name + "/" + kSpanning[s];
      fits.add(fit, t.model, std::string("p_half_") + kSpanning[s], {"p_half", "transition_width"},
               false, {values.size()}, [&](const Resample& r) {
                 const ThresholdSummary summary = summarize_thresholds(pick(values, r[0]));
                 return std::vector<double>{summary.p_half, summary.width};
               });
      rows.push_back(threshold_row(t.name, t.model, kSpanning[s], t.arch.width, t.arch.depth,
                                   values.size(), fits,
                                   s == 0 && exact_is_affordable(t.arch, t.model)
                                       ? p_half(t.arch, ScanLine::of(*parse_dropout_model(t.model)))
                                       : kNaN));
    }
  }
  lattice_threshold_rows(c, fits, rows);
  return rows;
}

std::vector<CurveRow> curve_rows(const Contents& c) {
  std::vector<CurveRow> rows;
  for (const ThresholdTask& t : c.thresholds) {
    const DropoutModel model = *parse_dropout_model(t.model);
    const bool exact_known = exact_is_affordable(t.arch, t.model);
    for (int s = 0; s < 2; ++s) {
      if (t.thresholds[s].empty()) continue;
      const SizeCurve curve = threshold_curve(t.thresholds[s], 0, true, 41);
      const auto n = static_cast<std::int64_t>(t.thresholds[s].size());
      for (std::size_t j = 0; j < curve.p.size(); ++j) {
        const auto spans = std::llround(curve.value[j] * static_cast<double>(n));
        const Interval ci = clopper_pearson(spans, n);
        const double exact =
            s == 0 && exact_known
                ? spanning_probability(t.arch, Dropout::of(model, curve.p[j])).theta
                : kNaN;
        rows.push_back({t.name, t.model, kSpanning[s], t.arch.width, t.arch.depth, curve.p[j],
                        curve.value[j], ci.low, ci.high, exact});
      }
    }
  }
  for (const LatticeTask& t : c.lattice) {
    const SizeCurve curve = threshold_curve(t.thresholds, 0, false, 41);
    const auto n = static_cast<std::int64_t>(t.thresholds.size());
    for (std::size_t j = 0; j < curve.p.size(); ++j) {
      const Interval ci = clopper_pearson(std::llround(curve.value[j] * static_cast<double>(n)), n);
      rows.push_back({t.name, t.model, kCrossing, t.size, t.size, curve.p[j], curve.value[j],
                      ci.low, ci.high, kNaN});
    }
  }
  return rows;
}

// Tasks of one model with thresholds of one kind of spanning.
std::vector<const ThresholdTask*> select(const Contents& c, const std::string& model, int s) {
  std::vector<const ThresholdTask*> chosen;
  for (const ThresholdTask& t : c.thresholds) {
    if (t.model == model && !t.thresholds[s].empty()) chosen.push_back(&t);
  }
  return chosen;
}

std::vector<std::size_t> sample_counts(const std::vector<const ThresholdTask*>& tasks, int s) {
  std::vector<std::size_t> counts;
  for (const ThresholdTask* t : tasks)
    counts.push_back(t->thresholds[s].size());
  return counts;
}

// The data themselves as a resample: every sample of every task, in order.
Resample every_sample(const std::vector<const ThresholdTask*>& tasks, int s) {
  Resample all;
  for (const ThresholdTask* t : tasks) {
    all.emplace_back(t->thresholds[s].size());
    std::iota(all.back().begin(), all.back().end(), std::size_t{0});
  }
  return all;
}

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
      points.push_back({static_cast<double>(t.arch.width), static_cast<double>(t.arch.depth),
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

// kappa, c, the local exponents between consecutive widths, ln(s_b / s_a) / ln(b / a), and the
// quality of the collapse in x.
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
  return v;
}

// §10.4 on every thresholds task of a model: ln(-ln theta) - ln L against ln p, per width; for
// directed spanning the same fit on exact theta (the Markov chain of §3) is the comparison, when
// every task is small enough for it (exact_is_affordable).
void kappa_fit(const std::vector<const ThresholdTask*>& tasks, const std::string& model, int s,
               Fits& fits) {
  std::set<int> widths;
  for (const ThresholdTask* t : tasks)
    widths.insert(t->arch.width);
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
    exact.pop_back();  // the quality has no exact counterpart
  }
  fits.add(
      std::string("kappa_") + model + "_" + kSpanning[s], model,
      std::string("theta_") + kSpanning[s], names, true, sample_counts(tasks, s),
      [&](const Resample& r) {
        return kappa_parameters(layered_points(tasks, s, r, false), local);
      },
      exact);
}

// §10.3 for one family of sizes: S = width at a fixed depth, or S = depth at a fixed width.
void collapse_fit(const std::vector<const ThresholdTask*>& family, bool by_width,
                  const std::string& fit, const std::string& model, int s, Fits& fits) {
  auto size = [by_width](const ThresholdTask& t) {
    return static_cast<double>(by_width ? t.arch.width : t.arch.depth);
  };
  const ThresholdTask& largest = **std::max_element(
      family.begin(), family.end(), [&](auto* a, auto* b) { return size(*a) < size(*b); });
  CollapseSpec spec;
  spec.start.p_c = summarize_thresholds(largest.thresholds[s]).p_half;
  spec.start.b = 1.0;
  spec.step = {0.02, 0.2, 0.1};
  spec.lower.p_c = 0.0;  // a drop probability
  spec.upper.p_c = 1.0;
  spec = fits.collapse(spec);
  fits.add(fit, model, std::string("theta_") + kSpanning[s], {"p_c", "b"}, true,
           sample_counts(family, s), [&](const Resample& r) {
             std::vector<SizeCurve> curves;
             for (std::size_t k = 0; k < family.size(); ++k) {
               curves.push_back(
                   threshold_curve(pick(family[k]->thresholds[s], r[k]), size(*family[k]), true));
             }
             const CollapseFit f = fit_collapse(curves, spec);
             return std::vector<double>{f.best.p_c, f.best.b, f.quality.quality};
           });
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
  for (const LatticeTask* t : family)
    counts.push_back(t->thresholds.size());
  const std::string& model = largest.model;
  // Published values (docs/theory.md §10.6): p_c, 1/nu, nu.
  const double p_c = model == "lattice_bond" ? 0.5 : 0.59274621;
  fits.add(fit, model, "spanning_probability", {"p_c", "b", "nu"}, true, counts,
           [&](const Resample& r) {
             std::vector<SizeCurve> curves;
             for (std::size_t k = 0; k < family.size(); ++k) {
               curves.push_back(threshold_curve(pick(family[k]->thresholds, r[k]),
                                                static_cast<double>(family[k]->size), false));
             }
             const CollapseFit f = fit_collapse(curves, spec);
             return std::vector<double>{f.best.p_c, f.best.b, 1.0 / f.best.b, f.quality.quality};
           },
           {p_c, 0.75, 4.0 / 3.0});
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

// Whether the tasks' depths are a function of their widths, increasing with them (a grid whose
// skip rules keep one L per W, e.g. L = W^2, or one scale of a depth law): then S = W with L
// following it is a family too.
bool tied(std::vector<const ThresholdTask*> tasks) {
  if (tasks.size() < 3) return false;
  std::sort(tasks.begin(), tasks.end(),
            [](auto* a, auto* b) { return a->arch.width < b->arch.width; });
  for (std::size_t k = 1; k < tasks.size(); ++k) {
    if (tasks[k]->arch.width == tasks[k - 1]->arch.width ||
        tasks[k]->arch.depth <= tasks[k - 1]->arch.depth)
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
        by_depth[t->arch.depth].push_back(t);
        by_width[t->arch.width].push_back(t);
      }
      const std::string base = std::string("collapse_") + model + "_" + kSpanning[s];
      for (const auto& [depth, family] : by_depth) {
        if (family.size() >= 3)
          collapse_fit(family, true, base + "_W_at_L" + std::to_string(depth), model, s, fits);
      }
      for (const auto& [width, family] : by_width) {
        if (family.size() >= 3)
          collapse_fit(family, false, base + "_L_at_W" + std::to_string(width), model, s, fits);
      }
      if (tied(tasks)) collapse_fit(tasks, true, base + "_W_with_L", model, s, fits);
      std::map<double, std::vector<const ThresholdTask*>> by_depth_scale;  // a depth law's
      for (const ThresholdTask* t : tasks) {
        if (!std::isnan(t->depth_scale)) by_depth_scale[t->depth_scale].push_back(t);
      }
      for (const auto& [scale, family] : by_depth_scale) {
        if (by_depth_scale.size() > 1 && tied(family))
          collapse_fit(family, true, base + "_W_with_L_a" + canonical_number(scale), model, s,
                       fits);
      }
    }
  }
}

// theta of a thresholds task of a keep law at the job's keep scales c (ascending), from the
// chosen samples: the fraction with p* > p(c) (§10.7), with binomial errors.
SizeCurve keep_curve(const ThresholdTask& t, std::vector<double> thresholds) {
  std::sort(thresholds.begin(), thresholds.end());
  const auto n = static_cast<double>(thresholds.size());
  std::vector<std::size_t> order(t.curve_keep.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return t.curve_keep[a] < t.curve_keep[b]; });
  SizeCurve curve{static_cast<double>(t.arch.width), {}, {}, {}};
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
  return arch.input_width == arch.width ? "" : "_in" + std::to_string(arch.input_width);
}

// The family's theta at c = 1 (a keep scale of the job) against W: theta ~ W^-exponent, on the
// chosen samples, or on exact theta when `exact` (§10.7). NaNs if c = 1 is not a keep scale.
std::vector<double> theta_at_critical(const std::vector<const ThresholdTask*>& family, int s,
                                      const Resample& r, bool exact) {
  std::vector<double> widths, theta, errors;
  for (std::size_t k = 0; k < family.size(); ++k) {
    const ThresholdTask& t = *family[k];
    const auto at = std::find(t.curve_keep.begin(), t.curve_keep.end(), 1.0);
    if (at == t.curve_keep.end()) return {kNaN, kNaN};
    const double p = t.curve_p[static_cast<std::size_t>(at - t.curve_keep.begin())];
    const std::vector<double> chosen = pick(t.thresholds[s], r[k]);
    const auto n = static_cast<double>(chosen.size());
    double value = static_cast<double>(std::count_if(chosen.begin(), chosen.end(),
                                                     [p](double x) { return x > p; })) /
                   n;
    if (exact)
      value = spanning_probability(t.arch, Dropout::of(*parse_dropout_model(t.model), p)).theta;
    widths.push_back(static_cast<double>(t.arch.width));
    theta.push_back(value);
    errors.push_back(std::sqrt(value * (1 - value) / n));
  }
  const PowerLawFit f = fit_power_law(widths, theta, errors);
  return {f.exponent, f.amplitude};
}

// §10.7 on the thresholds tasks of a keep law p = 1 - c W^power with L tied to W by a depth
// law: per (model, spanning, input width, depth scale), the collapse
// theta = W^-a F((c - c_c) W^b) over the widths >= W_min, for every W_min leaving 3 widths, and
// theta at c = 1 against W.
void critical_fits(const Contents& c, Fits& fits) {
  std::map<std::tuple<std::string, int, std::string, double>, std::vector<const ThresholdTask*>>
      families;
  for (const ThresholdTask& t : c.thresholds) {
    if (t.curve_keep.empty() || std::isnan(t.depth_scale)) continue;
    for (int s = 0; s < 2; ++s) {
      if (!t.thresholds[s].empty())
        families[{t.model, s, input_suffix(t.arch), t.depth_scale}].push_back(&t);
    }
  }
  for (auto& [key, family] : families) {
    const auto& [model, s, input, scale] = key;
    std::sort(family.begin(), family.end(),
              [](auto* a, auto* b) { return a->arch.width < b->arch.width; });
    if (!tied(family)) continue;
    const std::string base =
        std::string("_") + model + "_" + kSpanning[s] + "_keep_a" + canonical_number(scale) + input;
    const std::string observable = std::string("theta_") + kSpanning[s];
    // Mean field from a single input unit: c_c = 1, b = a = 1/2 (§10.7).
    const std::vector<double> mean_field = family.front()->arch.input_width == 1
                                               ? std::vector<double>{1.0, 0.5, 0.5}
                                               : std::vector<double>{};
    for (std::size_t first = 0; first + 3 <= family.size(); ++first) {
      const std::vector<const ThresholdTask*> sizes(
          family.begin() + static_cast<std::ptrdiff_t>(first), family.end());
      CollapseSpec spec;
      spec.start = {1.0, 1.0, 0.0};
      spec.step = {0.05, 0.2, 0.2};
      spec.fit_a = true;
      spec.lower.p_c = 0.0;  // a keep scale
      fits.add(
          "collapse" + base + "_Wmin" + std::to_string(sizes.front()->arch.width), model,
          observable, {"c_c", "b", "a"}, true, sample_counts(sizes, s),
          [&](const Resample& r) {
            std::vector<SizeCurve> curves;
            for (std::size_t k = 0; k < sizes.size(); ++k)
              curves.push_back(keep_curve(*sizes[k], pick(sizes[k]->thresholds[s], r[k])));
            const CollapseFit f = fit_collapse(curves, spec);
            return std::vector<double>{f.best.p_c, f.best.b, f.best.a, f.quality.quality};
          },
          mean_field);
    }
    const Resample all = every_sample(family, s);
    const std::vector<double> exact =
        s == 0 ? theta_at_critical(family, s, all, true) : std::vector<double>{};
    if (std::isnan(theta_at_critical(family, s, all, false)[0])) continue;  // c = 1 not scanned
    fits.add(
        "theta_c1" + base, model, observable, {"exponent", "amplitude"}, false,
        sample_counts(family, s),
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
    if (!std::isnan(t.depth_scale))
      families[{t.model, input_suffix(t.arch), t.keep, t.depth_scale}].push_back(&t);
  }
  for (auto& [key, family] : families) {
    const auto& [model, input, keep, scale] = key;
    std::set<int> widths;
    for (const KeepLawTask* t : family)
      widths.insert(t->arch.width);
    if (widths.size() < 3 || widths.size() != family.size()) continue;
    std::vector<double> x, y, sigma, y_exact;
    for (const KeepLawTask* t : family) {
      x.push_back(std::log(t->arch.width));
      y.push_back(std::log(t->extinction_depth));
      sigma.push_back(t->extinction_depth_error / t->extinction_depth);
      const ReachableChain chain =
          reachable_chain(t->arch, Dropout::of(*parse_dropout_model(t->model), t->p));
      y_exact.push_back(std::log(chain.expected_extinction_depth));
    }
    const LineFit f = fit_line(x, y, sigma);
    const LineFit e = fit_line(x, y_exact, sigma);
    const double amplitude = std::exp(f.intercept);
    fits.add_direct("extinction_depth_" + model + "_c" + canonical_number(keep) + "_a" +
                        canonical_number(scale) + input,
                    model, "extinction_depth", {"exponent", "amplitude"}, {f.slope, amplitude},
                    {f.slope_error, amplitude * f.intercept_error},
                    {e.slope, std::exp(e.intercept)});
  }
}

// Mean and standard error of the finite values.
std::pair<double, double> mean_and_error(const std::vector<double>& v) {
  std::vector<double> finite;
  std::copy_if(v.begin(), v.end(), std::back_inserter(finite),
               [](double x) { return std::isfinite(x); });
  if (finite.empty()) return {kNaN, kNaN};
  const double n = static_cast<double>(finite.size());
  const double mean = std::accumulate(finite.begin(), finite.end(), 0.0) / n;
  double squares = 0;
  for (double x : finite)
    squares += (x - mean) * (x - mean);
  return {mean, finite.size() > 1 ? std::sqrt(squares / (n - 1) / n) : kNaN};
}

// Steps to target: NaN unless every chosen replica reached the target (-1 marks "never").
double mean_steps(const std::vector<double>& steps, const std::vector<std::size_t>& at) {
  double sum = 0;
  for (std::size_t i : at) {
    if (!(steps[i] >= 0)) return kNaN;
    sum += steps[i];
  }
  return sum / static_cast<double>(at.size());
}

std::vector<TrainingRow> training_rows(const Contents& c) {
  std::vector<TrainingRow> rows;
  for (const TrainingTask& t : c.training) {
    TrainingRow row{t.name,
                    t.model,
                    t.activation,
                    t.arch.width,
                    t.arch.depth,
                    t.bias,
                    static_cast<std::int64_t>(t.test_loss.size())};
    row.p = t.p;
    row.theta = spanning_probability(t.arch, Dropout::of(*parse_dropout_model(t.model), t.p)).theta;
    std::tie(row.test_loss, row.test_loss_error) = mean_and_error(t.test_loss);
    std::tie(row.test_accuracy, row.test_accuracy_error) = mean_and_error(t.test_accuracy);
    std::tie(row.zero_gradient_fraction, row.zero_gradient_error) = mean_and_error(t.zero_gradient);
    std::vector<std::size_t> all(t.steps_to_target.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    if (mean_steps(t.steps_to_target, all) >= 0)
      std::tie(row.steps_to_target, row.steps_to_target_error) = mean_and_error(t.steps_to_target);
    else
      row.steps_to_target = row.steps_to_target_error = kNaN;
    rows.push_back(row);
  }
  return rows;
}

// §10.5 per (model, bias, activation): steps to target against the exact theta.
void gamma_fits(const Contents& c, const std::vector<TrainingRow>& rows, Fits& fits) {
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (std::isfinite(rows[k].steps_to_target)) {
      groups[rows[k].model + (rows[k].bias ? "_bias_" : "_nobias_") + rows[k].activation].push_back(
          k);
    }
  }
  for (const auto& [key, members] : groups) {
    std::set<double> thetas;
    for (std::size_t k : members)
      thetas.insert(rows[k].theta);
    if (thetas.size() < 2) continue;
    std::vector<std::size_t> replicas;
    for (std::size_t k : members)
      replicas.push_back(c.training[k].steps_to_target.size());
    fits.add("steps_to_target_" + key, rows[members.front()].model, "steps_to_target",
             {"gamma", "T0"}, false, replicas, [&](const Resample& r) {
               std::vector<double> theta, steps, errors;
               for (std::size_t g = 0; g < members.size(); ++g) {
                 const std::vector<double>& all = c.training[members[g]].steps_to_target;
                 const std::vector<double> chosen = pick(all, r[g]);
                 const auto [mean, error] = mean_and_error(chosen);
                 if (!(mean_steps(all, r[g]) >= 0)) continue;
                 theta.push_back(rows[members[g]].theta);
                 steps.push_back(mean);
                 // One replica, or identical ones: fall back to a relative error of 10 %.
                 errors.push_back(error > 0 ? error : 0.1 * mean);
               }
               const PowerLawFit f = fit_power_law(theta, steps, errors);
               return std::vector<double>{f.exponent, f.amplitude};
             });
  }
}

template <class Row, class Field>
std::vector<Field> column(const std::vector<Row>& rows, Field Row::*field) {
  std::vector<Field> values;
  for (const Row& r : rows)
    values.push_back(r.*field);
  return values;
}

void write_analysis(h5::Group& root, const Analysis& a, const Fits& fits, int resamples) {
  if (root.contains(schema::kAnalysis)) root.remove(schema::kAnalysis);
  h5::Group g = root.create_group(schema::kAnalysis);
  g.set_attribute(schema::kCreated, std::string_view(utc_now()));
  g.set_attribute(schema::kDroppercVersion, kVersion);
  g.set_attribute(schema::kGitRevision, git_revision());
  g.set_attribute(schema::kResampleCount, std::int64_t{resamples});
  using C = CurveRow;
  g.write_table(schema::kCurves,
                {{"task", column(a.curves, &C::task)},
                 {"model", column(a.curves, &C::model)},
                 {"spanning", column(a.curves, &C::spanning)},
                 {"width", column(a.curves, &C::width)},
                 {"depth", column(a.curves, &C::depth)},
                 {"p", column(a.curves, &C::p)},
                 {"theta", column(a.curves, &C::theta)},
                 {"theta_low", column(a.curves, &C::theta_low)},
                 {"theta_high", column(a.curves, &C::theta_high)},
                 {"theta_exact", column(a.curves, &C::theta_exact)}},
                {"theta(p) of every thresholds task across its transition, 95% Clopper-Pearson "
                 "intervals, exact theta (directed; NaN otherwise)",
                 "1"});
  using T = ThresholdRow;
  g.write_table(schema::kAnalysisThresholds,
                {{"task", column(a.thresholds, &T::task)},
                 {"model", column(a.thresholds, &T::model)},
                 {"spanning", column(a.thresholds, &T::spanning)},
                 {"width", column(a.thresholds, &T::width)},
                 {"depth", column(a.thresholds, &T::depth)},
                 {"samples", column(a.thresholds, &T::samples)},
                 {"p_half", column(a.thresholds, &T::p_half)},
                 {"p_half_error", column(a.thresholds, &T::p_half_error)},
                 {"p_half_low", column(a.thresholds, &T::p_half_low)},
                 {"p_half_high", column(a.thresholds, &T::p_half_high)},
                 {"transition_width", column(a.thresholds, &T::transition_width)},
                 {"transition_width_error", column(a.thresholds, &T::transition_width_error)},
                 {"p_half_exact", column(a.thresholds, &T::p_half_exact)},
                 {"deviation", column(a.thresholds, &T::deviation)}},
                {"per thresholds task and spanning: p where theta = 1/2 and the width between "
                 "theta = 0.9 and 0.1, bootstrap errors and 95% intervals; exact p_half where "
                 "known and the deviation from it in errors",
                 "1"});
  using F = FitRow;
  g.write_table(schema::kFits,
                {{"fit", column(a.fits, &F::fit)},
                 {"model", column(a.fits, &F::model)},
                 {"observable", column(a.fits, &F::observable)},
                 {"parameter", column(a.fits, &F::parameter)},
                 {"value", column(a.fits, &F::value)},
                 {"error", column(a.fits, &F::error)},
                 {"low", column(a.fits, &F::low)},
                 {"high", column(a.fits, &F::high)},
                 {"exact", column(a.fits, &F::exact)},
                 {"quality", column(a.fits, &F::quality)},
                 {"failures", column(a.fits, &F::failures)}},
                {"one row per fitted parameter: value on the data, bootstrap standard error and "
                 "95% percentile interval, the known value (published, or the fit on exact "
                 "theta; NaN if none), fit quality (collapse) and failed resamples",
                 "1"});
  using R = TrainingRow;
  g.write_table(schema::kAnalysisTraining,
                {{"task", column(a.training, &R::task)},
                 {"model", column(a.training, &R::model)},
                 {"activation", column(a.training, &R::activation)},
                 {"width", column(a.training, &R::width)},
                 {"depth", column(a.training, &R::depth)},
                 {"bias", column(a.training, &R::bias)},
                 {"replicas", column(a.training, &R::replicas)},
                 {"p", column(a.training, &R::p)},
                 {"theta", column(a.training, &R::theta)},
                 {"test_loss", column(a.training, &R::test_loss)},
                 {"test_loss_error", column(a.training, &R::test_loss_error)},
                 {"test_accuracy", column(a.training, &R::test_accuracy)},
                 {"test_accuracy_error", column(a.training, &R::test_accuracy_error)},
                 {"zero_gradient_fraction", column(a.training, &R::zero_gradient_fraction)},
                 {"zero_gradient_error", column(a.training, &R::zero_gradient_error)},
                 {"steps_to_target", column(a.training, &R::steps_to_target)},
                 {"steps_to_target_error", column(a.training, &R::steps_to_target_error)}},
                {"per training task: exact theta of its network, means and standard errors over "
                 "replicas",
                 "1"});
  h5::Group sets = g.create_group(schema::kResamples);
  for (const Fits::Set& set : fits.sets) {
    std::vector<double> flat;
    for (const auto& r : set.resamples)
      flat.insert(flat.end(), r.begin(), r.end());
    std::string names;
    for (const std::string& p : set.parameters)
      names += (names.empty() ? "" : ",") + p;
    std::string dataset = set.fit;
    std::replace(dataset.begin(), dataset.end(), '/', ':');
    sets.write<double>(dataset, flat, {set.resamples.size(), set.parameters.size()},
                       {"bootstrap resamples [resample, parameter] of fit " + set.fit, "1"});
    sets.set_dataset_attribute(dataset, schema::kParameterNames, names);
  }
}

}  // namespace

Analysis analyze_file(const std::filesystem::path& file, const AnalysisOptions& options) {
  if (options.resamples < 2) throw AnalysisError("analysis: at least 2 resamples are needed");
  try {
    h5::File f = h5::File::open(file, true);
    h5::Group root = f.root();
    if (!root.contains(schema::kTasks) || !root.contains(schema::kJob)) {
      throw AnalysisError(file.string() + ": not a merged job file (no /job or /tasks)");
    }
    const Contents contents = read_contents(root);
    Fits fits(contents.seed, options);
    Analysis a;
    a.curves = curve_rows(contents);
    a.thresholds = threshold_rows(contents, fits);
    lattice_fits(contents, fits);
    layered_fits(contents, fits);
    critical_fits(contents, fits);
    extinction_fits(contents, fits);
    a.training = training_rows(contents);
    gamma_fits(contents, a.training, fits);
    a.fits = fits.rows;
    write_analysis(root, a, fits, options.resamples);
    f.close();
    return a;
  } catch (const h5::Error& e) {
    throw AnalysisError(file.string() + ": " + e.what());
  }
}

}  // namespace dropperc
