#pragma once
// What a computation will need, estimated before it starts, and the limits it must fit: the memory
// of its largest allocation and its time in core-hours. The times are the cost model the
// scheduler orders units by (per-sample and per-example nanoseconds fitted to bench/scheduling.sh,
// docs/performance.md, "Scheduling"); the memory counts the arrays a computation holds at once.
// Estimates are in double, so that absurd sizes (10^6 x 10^6 networks, 10^12 samples) give
// absurd estimates instead of overflowing.

#include <stdexcept>
#include <string>
#include <string_view>

#include "dropperc/core/network.hpp"
#include "dropperc/core/sampling.hpp"

namespace dropperc {

/// Work beyond a limit: the message says the estimate, the limit and the option that raises it.
struct BudgetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bytes of physical memory of this machine (sysconf; /proc/meminfo's MemTotal if that fails).
double physical_memory_bytes();

/// Default time limit of a single command (theory, sample, train), in core-hours.
inline constexpr double kCommandCoreHours = 48.0;
/// Default time limit of a whole job (run, status), in core-hours.
inline constexpr double kJobCoreHours = 10000.0;

struct Limits {
  double memory_bytes = physical_memory_bytes();  ///< the largest allocation allowed
  double core_hours = kCommandCoreHours;
};

/// Throws BudgetError unless `bytes` <= limits.memory_bytes: "<what> needs about 8e+12 bytes
/// (8000 GB) of memory, more than the limit of 15.6 GB (this machine's physical memory); give
/// --max-memory GB to raise it".
void require_memory(double bytes, const Limits& limits, std::string_view what);
/// The same for time: `core_hours` <= limits.core_hours, naming --max-hours.
void require_time(double core_hours, const Limits& limits, std::string_view what);

/// Seconds of one sample of `method` (cost model of the percolation kind).
double sample_seconds(const Architecture& arch, DropoutModel model, Method method, bool undirected);
/// Seconds of one sample of per-sample thresholds (cost model of the thresholds kind).
double threshold_sample_seconds(const Architecture& arch, DropoutModel model, Method method,
                                bool undirected);
/// A network with local connectivity or skips (the Graph engine, graph_percolation.hpp): seconds
/// to observe one sample at one grid point, and bytes of the Graph with one sample's thresholds
/// (and the undirected sort). docs/performance.md, "Local and residual networks".
double graph_point_seconds(const Architecture& arch, const Topology& topology, bool undirected);
double graph_sample_bytes(const Architecture& arch, const Topology& topology, bool undirected);
/// Directed thresholds of local layers without skips, streamed (local_percolation.hpp): seconds
/// and bytes of one sample, with no limit on the edges (counted without saturating).
double streamed_threshold_seconds(const Architecture& arch, const Topology& topology);
double streamed_threshold_bytes(const Architecture& arch, const Topology& topology);
/// Bytes one sample of `method` holds: a mask of bits (masks), a threshold per weight or unit
/// (thresholds), per-unit state (fast), and with undirected spanning the sorted weights.
double sample_bytes(const Architecture& arch, DropoutModel model, Method method, bool undirected);
/// Bytes one sample of a thresholds block holds (sample_thresholds): per-unit labels and, with
/// undirected spanning of a model that drops weights, at most an eighth of the edges listed
/// and their adjacency (spanning_thresholds).
double threshold_sample_bytes(const Architecture& arch, DropoutModel model, bool undirected);

/// Bytes of the exact theory's Markov chain over reachable counts (theory.hpp): its transition
/// tables, (W_k + 1) x (W_{k+1} + 1) doubles, at most three alive at once, and the two profiles
/// of one double per layer it returns.
double chain_bytes(const Architecture& arch);
/// Seconds of one chain: the tables' exponentials and a (W + 1)^2 product per gap.
double chain_seconds(const Architecture& arch);

/// Seconds of `steps` SGD steps of `batch` examples (cost model of the training kind).
double training_seconds(const Architecture& arch, DropoutModel model, double p, bool shared_mask,
                        double steps, double batch);
/// Bytes a training run keeps per step: its StepRecord and, at most, an Evaluation, twice over, as
/// the vectors that hold them grow by doubling (training.cpp checks that they fit).
inline constexpr double kTrainingRecordBytes = 2 * 88.0;
/// Bytes of a training run: parameters, velocity and gradient (float32 or float64: `scalar`
/// bytes), a batch's activations and masks, the data set of `examples` examples, and the records
/// of `steps` steps.
double training_bytes(const Architecture& arch, double batch, double examples, double steps,
                      int scalar = 4);
/// Bytes of generating teacher-student data with the teacher network `teacher` (its W_in, hidden
/// width and depth, outputs): its weights, and for `examples` examples a random stream, the inputs
/// and outputs in double and float, and two layers of hidden activations in double.
double teacher_data_bytes(const Architecture& teacher, double examples);

}  // namespace dropperc
