#pragma once
// The layered network whose percolation dropperc studies (docs/theory.md §1): an input layer of
// width W_in, L hidden layers of width W and an output layer of width W_out, with every pair of
// adjacent layers fully connected (complete bipartite) and no other edges.
//
// Layers are numbered k = 0 (input), 1..L (hidden), L+1 (output). Gap g in [0, L] holds the
// W_g x W_{g+1} edges from layer g to layer g+1. Edges are numbered gap by gap, and within a gap
// by head unit j (in layer g+1) first, then tail unit i (in layer g): this canonical order is the
// order in which per-edge random numbers are drawn.

#include <cstdint>
#include <iosfwd>
#include <limits>

namespace dropperc {

/// The largest depth L whose layer count L + 2 is an int.
inline constexpr int kMaxArchitectureDepth = std::numeric_limits<int>::max() - 2;

struct Architecture {
  int input_width = 1;
  int width = 1;  ///< width of every hidden layer
  int depth = 1;  ///< number of hidden layers L
  int output_width = 1;

  /// A network with W_in = W_out = W.
  static Architecture uniform(int width, int depth) { return {width, width, depth, width}; }

  int layers() const { return depth + 2; }
  int gaps() const { return depth + 1; }
  int output_layer() const { return depth + 1; }
  bool is_hidden(int layer) const { return layer >= 1 && layer <= depth; }
  int layer_width(int layer) const {
    return layer == 0 ? input_width : layer == output_layer() ? output_width : width;
  }

  std::int64_t hidden_units() const { return std::int64_t{width} * depth; }
  std::int64_t units() const { return std::int64_t{input_width} + hidden_units() + output_width; }
  std::int64_t gap_edges(int gap) const {
    return std::int64_t{layer_width(gap)} * layer_width(gap + 1);
  }
  /// Index of the first unit of `layer` when units are numbered layer by layer.
  std::int64_t unit_offset(int layer) const {
    return layer == 0 ? 0 : input_width + std::int64_t{layer - 1} * width;
  }
  /// All weights: W_in W + (L - 1) W^2 + W W_out.
  std::int64_t edges() const;
  /// Canonical index of the first edge of `gap`.
  std::int64_t gap_edge_offset(int gap) const;

  friend bool operator==(const Architecture&, const Architecture&) = default;
};

/// Throws std::invalid_argument naming the offending field if a width or the depth is below 1.
void validate(const Architecture& arch);

/// "W_in=3 W=4 L=6 W_out=1".
std::ostream& operator<<(std::ostream& out, const Architecture& arch);

}  // namespace dropperc
