#pragma once
// Job files (TOML, docs/job-file.md): what a study computes, parsed, validated and expanded into
// tasks with canonical names. A job computes on the grid of networks ([grid] with [percolation]
// and/or [training]), on 2D square lattices ([lattice], the validation geometry), or both.
//
// parse_job() reads and checks the whole file before anything else happens: an unknown key, a
// wrong type, an empty list or an out-of-range value throws JobError naming the file, line,
// column, key, the bad value and what is allowed. expand() turns the grid into tasks whose names
// are built from their parameter values, so adding a value to the grid adds tasks and never
// renames or changes another.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dropperc/core/canonical_number.hpp"
#include "dropperc/core/geometry.hpp"
#include "dropperc/core/lattice.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/sampling.hpp"
#include "dropperc/training/settings.hpp"

namespace dropperc {

struct JobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Limits of job files (docs/job-file.md, "Limits"). Every integer that feeds a count, a product
/// or an allocation is refused above its limit when the job is read, so that no count of a job
/// can overflow and its numbers of tasks and work units stay bounded. Products are checked too:
/// samples x grid points, a network's edges, a teacher's data. (Whether this machine can hold
/// a job is estimated at run time, not here.)
inline constexpr std::int64_t kMaxSamples = 1'000'000'000'000;  ///< per grid point or lattice
inline constexpr std::int64_t kMaxJobSamples = 1'000'000'000'000'000;  ///< samples of a job
inline constexpr std::int64_t kMaxJobUnits = 1'000'000;                ///< work units of a job
inline constexpr std::int64_t kMaxListValues = 10'000;         ///< values of a list or range
inline constexpr std::int64_t kMaxRules = 1'000;               ///< rules of skip or only
inline constexpr std::int64_t kMaxGridPoints = 100'000;        ///< points of a job's grid
inline constexpr int kMaxWidth = 100'000;                      ///< W, W_in, W_out
inline constexpr int kMaxDepth = 100'000;                      ///< L
inline constexpr std::int64_t kMaxEdges = 10'000'000'000;      ///< edges of one network
inline constexpr std::int64_t kMaxListedLayers = 10'000'000;   ///< hidden layers of listed widths
inline constexpr std::int64_t kMaxSteps = 1'000'000'000;       ///< training steps
inline constexpr int kMaxBatch = 1'000'000;                    ///< minibatch size
inline constexpr int kMaxReplicas = 10'000;                    ///< replicas per grid point
inline constexpr std::int64_t kMaxEvaluations = 10'000'000;    ///< per task: replicas x evals
inline constexpr std::int64_t kMaxDataValues = 1'000'000'000;  ///< numbers of a teacher's data
inline constexpr double kMaxSeconds = 1e8;                     ///< walltime, checkpoint interval
/// Estimated seconds of one streamed sample (local layers, directed thresholds): a stop signal
/// is answered between samples.
inline constexpr double kMaxStreamedSeconds = 10.0;
inline constexpr int kMaxSurvivalPerDecade = 100;  ///< survival depths per decade

/// Matches the grid points whose parameters equal every value the rule gives: [grid] skip rules
/// and [training] only rules. p matches within 1e-9 (a value a range or a law computes, however
/// the user rounded it), the others exactly.
struct PointRule {
  std::optional<DropoutModel> model;
  std::optional<int> width, depth;
  std::optional<double> p;
  std::optional<bool> bias;
  std::optional<Activation> activation;
  std::optional<int> kernel;    ///< matches local networks of this kernel only
  std::optional<int> residual;  ///< the skip step S, 0 for none
};

/// A grid parameter given at every width W by a power law, one value per scale:
/// scale * W^power (docs/job-file.md). This is how depth and p are tied to the width.
struct WidthLaw {
  std::vector<double> scales;  ///< distinct, > 0, in the file's order
  double power = 0.0;
};

/// How a taper's widths fall from the first hidden layer's to the last's (docs/job-file.md).
enum class Taper { geometric, linear };

struct GridSpec {
  std::vector<DropoutModel> models;
  std::vector<int> widths;  ///< uniform networks: one width W at every hidden layer
  /// Layered networks: the widths of their hidden layers, first to last, each list giving its
  /// depth (a list of equal widths is the uniform network it equals). The file's lists and
  /// tapers, in order.
  std::vector<std::vector<int>> layered;
  std::vector<int> depths;            ///< of the uniform widths; empty with depth_law
  std::vector<double> p;              ///< ascending, distinct; empty with keep_law
  std::optional<WidthLaw> depth_law;  ///< L = max(1, round(scale W^power)) at every width
  std::optional<WidthLaw> keep_law;   ///< p = 1 - scale W^power: a keep fraction scale W^power
  std::optional<int> input_width;     ///< default: each task's width
  std::optional<int> output_width;    ///< default: each task's width
  /// Input-unit dropout of every network task, held fixed while p is scanned; 0: none.
  double input_dropout = 0.0;
  /// How the layers are joined: every topology makes its own tasks, each validated against each
  /// network (docs/job-file.md, "Local and residual networks"). [grid]'s connectivity, kernel (a
  /// list), boundary, dimensions, channels, residual (a list of S, 0: none) and residual_dropout
  /// give them, kernels x residuals; the dense MLP alone by default.
  std::vector<Topology> topologies = {Topology{}};
  std::vector<bool> biases = {false};                        ///< training only
  std::vector<Activation> activations = {Activation::relu};  ///< training only
  std::vector<PointRule> skip;  ///< points matching any rule are left out
};

struct PercolationSpec {
  std::int64_t samples = 0;  ///< per grid point
  Method method = Method::thresholds;
  bool undirected = true;
  std::int64_t block = 0;   ///< samples per work unit
  bool thresholds = false;  ///< also store per-sample thresholds and theta(p) curves
  bool per_p = true;        ///< a percolation task per grid point (false: thresholds only)
  /// Survival depths per decade, 0: none. Thresholds tasks then also store each sample's B_t,
  /// the largest p at which it reaches hidden layer t, at survival_depths(per_decade, L).
  int survival_per_decade = 0;
  /// Thresholds at or below it are not resolved (stored as 0, meaning p* <= floor), which
  /// confines a seed's work to its cluster near the critical point; -inf: none.
  double floor = -std::numeric_limits<double>::infinity();
};

/// Hidden layers t = round(10^(k / per_decade)), k = 0, 1, ..., distinct and at most L, and L:
/// log-spaced survival depths from 1 to L (docs/job-file.md).
std::vector<int> survival_depths(int per_decade, int depth);

/// 2D square-lattice percolation (lattice.hpp): per-sample spanning thresholds q* of every
/// (model, size), in blocks of samples like a thresholds task.
struct LatticeSpec {
  std::vector<LatticeModel> models;  ///< distinct
  std::vector<int> sizes;            ///< distinct, each in [1, kMaxLatticeSize]
  std::int64_t samples = 0;          ///< per (model, size)
  std::int64_t block = 0;            ///< samples per work unit
  std::vector<double> q;             ///< ascending, distinct: where merged theta(q) curves go
};

struct TrainingSpec {
  std::int64_t steps = 0;
  int batch = 32;
  double learning_rate = 0.05;
  double momentum = 0.0;
  int replicas = 1;
  std::int64_t eval_interval = 100;
  std::optional<double> target_loss;
  bool shared_mask = false;
  Initialisation initialisation = Initialisation::he;
  std::optional<std::filesystem::path> dataset;  ///< HDF5 file; none: teacher-student
  double test_fraction = 0.2;
  /// input_width and outputs give the network's W_in and W_out: the data set's, with `dataset`.
  TeacherSpec teacher;
  std::vector<PointRule> only;  ///< if any: train only at grid points matching one of them
};

struct RunSpec {
  double checkpoint_interval = 60.0;  ///< seconds between checkpoints of a training unit
  std::optional<double> walltime;     ///< seconds
};

struct JobSpec {
  std::filesystem::path file;
  std::string text;  ///< the job file as read
  std::string name;
  std::uint64_t seed = 1;
  std::filesystem::path output;  ///< relative paths are relative to the job file's directory
  GridSpec grid;  ///< empty (no models) when the job has no [grid]: a lattice-only job
  std::optional<PercolationSpec> percolation;
  std::optional<TrainingSpec> training;
  std::optional<LatticeSpec> lattice;
  RunSpec run;
};

/// A depth or drop probability of the grid at one width, with the scale of the law that gave it
/// (NaN for a listed value).
struct GridValue {
  double value = 0.0;
  double scale = std::numeric_limits<double>::quiet_NaN();
};
/// The widths of hidden layer k = 1..depth of a taper from `first` to `last`: geometric,
/// round(first (last/first)^((k-1)/(depth-1))), or linear, round(first +
/// (last-first)(k-1)/(depth-1)); [first] at depth 1 (docs/job-file.md, "Layered networks").
std::vector<int> taper_widths(Taper taper, int first, int last, int depth);

/// The grid's depths at width w (the list, or depth_law), in order.
std::vector<GridValue> depths_at(const GridSpec& grid, int width);
/// The grid's drop probabilities at width w (the list, or keep_law, ascending in p).
std::vector<GridValue> p_at(const GridSpec& grid, int width);

/// Reads and validates a job file; throws JobError (see above), also for a directory.
JobSpec parse_job(const std::filesystem::path& file);
/// Validates the text of a job file: the parser behind parse_job(), which throws nothing but
/// JobError whatever the text (the fuzz target tests/fuzz/fuzz_job_parser.cpp holds it to that).
/// `file` names the job in messages, and relative paths (output, dataset) are relative to its
/// directory; a data set is read.
JobSpec parse_job_text(std::string_view text, const std::filesystem::path& file);

enum class TaskKind {
  percolation,  ///< observables at one grid point, in blocks of samples
  thresholds,   ///< per-sample thresholds of one (model, W, L), in blocks of samples
  training,     ///< independently trained replicas at one grid point
  lattice,      ///< per-sample spanning thresholds of one 2D lattice (model, size), in blocks
};
std::string_view name(TaskKind kind);

/// One task. Network tasks (percolation, thresholds, training) use arch, model, p, bias and
/// activation; lattice tasks use lattice_model and lattice_size alone and leave the others at
/// their defaults, so that a lattice size is never mistaken for a network width.
struct Task {
  std::string name;
  TaskKind kind = TaskKind::percolation;
  Architecture arch;
  DropoutModel model = DropoutModel::bond;
  double p = 0.0;  ///< the grid's p (all probabilities of the model); unused by thresholds tasks
  double p_input = 0.0;    ///< the grid's input dropout, fixed
  Topology topology = {};  ///< the dense MLP unless the grid says otherwise
  bool bias = false;
  Activation activation = Activation::relu;
  std::int64_t units = 0;                           ///< sample blocks or replicas
  LatticeModel lattice_model = LatticeModel::bond;  ///< lattice tasks only
  int lattice_size = 0;                             ///< lattice tasks only: L of the L x L lattice
  double depth_scale = std::numeric_limits<double>::quiet_NaN();  ///< of depth_law; NaN: listed L
  double keep = std::numeric_limits<double>::quiet_NaN();  ///< scale of keep_law; NaN: listed p
};

/// The task's model as stored in files: the lattice model of a lattice task, else the dropout
/// model.
std::string_view model_name(const Task& task);

/// The job's tasks in a fixed order: the grid's (kind, model, network, L, p, bias, activation
/// as in the file, the uniform widths before the layered networks), then the lattice's (model, size
/// as in the file). Names are unique: throws JobError if two tasks would share one (parse_job
/// refuses the repeated values that would do that).
std::vector<Task> expand(const JobSpec& job);

/// Seconds from "HH:MM:SS", "MM:SS" or a number of seconds; nullopt if malformed or not positive.
std::optional<double> parse_duration(std::string_view text);

}  // namespace dropperc
