#pragma once
// What `dropperc analyze` reads of a merged job file (merge.hpp, docs/hdf5-layout.md): per task
// kind the parameters and the per-sample results the estimates need, and the helpers that pick
// the samples of a bootstrap resample from them.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/survival.hpp"
#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"
#include "dropperc/io/h5.hpp"

namespace dropperc::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline const char* const kSpanning[] = {"directed", "undirected"};
inline const char* const kCrossing = "top-bottom";  // the lattice's spanning

// What the analysis reads of a thresholds task.
struct ThresholdTask {
  std::string name, model;
  Architecture arch;
  std::vector<double> thresholds[2];        // directed, undirected (empty if not measured)
  double depth_scale = kNaN;                // a of the grid's law L = round(a W^power), if any
  double p_input = 0;                       // input dropout
  std::vector<double> curve_p, curve_keep;  // with a keep law: c of each p of the job's grid
  Topology topology = {};                   // the dense MLP unless the task says otherwise
  // At or below it a stored threshold means only p* <= floor (-inf: none).
  double floor = -std::numeric_limits<double>::infinity();
  SurvivalSamples survival;  // B_t per sample at its survival depths, if stored
};

// What it reads of a percolation task whose p is a keep law: the mean extinction depth.
struct KeepLawTask {
  std::string name, model;
  Architecture arch;
  double p = 0, keep = 0, depth_scale = kNaN, p_input = 0;
  double extinction_depth = kNaN, extinction_depth_error = kNaN;
  Topology topology = {};
};

// What it reads of a training task: per-replica vectors.
struct TrainingTask {
  std::string name, model, activation;
  Architecture arch;
  double p = 0, p_input = 0;
  std::int64_t bias = 0;
  std::vector<double> test_loss, test_accuracy, zero_gradient, steps_to_target;
  std::vector<double> diverged_at;  ///< per replica, 0: never; empty in files before it existed
  Topology topology = {};
};

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

/// Reads every task of a merged file's /tasks that the analysis uses, and the job's seed.
Contents read_contents(const h5::Group& root);

/// Whether a task belongs to the scaling families (sizes W, L of one law, against the known
/// exponents): uniform dense MLPs without input dropout. The others have per-task rows only.
bool in_families(const Architecture& arch, double p_input, const Topology& topology);
/// The scan line of a stored task: its model's probabilities scanned, its input dropout fixed.
ScanLine scan_line(const std::string& model, double p_input);

/// values[at[0]], values[at[1]], ...: the samples a resample chose.
std::vector<double> pick(const std::vector<double>& values, const std::vector<std::size_t>& at);

// Tasks of one model with thresholds of one kind of spanning.
std::vector<const ThresholdTask*> select(const Contents& c, const std::string& model, int s);
/// The number of samples of each task (the group sizes of their bootstrap).
std::vector<std::size_t> sample_counts(const std::vector<const ThresholdTask*>& tasks, int s);
// The data themselves as a resample: every sample of every task, in order.
Resample every_sample(const std::vector<const ThresholdTask*>& tasks, int s);

/// The tasks' names, in order.
std::vector<std::string> task_names(const std::vector<const ThresholdTask*>& tasks);
/// The input width the tasks share, else NaN.
double shared_input_width(const std::vector<const ThresholdTask*>& tasks);

}  // namespace dropperc::detail
