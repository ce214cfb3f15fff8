#include "threshold_estimates.hpp"

#include <algorithm>
#include <cmath>

#include "dropperc/core/mask.hpp"
#include "dropperc/core/statistics.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/core/topology_theory.hpp"

namespace dropperc::detail {

bool exact_is_affordable(const Architecture& arch, const std::string& model) {
  const double w = arch.max_width();
  return model == "site" || (arch.depth() + 1.0) * w * w <= 1e8;
}

double exact_theta(const Architecture& arch, const Topology& topology, const std::string& model,
                   const Dropout& dropout) {
  if (topology.is_dense_mlp())
    return exact_is_affordable(arch, model) ? spanning_probability(arch, dropout).theta : kNaN;
  if (exact_theory_seconds(arch, topology) > 0.05) return kNaN;
  try {
    return spanning_probability(arch, topology, dropout).theta;
  } catch (const std::invalid_argument&) {
    return kNaN;  // no exact theory of this network
  }
}

double exact_p_half(const Architecture& arch, const Topology& topology, const std::string& model,
                    const ScanLine& line) {
  if (topology.is_dense_mlp()) return exact_is_affordable(arch, model) ? p_half(arch, line) : kNaN;
  // Bisection on the exact theta, which falls with p along the line: 60 halvings reach the
  // resolution of a double, at 60 evaluations of at most 1 ms each.
  if (exact_theory_seconds(arch, topology) > 1e-3) return kNaN;
  const auto theta = [&](double p) { return exact_theta(arch, topology, model, line.at(p)); };
  double low = 0.0, high = 1.0;
  const double at_low = theta(low), at_high = theta(high);
  if (!(at_low >= 0.5 && at_high <= 0.5) || at_low == at_high) return kNaN;
  for (int step = 0; step < 60; ++step) {
    const double middle = 0.5 * (low + high);
    (theta(middle) > 0.5 ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

namespace {

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
    FitSpec spec = describe(t.name + "/" + kCrossing, t.model, "q_half", "threshold", kCrossing,
                            {"p_half", "transition_width"});
    spec.tasks = {t.name};
    fits.add(spec, {t.thresholds.size()}, [&](const Resample& r) {
      const ThresholdSummary s = summarize_thresholds(pick(t.thresholds, r[0]));
      return std::vector<double>{s.p_half, s.width};
    });
    rows.push_back(threshold_row(t.name, t.model, kCrossing, t.size, t.size, t.thresholds.size(),
                                 fits, t.model == "lattice_bond" ? 0.5 : kNaN));
  }
}

// A task with a floor knows its thresholds below it only as "p* <= floor": quantiles of them are
// not estimates of anything (its theta at the grid's p, all at or above the floor, is in
// /tasks, and its survival in /analysis/survival).
bool censored(const ThresholdTask& t) {
  return t.floor > -std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<ThresholdRow> threshold_rows(const Contents& c, Fits& fits) {
  std::vector<ThresholdRow> rows;
  for (const ThresholdTask& t : c.thresholds) {
    if (censored(t)) continue;
    for (int s = 0; s < 2; ++s) {
      const std::vector<double>& values = t.thresholds[s];
      if (values.empty()) continue;
      const std::string fit = t.name + "/" + kSpanning[s];
      FitSpec spec = describe(fit, t.model, std::string("p_half_") + kSpanning[s], "threshold",
                              kSpanning[s], {"p_half", "transition_width"});
      spec.tasks = {t.name};
      spec.about.input_width = t.arch.input_width;
      fits.add(spec, {values.size()}, [&](const Resample& r) {
        const ThresholdSummary summary = summarize_thresholds(pick(values, r[0]));
        return std::vector<double>{summary.p_half, summary.width};
      });
      rows.push_back(threshold_row(
          t.name, t.model, kSpanning[s], t.arch.width_or(-1), t.arch.depth(), values.size(), fits,
          s == 0 ? exact_p_half(t.arch, t.topology, t.model, scan_line(t.model, t.p_input))
                 : kNaN));
    }
  }
  lattice_threshold_rows(c, fits, rows);
  return rows;
}

std::vector<CurveRow> curve_rows(const Contents& c) {
  std::vector<CurveRow> rows;
  for (const ThresholdTask& t : c.thresholds) {
    if (censored(t)) continue;
    const ScanLine line = scan_line(t.model, t.p_input);
    for (int s = 0; s < 2; ++s) {
      if (t.thresholds[s].empty()) continue;
      const SizeCurve curve = threshold_curve(t.thresholds[s], 0, true, 41);
      const auto n = static_cast<std::int64_t>(t.thresholds[s].size());
      for (std::size_t j = 0; j < curve.p.size(); ++j) {
        const auto spans = std::llround(curve.value[j] * static_cast<double>(n));
        const Interval ci = clopper_pearson(spans, n);
        const double exact =
            s == 0 ? exact_theta(t.arch, t.topology, t.model, line.at(curve.p[j])) : kNaN;
        rows.push_back({t.name, t.model, kSpanning[s], t.arch.width_or(-1), t.arch.depth(),
                        curve.p[j], curve.value[j], ci.low, ci.high, exact});
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

}  // namespace dropperc::detail
