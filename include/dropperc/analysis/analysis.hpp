#pragma once
// `dropperc analyze`: thresholds, data collapses, the critical-width exponent and training
// trends computed from a merged job file (merge.hpp) and written into its /analysis
// (docs/hdf5-layout.md, docs/theory.md §10). Reads and rewrites nothing else.

#include <cstdint>
#include <filesystem>
#include <limits>
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

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

/// One fitted parameter: value on the data, bootstrap error and 95 % percentile interval.
struct FitRow {
  std::string fit, model, observable, parameter;
  double value = 0, error = 0, low = 0, high = 0;
  /// The known value: published (2D lattice), or the same fit applied to exact theta (kappa
  /// fits, directed spanning); NaN where none is known.
  double exact = 0;
  double quality = 0;         ///< collapse quality, or NaN
  std::int64_t failures = 0;  ///< resamples where the fit was undefined
  std::int64_t held = 0;      ///< 1: held at --fix-p-c / --fix-b (nu with b), not fitted
  // What the fit is, as columns (docs/hdf5-layout.md): "" or NaN where one does not apply.
  /// threshold, collapse, lattice_collapse, kappa, keep_collapse, theta_at_keep_1,
  /// extinction_depth, steps_to_target, survival or depth_scaling
  std::string family;
  std::string spanning;  ///< directed, undirected or top-bottom (lattices); "" for training
  std::string scaling;   ///< the size S of a collapse or law: width, depth or size (lattice L)
  double fixed_size = kNoValue;   ///< the size held fixed: the depth when S = width, ...
  double depth_scale = kNoValue;  ///< a of the depth law L = round(a W^power) of its tasks
  double keep_scale = kNoValue;   ///< c of the keep law p = 1 - c W^power of its tasks
  double input_width = kNoValue;  ///< the input width of its tasks when they share one
  double min_size = kNoValue;     ///< the smallest size S used (a collapse, a power law in W)
  /// The correction to scaling in the fitted form: "" none, "1/t" (survival), "1/W"
  /// (depth_scaling).
  std::string correction;
  // The verdict (docs/theory.md §10.8): whether the fit is a result, and why not.
  std::int64_t valid = 1;
  std::string reason;              ///< "" when valid
  double dof = kNoValue;           ///< points - free parameters; NaN if no fit to points
  double chi2_per_dof = kNoValue;  ///< NaN if no fit to points or dof <= 0
};

/// A task that a fit used (/analysis/fit_tasks).
struct FitTaskRow {
  std::string fit, task;
};

/// A point of a collapse at the fitted parameters (/analysis/collapse_points): the observable O
/// at p of one size S, and its place on the master curve, x = (p - p_c) S^b and y = S^a O with
/// error S^a sigma (§10.3, §10.7); for a kappa fit x = ln L + c W^kappa ln p and y = theta
/// (§10.4). p is the drop, occupation or keep scale as the fit reads it.
struct CollapsePoint {
  std::string fit, task;
  double size = 0, p = 0, value = 0, x = 0, y = 0, error = 0;
};

/// The line of one width in the first step of a kappa fit (/analysis/kappa_slopes):
/// ln(-ln theta) - ln L = intercept + slope ln p over ln p in [ln_p_low, ln_p_high] (§10.4).
struct KappaSlope {
  std::string fit;
  std::int64_t width = 0;
  double slope = 0, slope_error = 0, intercept = 0, ln_p_low = 0, ln_p_high = 0;
};

/// Training at one grid point against the exact theta of its network (§6, §10.5): means and
/// standard errors over the replicas that did not diverge (`diverged` counts the others).
struct TrainingRow {
  std::string task, model, activation;
  std::int64_t width = 0, depth = 0, bias = 0, replicas = 0, diverged = 0;
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

/// The fraction of samples of a thresholds task with survival depths that reach hidden layer t
/// at drop probability p (/analysis/survival), at every stored depth and every p of the job's
/// grid at or above the task's floor, with its 95 % Clopper-Pearson interval (§12.3).
struct SurvivalRow {
  std::string task, model;
  std::int64_t width = 0, depth = 0, input_width = 0, samples = 0, t = 0;
  double p = 0, survival = 0, survival_low = 0, survival_high = 0;
};

struct Analysis {
  std::vector<CurveRow> curves;
  std::vector<ThresholdRow> thresholds;
  std::vector<SurvivalRow> survival;
  std::vector<FitRow> fits;
  std::vector<FitTaskRow> fit_tasks;
  std::vector<CollapsePoint> collapse_points;
  std::vector<KappaSlope> kappa_slopes;
  std::vector<TrainingRow> training;
};

/// Analyses `file` and replaces its /analysis group with the result (written last, so that a
/// failure leaves the file as it was). Throws AnalysisError naming the file and what is wrong.
Analysis analyze_file(const std::filesystem::path& file, const AnalysisOptions& options);

}  // namespace dropperc
