#include "dropperc/core/budget.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <unistd.h>

#include "dropperc/core/rng.hpp"

namespace dropperc {

namespace {

constexpr double kGB = 1e9;

// Three significant digits.
std::string show(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3g", value);
  return buffer;
}

// Edges and units in double: no overflow for absurd networks.
double edges_of(const Architecture& a) {
  if (!a.is_uniform()) return static_cast<double>(a.edges());  // bounded by layered()
  // W_in W + (L - 1) W^2 + W W_out
  const double w = a.width();
  return a.input_width * w + (a.depth() - 1) * w * w + w * a.output_width;
}

double units_of(const Architecture& a) {
  if (!a.is_uniform()) return static_cast<double>(a.units());
  return a.input_width + static_cast<double>(a.width()) * a.depth() + a.output_width;
}

// (W_g + 1)(W_{g+1} + 1): the entries of gap g's transition table.
double table_entries(const Architecture& arch, int gap) {
  return (arch.layer_width(gap) + 1.0) * (arch.layer_width(gap + 1) + 1.0);
}

}  // namespace

double physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return static_cast<double>(pages) * static_cast<double>(page);
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kilobytes = 0.0;
  while (meminfo >> key >> kilobytes) {
    if (key == "MemTotal:") return kilobytes * 1024.0;
    meminfo.ignore(256, '\n');
  }
  return 8.0 * kGB;  // neither: assume a small machine
}

void require_memory(double bytes, const Limits& limits, std::string_view what) {
  if (bytes <= limits.memory_bytes) return;
  const bool physical = limits.memory_bytes == physical_memory_bytes();
  throw BudgetError(std::string(what) + " needs about " + show(bytes / kGB) +
                    " GB of memory, more than the limit of " + show(limits.memory_bytes / kGB) +
                    " GB" + (physical ? " (this machine's physical memory)" : "") +
                    "; give --max-memory GB to raise it");
}

void require_time(double core_hours, const Limits& limits, std::string_view what) {
  if (core_hours <= limits.core_hours) return;
  throw BudgetError(std::string(what) + " needs about " + show(core_hours) +
                    " core-hours, more than the limit of " + show(limits.core_hours) +
                    "; give --max-hours H to raise it");
}

double sample_seconds(const Architecture& arch, DropoutModel model, Method method,
                      bool undirected) {
  const double edges = edges_of(arch), units = units_of(arch);
  const bool bond = drops_edges(model);
  double nanoseconds = 0.0;
  if (method == Method::fast) {
    nanoseconds = (bond ? 20.0 : 2.0) * units;
  } else if (method == Method::thresholds) {
    nanoseconds = bond ? 10.0 * edges : 35.0 * units;
    // Undirected spanning from thresholds sorts every edge of the sample (Newman-Ziff).
    if (undirected) nanoseconds += 70.0 * edges;
  } else {
    nanoseconds = bond ? (undirected ? 7.0 : 5.0) * edges : 12.0 * units;
  }
  return 1e-9 * nanoseconds;
}

double threshold_sample_seconds(const Architecture& arch, DropoutModel model, Method method,
                                bool undirected) {
  const double edges = edges_of(arch), units = units_of(arch);
  const bool bond = drops_edges(model);
  // Thresholds of site+bond come from coupled uniforms even with the fast method
  // (sample_thresholds).
  const bool fast = method == Method::fast && model != DropoutModel::site_bond;
  double nanoseconds = fast ? (bond ? 20.0 : 2.0) * units : bond ? 10.0 * edges : 35.0 * units;
  // The undirected threshold's widest-path search: the forward pass lists the edges above a
  // floor, and the search runs on those (spanning_thresholds; docs/performance.md).
  if (undirected) nanoseconds += 5.0 * edges;
  return 1e-9 * nanoseconds;
}

double graph_point_seconds(const Architecture& arch, const Topology& topology, bool undirected) {
  // Measured: 36 ns an edge directed only, 60 with the union-find of the undirected observables
  // (W = 1024, K = 3, L = 1000, on a loaded machine: an upper estimate).
  return 1e-9 * (undirected ? 60.0 : 36.0) * static_cast<double>(edge_count(arch, topology));
}

double graph_sample_bytes(const Architecture& arch, const Topology& topology, bool undirected) {
  // The Graph (16 bytes an edge, 12 a unit), one threshold per edge and unit, the search's
  // flags; the undirected sort adds a level and an index per edge.
  const auto edges = static_cast<double>(edge_count(arch, topology));
  return (24.0 + (undirected ? 16.0 : 0.0)) * edges + 40.0 * units_of(arch);
}

