#pragma once
// Directed percolation of local networks without skips, streamed (docs/theory.md §11.2, §11.4):
// the bottleneck recursion of graph_percolation.hpp layer by layer, each element's uniform drawn
// from the sample's stream at the position graph_thresholds gives it, so the results are the
// Graph engine's bit for bit while memory is O(W K) and no edge is stored: a stack of 10^4
// layers of 10^4 units, beyond any Graph, takes one pass of one uniform per element.

#include <cstdint>
#include <limits>
#include <vector>

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {

/// Whether the streamed recursion takes the network: local connectivity, no skips.
bool streams_locally(const Topology& topology);

/// Per layer k = 0..L+1 the largest bottleneck threshold B_k of its units, b(j) = min(t_j, max
/// over in-edges min(t_e, b(tail))): the sample reaches layer k at line parameter p iff
/// p < B_k, so B_{L+1} is the directed spanning threshold of spanning_thresholds(graph, ...)
/// and the extinction depth at p is the first hidden k with B_k <= p. `rng` is the sample's
/// stream at position 0 (the stream graph_thresholds would draw from); throws
/// std::invalid_argument unless streams_locally and validate(topology, arch) hold.
///
/// With `floor` > -inf only units whose bottleneck exceeds it are followed: they alone can be
/// reached at any p >= floor, so B_k is exact where it exceeds the floor and -inf where it does
/// not, and a sample's work is that of its units alive above the floor, each element's uniform
/// taken by seeking its stream position (a seed's cluster near the critical point, not the
/// whole lattice). The full pass and the pruned one draw the same uniforms for every unit both
/// compute.
std::vector<double> layer_thresholds(const Architecture& arch, const Topology& topology,
                                     const ScanLine& line, const RandomStream& rng,
                                     double floor = -std::numeric_limits<double>::infinity());

/// layer_thresholds with the network prepared once (its distinct gaps' in- and out-edge lists,
/// O(W K)) for every sample of a plan.
class LocalLayers {
 public:
  LocalLayers(const Architecture& arch, const Topology& topology, const ScanLine& line);
  std::vector<double> thresholds(const RandomStream& rng,
                                 double floor = -std::numeric_limits<double>::infinity()) const;

  /// The in-edges of one gap, head by head in canonical order (compressed rows of tails), and
  /// the heads reading each tail (for the pass above a floor).
  struct GapEdges {
    std::vector<std::int64_t> begin;  ///< heads + 1 offsets into tails
    std::vector<int> tails;
    std::vector<std::int64_t> out_begin;  ///< tails + 1 offsets into heads
    std::vector<int> heads;
  };

 private:
  const GapEdges& edges_of(int gap) const;

  Architecture arch_;
  ScanLine line_;
  std::vector<GapEdges> distinct_;  // gap 0, an inner gap, gap L (those the network has)
  std::uint64_t hidden_ = 0;        // stream words of the hidden units
  std::uint64_t all_edges_ = 0;     // stream words of the edges
};

}  // namespace dropperc
