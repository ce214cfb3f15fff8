#pragma once
// Percolation observables of dropout masks (docs/theory.md §1-§5).
//
// Two ways in. observe() measures one mask. observe_on_grid() measures, from one sample's
// element thresholds, the masks at every p of a grid at once: every observable of the mask at
// p is a count of elements or paths whose threshold exceeds p, so one pass over the sample
// gives the whole curve, and the result equals observe(Mask::at(thresholds, p)) exactly.

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "dropperc/core/mask.hpp"

namespace dropperc {

/// Units reachable from the input layer by directed paths (one layer forward per edge) over
/// present edges and kept units.
UnitSet forward_reachable(const Mask& mask);
/// Units from which some output unit is reachable by directed paths.
UnitSet backward_reachable(const Mask& mask);
/// A directed input-to-output path survives: what a forward pass and its gradient need.
bool directed_spanning(const Mask& mask);

/// First layer k in [1, L+1] with no forward-reachable unit; L+1 also when the mask spans.
/// `reachable[k]` is the number of forward-reachable units of layer k.
int extinction_depth(std::span<const int> reachable);

/// The scalar observables of one mask: the unit of every average dropperc reports.
struct Observation {
  bool directed_spanning = false;
  /// An undirected path (which may zig-zag back through earlier layers) joins input and output.
  bool undirected_spanning = false;
  int extinction_depth = 0;
  /// Forward-reachable units per layer, k = 0..L+1.
  std::vector<int> reachable;
  /// The backbone: hidden units and weights on at least one directed input-to-output path.
  /// In a bias-free network with sigma(0) = 0 these are exactly the weights that can receive
  /// gradient (docs/theory.md §6).
  std::int64_t backbone_units = 0;
  std::int64_t backbone_weights = 0;
  /// Undirected clusters of kept units joined by present edges: the largest one's size, and
  /// the mean size of the others, sum s^2 / sum s over them (0 when there are none).
  std::int64_t largest_cluster = 0;
  double mean_other_cluster_size = 0.0;
};

/// Directed spanning and the backbone of one mask, what a training step records: O(L W / 64)
/// for masks that keep every edge (site dropout), O(sum_k W_k W_{k+1} / 64) otherwise.
struct Backbone {
  bool directed_spanning = false;
  std::int64_t units = 0;    ///< hidden units on a directed input-output path
  std::int64_t weights = 0;  ///< weights on a directed input-output path
};
Backbone backbone(const Mask& mask);
/// The same with the identity skips of a residual network (mask.hpp's SkipMask): a path may
/// take kept skips between kept units; skips are not weights and are not counted in `weights`.
/// O(sum_k W_k W_{k+1} / 64) word operations, O(L W / 64) for masks that keep every edge.
Backbone backbone(const Mask& mask, const SkipMask& skips);

/// All observables of one mask. With `undirected` false the cluster fields are left at zero.
Observation observe(const Mask& mask, bool undirected = true);

/// Per-unit thresholds of one sample (docs/theory.md §3, §5), indexed like
/// ElementThresholds::units. At line parameter p a unit is forward-reachable iff forward > p,
/// reaches the output iff backward > p, and the mask spans iff p < directed.
struct PathThresholds {
  std::vector<double> forward;   ///< bottleneck value of the best path from the input
  std::vector<double> backward;  ///< bottleneck value of the best path to the output
  double directed = 0.0;         ///< p*: the max over output units of `forward`
};
/// O(W^2 L) for models that drop edges, O(W L) otherwise.
PathThresholds path_thresholds(const ElementThresholds& thresholds);

/// Undirected threshold: the mask at p spans undirected iff p < the returned value. Adds
/// elements in decreasing threshold with union-find (Newman-Ziff, docs/theory.md §4).
double undirected_threshold(const ElementThresholds& thresholds);

/// Both spanning thresholds of one sample.
struct SpanningThresholds {
  double directed = 0.0;    ///< path_thresholds(...).directed
  double undirected = 0.0;  ///< undirected_threshold(...)
};
/// The thresholds of the sample whose coupled uniforms `rng` draws (draw_uniforms' order, from
/// the stream's current position), bit for bit those of element_thresholds(draw_uniforms(arch,
/// line, rng), line), without storing or sorting an edge: the undirected threshold is the widest
/// (max-min) path from the input to the output, found by forward and backward relaxations of the
/// gaps that could still raise it, each drawing its gap's uniforms from the stream again
/// (docs/theory.md §4). With `undirected` false it stops after the first forward pass, which
/// gives the directed threshold, and leaves the undirected one NaN. `floor` is a guess at a
/// lower bound of the directed threshold (a neighbouring sample's, say): the edges above it are
/// listed during the forward pass, which saves a second pass over the stream when the guess
/// holds. Any floor gives the same result. The listed edges (at most an eighth of all) and the
/// search's lists are kept per thread for the next call. Leaves `rng` at an unspecified position.
SpanningThresholds spanning_thresholds(const Architecture& arch, const ScanLine& line,
                                       RandomStream& rng, bool undirected = true,
                                       double floor = std::numeric_limits<double>::infinity());

/// observe(Mask::at(thresholds, p)) for every p of an ascending grid, in one pass.
std::vector<Observation> observe_on_grid(const ElementThresholds& thresholds,
                                         std::span<const double> grid, bool undirected = true);

/// The directed threshold p* of the sample whose uniforms `rng` produces (scanning every
/// probability of `model`), equal to path_thresholds(element_thresholds(draw_uniforms(arch,
/// model, rng), ScanLine::of(model))).directed, but streaming: no per-edge storage.
/// The cost is one uniform per random element plus O(1) work for each.
double directed_threshold(const Architecture& arch, DropoutModel model, RandomStream& rng);

}  // namespace dropperc
