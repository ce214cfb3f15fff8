#pragma once
// Job files (TOML, docs/job-file.md): what a study computes, parsed, validated and expanded into
// tasks with canonical names.
//
// parse_job() reads and checks the whole file before anything else happens: an unknown key, a
// wrong type, an empty list or an out-of-range value throws JobError naming the file, line,
// column, key, the bad value and what is allowed. expand() turns the grid into tasks whose names
// are built from their parameter values, so adding a value to the grid adds tasks and never
// renames or changes another.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dropperc/dataset.hpp"
#include "dropperc/mask.hpp"
#include "dropperc/mlp.hpp"
#include "dropperc/sampling.hpp"

namespace dropperc {

struct JobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Skips the grid points whose parameters match every key of the rule ("model", "width",
/// "depth", "p", "bias", "activation").
struct SkipRule {
  std::map<std::string, std::string> match;  ///< key -> the value as canonical text
};

struct GridSpec {
  std::vector<DropoutModel> models;
  std::vector<int> widths;
  std::vector<int> depths;
  std::vector<double> p;                                     ///< ascending, distinct
  std::optional<int> input_width;                            ///< default: each task's width
  std::optional<int> output_width;                           ///< default: each task's width
  std::vector<bool> biases = {false};                        ///< training only
  std::vector<Activation> activations = {Activation::relu};  ///< training only
  std::vector<SkipRule> skip;
};

struct PercolationSpec {
  std::int64_t samples = 0;  ///< per grid point
  Method method = Method::thresholds;
  bool undirected = true;
  std::int64_t block = 0;   ///< samples per work unit
  bool thresholds = false;  ///< also store per-sample thresholds and theta(p) curves
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
  TeacherSpec teacher;  ///< input_width and outputs give the network's W_in and W_out
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
  GridSpec grid;
  std::optional<PercolationSpec> percolation;
  std::optional<TrainingSpec> training;
  RunSpec run;
};

/// Reads and validates a job file; throws JobError (see above).
JobSpec parse_job(const std::filesystem::path& file);

enum class TaskKind {
  percolation,  ///< observables at one grid point, in blocks of samples
  thresholds,   ///< per-sample thresholds of one (model, W, L), in blocks of samples
  training,     ///< independently trained replicas at one grid point
};
std::string_view name(TaskKind kind);

struct Task {
  std::string name;
  TaskKind kind = TaskKind::percolation;
  Architecture arch;
  DropoutModel model = DropoutModel::bond;
  double p = 0.0;  ///< the grid's p (all probabilities of the model); unused by thresholds tasks
  bool bias = false;
  Activation activation = Activation::relu;
  std::int64_t units = 0;  ///< sample blocks or replicas
};

/// The job's tasks in a fixed order (kind, model, W, L, p, bias, activation as in the file).
std::vector<Task> expand(const JobSpec& job);

/// Seconds from "HH:MM:SS", "MM:SS" or a number of seconds; nullopt if malformed or not positive.
std::optional<double> parse_duration(std::string_view text);

/// "0.5" -> "0.500": the shortest decimal that reads back as the same double, padded to at least
/// three decimals. Distinct values give distinct text.
std::string canonical_number(double value);

}  // namespace dropperc
