#pragma once
// `dropperc analyze`: thresholds, data collapses, the critical-width exponent and training
// trends computed from a merged job file (merge.hpp) and written into its /analysis
// (docs/hdf5-layout.md, docs/theory.md §10). Reads and rewrites nothing else.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dropperc {

/// A file that is not a merged job file, or lacks what the analysis needs.
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AnalysisOptions {
  int resamples = 200;  ///< bootstrap resamples per estimate (>= 2)
  /// Collapse parameters held at a value instead of fitted (every collapse of the analysis).
  std::optional<double> fixed_p_c, fixed_b;
};

/// Threshold estimates of one curve: a thresholds task and a kind of spanning. Errors and the
/// 95 % interval of p_half by bootstrap over the samples (§10.1, §10.2).
struct ThresholdRow {
  std::string task, model, spanning;  ///< spanning: "directed" or "undirected"
  std::int64_t width = 0, depth = 0, samples = 0;
  double p_half = 0, p_half_error = 0, p_half_low = 0, p_half_high = 0;
  double transition_width = 0, transition_width_error = 0;
  double p_half_exact = 0;  ///< exact theory (directed spanning), else NaN
  double deviation = 0;     ///< (p_half - p_half_exact) / p_half_error
};

/// One fitted parameter: value on the data, bootstrap error and 95 % percentile interval.
struct FitRow {
  std::string fit, model, observable, parameter;
  double value = 0, error = 0, low = 0, high = 0;
  /// The known value: published (2D lattice), or the same fit applied to exact theta (kappa
  /// fits, directed spanning); NaN where none is known.
  double exact = 0;
  double quality = 0;         ///< collapse quality, or NaN
  std::int64_t failures = 0;  ///< resamples where the fit was undefined
};

/// Training at one grid point against the exact theta of its network (§6, §10.5): means and
/// standard errors over replicas.
struct TrainingRow {
  std::string task, model, activation;
  std::int64_t width = 0, depth = 0, bias = 0, replicas = 0;
  double p = 0, theta = 0;
  double test_loss = 0, test_loss_error = 0, test_accuracy = 0, test_accuracy_error = 0;
  double zero_gradient_fraction = 0, zero_gradient_error = 0;
  double steps_to_target = 0, steps_to_target_error = 0;  ///< NaN unless every replica got there
};

/// theta at one p of a thresholds task (41 points across its transition, §10.1), with its 95 %
/// Clopper-Pearson interval and the exact value (directed spanning; NaN otherwise): what plots
/// of theta(p) and of collapses need.
struct CurveRow {
  std::string task, model, spanning;
  std::int64_t width = 0, depth = 0;
  double p = 0, theta = 0, theta_low = 0, theta_high = 0, theta_exact = 0;
};

struct Analysis {
  std::vector<CurveRow> curves;
  std::vector<ThresholdRow> thresholds;
  std::vector<FitRow> fits;
  std::vector<TrainingRow> training;
};

/// Analyses `file` and replaces its /analysis group with the result (written last, so that a
/// failure leaves the file as it was). Throws AnalysisError naming the file and what is wrong.
Analysis analyze_file(const std::filesystem::path& file, const AnalysisOptions& options);

}  // namespace dropperc
