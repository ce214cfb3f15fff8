#pragma once
// The layered network whose percolation dropperc studies (docs/theory.md §1): an input layer of
// width W_in, L hidden layers of widths W_1..W_L and an output layer of width W_out, with every
// pair of adjacent layers fully connected (complete bipartite) and no other edges. A uniform
// network has W_k = W for every hidden layer; it is stored as (W, L), so that L may be 10^9.
//
// Layers are numbered k = 0 (input), 1..L (hidden), L+1 (output). Gap g in [0, L] holds the
// W_g x W_{g+1} edges from layer g to layer g+1. Edges are numbered gap by gap, and within a gap
// by head unit j (in layer g+1) first, then tail unit i (in layer g): this canonical order is the
// order in which per-edge random numbers are drawn.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace dropperc {

/// The largest depth L whose layer count L + 2 is an int.
inline constexpr int kMaxArchitectureDepth = std::numeric_limits<int>::max() - 2;

class Architecture {
 public:
  int input_width = 1;
  int output_width = 1;

  /// 1 -> 1 -> 1.
  Architecture() = default;
  /// W_in -> L hidden layers of width W -> W_out.
  Architecture(int inputs, int width, int depth, int outputs);
  /// W_in -> W_1 -> ... -> W_L -> W_out. A list of equal widths gives the uniform network, the
  /// same value as the four-number constructor; an empty list has depth 0 (validate refuses it).
  static Architecture layered(int inputs, std::vector<int> hidden_widths, int outputs);
  /// A network with W_in = W_out = W.
  static Architecture uniform(int width, int depth) { return {width, width, depth, width}; }

  bool is_uniform() const { return listed_.empty(); }
  /// The width of every hidden layer of a uniform network; throws std::logic_error for a
  /// layered one, whose code paths must ask layer_width().
  int width() const;
  /// width() of a uniform network, `fallback` for a layered one (tables write -1).
  int width_or(int fallback) const { return is_uniform() ? width_ : fallback; }
  /// The same uniform network with another depth; throws std::logic_error for a layered one.
  Architecture with_depth(int depth) const;
  /// The same hidden layers between an input layer of `inputs` and an output layer of `outputs`.
  Architecture with_ends(int inputs, int outputs) const;
  /// W_1..W_L of a layered network; empty for a uniform one.
  const std::vector<int>& hidden_widths() const { return listed_; }
  /// The largest width of any layer, input and output included.
  int max_width() const;

  int depth() const { return depth_; }
  int layers() const { return depth_ + 2; }
  int gaps() const { return depth_ + 1; }
  int output_layer() const { return depth_ + 1; }
  bool is_hidden(int layer) const { return layer >= 1 && layer <= depth_; }
  int layer_width(int layer) const {
    return layer == 0                ? input_width
           : layer == output_layer() ? output_width
           : listed_.empty()         ? width_
                                     : listed_[layer - 1];
  }

  std::int64_t hidden_units() const { return hidden_before(depth_ + 1); }
  std::int64_t units() const { return std::int64_t{input_width} + hidden_units() + output_width; }
  std::int64_t gap_edges(int gap) const {
    return std::int64_t{layer_width(gap)} * layer_width(gap + 1);
  }
  /// Index of the first unit of `layer` when units are numbered layer by layer.
  std::int64_t unit_offset(int layer) const {
    return layer == 0 ? 0 : input_width + hidden_before(layer);
  }
  /// All weights: W_in W_1 + sum_k W_k W_{k+1} + W_L W_out.
  std::int64_t edges() const;
  /// Canonical index of the first edge of `gap`.
  std::int64_t gap_edge_offset(int gap) const;

  friend bool operator==(const Architecture&, const Architecture&) = default;

 private:
  // Hidden units in hidden layers 1..layer-1, for layer in [1, L + 1].
  std::int64_t hidden_before(int layer) const {
    return listed_.empty() ? std::int64_t{layer - 1} * width_ : units_before_[layer - 1];
  }
  // Hidden-to-hidden edges in gaps 1..gap-1, for gap in [1, L].
  std::int64_t inner_edges_before(int gap) const;

  int width_ = 1;  // the uniform width; 0 when listed_ is not empty
  int depth_ = 1;
  std::vector<int> listed_;                 // W_1..W_L of a layered network
  std::vector<std::int64_t> units_before_;  // prefix sums of listed_, L + 1 entries
  std::vector<std::int64_t> inner_before_;  // prefix sums of W_k W_{k+1}, L entries
};

/// Throws std::invalid_argument naming the offending field if a width or the depth is below 1.
void validate(const Architecture& arch);

/// "W_in=3 W=4 L=6 W_out=1", or "W_in=784 W=512,256,128 L=3 W_out=10".
std::ostream& operator<<(std::ostream& out, const Architecture& arch);
/// The hidden widths as --widths takes them: "16" for a uniform network, "512,256,128".
std::string hidden_widths_text(const Architecture& arch);
/// Its inverse, "512,256,128" -> {512, 256, 128}: every field a whole number >= 1, else
/// std::invalid_argument naming the field.
std::vector<int> parse_widths(std::string_view text);

}  // namespace dropperc
