#pragma once
// Percolation observables on any layered network with its edges listed (geometry.hpp): local
// connectivity, skips, and the dense MLP as a special case, where every function here gives
// the dense engine's (percolation.hpp) value bit for bit. Every edge goes from a layer to a
// later one, so unit order is a topological order and one pass in each direction decides
// directed reachability.

#include <vector>

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {

/// One sample's element thresholds along a scan line (mask.hpp's ElementThresholds, for a
/// Graph): an element is kept at line parameter p iff its threshold exceeds p. `units` covers
/// every unit (inputs by the input dropout, outputs +inf); `edges` every edge (skips DropConnect
/// may not drop, and every edge of models that drop none, +inf).
struct GraphThresholds {
  std::vector<double> units;
  std::vector<double> edges;
};

/// Draws the sample's uniforms in draw_uniforms' order: hidden units if the model drops units,
/// then the droppable edges in canonical order if it drops edges, then the input units if the
/// line has input dropout.
GraphThresholds graph_thresholds(const Graph& graph, const ScanLine& line, RandomStream& rng);

/// The observables of the mask at line parameter p (percolation.hpp's Observation); with
/// `undirected` false the cluster fields stay zero. O(units + edges).
Observation observe(const Graph& graph, const GraphThresholds& thresholds, double p,
                    bool undirected = true);

/// Both spanning thresholds (the sample spans at p iff p < threshold; -inf if it spans at no
/// p): the directed one by the bottleneck recursion b(j) = min(t_j, max over in-edges
/// min(t_e, b(tail))) in unit order (docs/theory.md §3), the undirected one as the widest
/// undirected path, by union-find over the edges in decreasing min(t_e, t_tail, t_head)
/// (docs/theory.md §4). With `undirected` false the undirected threshold is NaN.
SpanningThresholds spanning_thresholds(const Graph& graph, const GraphThresholds& thresholds,
                                       bool undirected = true);

}  // namespace dropperc