namespace {

// The in-edges of a full local layer: K (1-D) or K^2 C (2-D) per unit.
double local_in_degree(const Topology& topology) {
  const double k = topology.kernel;
  return topology.dimensions == 2 ? k * k * topology.channels : k;
}

}  // namespace

double streamed_threshold_seconds(const Architecture& arch, const Topology& topology) {
  // Measured: about 10 ns an edge from the command line (W = 256, K = 2, L = 2000, 80 samples in
  // 0.81 s, docs/performance.md); every gap counted as full, an upper estimate.
  return 1e-8 * static_cast<double>(arch.max_width()) * local_in_degree(topology) *
         static_cast<double>(arch.gaps());
}

double streamed_threshold_bytes(const Architecture& arch, const Topology& topology) {
  // Two layers of bottlenecks and the in-edge lists of three distinct gaps (12 bytes an edge).
  const double w = arch.max_width();
  return 16.0 * w + 3.0 * 12.0 * w * local_in_degree(topology);
}

double sample_bytes(const Architecture& arch, DropoutModel model, Method method, bool undirected) {
  const double edges = edges_of(arch), units = units_of(arch);
  double bytes = 16.0 * units;  // per-unit state: reachability, labels
  if (method == Method::masks) bytes += edges / 8.0 + units / 8.0;
  if (method == Method::thresholds) bytes += 8.0 * (drops_edges(model) ? edges : units);
  if (undirected && method != Method::fast) bytes += 16.0 * edges;  // weights sorted by threshold
  return bytes;
}

double threshold_sample_bytes(const Architecture& arch, DropoutModel model, bool undirected) {
  const double edges = edges_of(arch), units = units_of(arch);
  double bytes = 32.0 * units;  // thresholds, labels, adjacency starts and cursors
  // An eighth of the edges, listed (24 bytes) and under both ends in the adjacency (2 x 16).
  if (undirected && drops_edges(model)) bytes += (24.0 + 32.0) / 8.0 * edges;
  return bytes;
}

double chain_bytes(const Architecture& arch) {
  // A uniform network's gaps have at most three shapes: the first, the middle, the last.
  const int gaps = arch.gaps();
  double largest = table_entries(arch, gaps - 1);
  for (int g = 0; g < (arch.is_uniform() ? std::min(gaps, 3) : gaps); ++g)
    largest = std::max(largest, table_entries(arch, g));
  const double profiles = 2.0 * 8.0 * arch.layers();  // E[N_k] and P(N_k >= 1) of every layer
  return 3.0 * 8.0 * largest + profiles;
}

double chain_seconds(const Architecture& arch) {
  // A table of exponentials (about 20 ns an entry) per shape of gap, then one product per gap
  // (about 1 ns a term).
  if (!arch.is_uniform()) {
    double entries = 0.0;
    for (int g = 0; g < arch.gaps(); ++g)
      entries += table_entries(arch, g);
    return 1e-9 * 21.0 * entries;
  }
  const double w = arch.max_width() + 1.0;
  return 1e-9 * (3.0 * 20.0 * w * w + (arch.depth() + 1.0) * w * w);
}

double training_seconds(const Architecture& arch, DropoutModel model, double p, bool shared_mask,
                        double steps, double batch) {
  // Per-sample DropConnect masks cost a kept-weight loop; otherwise GEMMs over every weight.
  const double per_edge = drops_edges(model) && !shared_mask ? 0.3 + 2.5 * (1.0 - p) : 0.3;
  return 1e-9 * (steps * batch * (edges_of(arch) * per_edge + 15.0 * units_of(arch)));
}

double training_bytes(const Architecture& arch, double batch, double examples, double steps,
                      int scalar) {
  const double edges = edges_of(arch), units = units_of(arch);
  const double parameters =
      3.0 * scalar * (edges + units);  // weights and biases, velocity, gradient
  const double activations = 3.0 * scalar * batch * units;  // pre-activations, outputs, deltas
  const double masks = batch * (edges + units) / 8.0;       // one packed mask per sample
  const double data = 4.0 * examples * std::max(arch.input_width, arch.output_width);
  return parameters + activations + masks + data + kTrainingRecordBytes * steps;
}

double teacher_data_bytes(const Architecture& teacher, double examples) {
  const double per_example = static_cast<double>(sizeof(RandomStream)) +
                             12.0 * teacher.input_width + 16.0 * teacher.layer_width(1) +
                             12.0 * teacher.output_width;
  return 8.0 * edges_of(teacher) + examples * per_example;
}

}  // namespace dropperc
