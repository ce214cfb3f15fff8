#pragma once
// Networks beyond the dense MLP (docs/theory.md §11): local, convolution-like connectivity
// between consecutive layers, and identity skip connections every S layers (residual blocks).
// A Topology says how the layers of an Architecture are joined; a Graph lists every edge of the
// result, in canonical order, for the samplers and observables that work on any layered DAG.
//
// Local layers. In one dimension the units of every layer sit on a ring (periodic) or a segment
// (open) of W sites, W the hidden width, and unit j of layer k + 1 takes its inputs from units
// j + d (mod W if periodic) of layer k for the K kernel offsets d = 0..K-1: K = 2 is the
// directed square lattice. In two dimensions a layer is C channels on a side x side grid
// (W = C side^2, unit u = (y side + x) C + c), and a unit takes every channel of the K x K
// neighbourhood (x + dx, y + dy), dx, dy = 0..K-1. A narrower input or output layer occupies
// the first positions (one input unit is a single seed). In-edges of a unit are ordered by
// offset (d; or dy, dx, then channel).
//
// Skips. For k = 0, S, 2S, ... with k + S <= L + 1 an identity edge joins unit i of layer k to
// unit i of layer k + S, for every i below both widths. Under DropConnect a skip is dropped with
// the drop probability of the weights into its head layer if residual_dropout, never otherwise;
// site dropout removes a dropped unit with all its edges, skips included.
//
// Canonical edge order: gap by gap (layer g to g + 1), head by head, in-edge by in-edge, then the
// skips, by tail layer and unit. For the dense MLP this is network.hpp's order, so a dense
// Graph draws the uniforms, and gives the observables, of the dense engine bit for bit.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dropperc/core/network.hpp"

namespace dropperc {

enum class Connectivity { dense, local };
enum class Boundary { periodic, open };
std::string_view name(Connectivity connectivity);
std::string_view name(Boundary boundary);
std::optional<Connectivity> parse_connectivity(std::string_view text);
std::optional<Boundary> parse_boundary(std::string_view text);

struct Topology {
  Connectivity connectivity = Connectivity::dense;
  int kernel = 2;  ///< K (local only)
  Boundary boundary = Boundary::periodic;
  int dimensions = 1;  ///< 1 or 2 (local only)
  int channels = 1;    ///< C, units per site of a 2-D layer
  int residual = 0;    ///< S: identity skips every S layers; 0: none
  bool residual_dropout = true;

  /// Local layers with kernel K, no skips.
  static Topology local(int kernel, Boundary boundary, int dimensions = 1, int channels = 1) {
    return {Connectivity::local, kernel, boundary, dimensions, channels, 0, true};
  }
  /// This topology with identity skips every `step` layers.
  Topology with_skips(int step, bool droppable) const {
    Topology t = *this;
    t.residual = step;
    t.residual_dropout = droppable;
    return t;
  }
  /// The network of network.hpp: dense layers, no skips.
  bool is_dense_mlp() const { return connectivity == Connectivity::dense && residual == 0; }
  friend bool operator==(const Topology&, const Topology&) = default;
};

/// Throws std::invalid_argument naming the option and the value if the topology does not fit the
/// network: local layers need equal hidden widths W (the lattice), input and output widths <= W,
/// 1 <= K <= W (K <= side in 2-D), W = C side^2 in 2-D; the residual step S in [1, L + 1].
void validate(const Topology& topology, const Architecture& arch);

/// "local K=3 periodic 1-D", "dense, residual S=2 (skips droppable)", "" for the dense MLP.
std::string topology_text(const Topology& topology);

/// The tails (units of layer `layer` - 1) of unit j of `layer` >= 1 along the connectivity, in
/// in-edge order: the whole previous layer if dense. Skips are not included.
std::vector<int> in_tails(const Architecture& arch, const Topology& topology, int layer, int j);

/// The largest Graph the samplers hold (edges, 16 bytes each in the in-edge lists and the
/// endpoint table).
inline constexpr std::int64_t kMaxGraphEdges = std::int64_t{1} << 26;

/// Edges counted without building the Graph; validate(topology, arch) first.
std::int64_t edge_count(const Architecture& arch, const Topology& topology);

/// A run of consecutive edge ids that share a drop probability: the edges of gap `gap`, or the
/// skips into layer gap + 1. `droppable` is false for skips DropConnect may not drop.
struct EdgeBlock {
  std::int64_t first = 0;
  std::int64_t last = 0;
  int gap = 0;
  bool droppable = true;
  bool skips = false;
};

/// Every edge of a network, explicit. Units are numbered as Architecture::unit_offset does.
class Graph {
 public:
  /// Throws std::invalid_argument (validate) or if the network has more than kMaxGraphEdges.
  Graph(const Architecture& arch, const Topology& topology);

  const Architecture& architecture() const { return arch_; }
  const Topology& topology() const { return topology_; }
  std::int32_t units() const { return static_cast<std::int32_t>(layer_of_.size()); }
  std::int64_t edges() const { return static_cast<std::int64_t>(tail_.size()); }
  int layer_of(std::int32_t unit) const { return layer_of_[unit]; }
  /// Gap blocks in gap order, then skip blocks in tail-layer order.
  const std::vector<EdgeBlock>& blocks() const { return blocks_; }

  std::int32_t tail(std::int64_t edge) const { return tail_[edge]; }
  std::int32_t head(std::int64_t edge) const { return head_[edge]; }
  /// The in-edges of a unit (none for the inputs), ids ascending.
  std::span<const std::int32_t> in_edges(std::int32_t unit) const {
    return {in_edge_.data() + in_begin_[unit], in_edge_.data() + in_begin_[unit + 1]};
  }

 private:
  void add_edge(std::int32_t tail, std::int32_t head);

  Architecture arch_;
  Topology topology_;
  std::vector<int> layer_of_;
  std::vector<std::int32_t> tail_, head_;
  std::vector<std::int64_t> in_begin_;  // units + 1 offsets into in_edge_
  std::vector<std::int32_t> in_edge_;
  std::vector<EdgeBlock> blocks_;
};

}  // namespace dropperc
