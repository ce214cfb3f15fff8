#pragma once
// Dropout models and the masks they draw (docs/theory.md §1).
//
// p is always the *drop* probability. Each random element (a hidden unit under site dropout, a
// weight under DropConnect) gets one uniform u from the sample's stream, in canonical order:
// hidden units layer by layer, then edges in the order of network.hpp. The element is kept at
// drop probability p iff u > p. So masks at different p built from the same uniforms are nested
// (coupled), and every observable of the mask at p is a function of per-element thresholds:
// that is what lets one sample give a whole curve theta(p) (docs/theory.md §2, §3).

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dropperc/core/network.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {

enum class DropoutModel {
  site,       ///< dropout: hidden units removed with probability p_site (with all their edges)
  bond,       ///< DropConnect: every weight of every weight matrix removed with probability p_bond
  site_bond,  ///< both, independently
};

bool drops_units(DropoutModel model);
bool drops_edges(DropoutModel model);
/// "site", "bond" or "site+bond".
std::string_view name(DropoutModel model);
/// Inverse of name(); nullopt for anything else.
std::optional<DropoutModel> parse_dropout_model(std::string_view text);

/// One dropout setting. The probability a model does not use is 0.
struct Dropout {
  DropoutModel model = DropoutModel::bond;
  double p_site = 0.0;
  double p_bond = 0.0;
  /// Input-unit dropout, of any model (the classic 0.2 of nn.Dropout on the inputs): each input
  /// unit is removed with probability p_input. Its decisions are drawn last, after the model's
  /// (Mask::draw, draw_uniforms), and not at all when it is 0, so that a network without input
  /// dropout draws exactly what it drew before input dropout existed.
  double p_input = 0.0;
  /// Per-layer drop probabilities, when not empty: site_layers[k - 1] replaces p_site at hidden
  /// layer k = 1..L, bond_layers[g] replaces p_bond on the weights of gap g = 0..L (those into
  /// layer g + 1). Empty: one probability everywhere, as before they existed.
  std::vector<double> site_layers = {}, bond_layers = {};

  /// Every probability the model uses set to p.
  static Dropout of(DropoutModel model, double p);
  /// The drop probability of the units of hidden layer k (1..L) and of the weights of gap g.
  double site_at(int layer) const { return site_layers.empty() ? p_site : site_layers[layer - 1]; }
  double bond_at(int gap) const { return bond_layers.empty() ? p_bond : bond_layers[gap]; }
  /// Gap g's probabilities as one-gap formulas take them (reach_probability): p_site of its
  /// head layer (0 at the output), p_bond of its weights, no lists.
  Dropout of_gap(int gap, const Architecture& arch) const;
  friend bool operator==(const Dropout&, const Dropout&) = default;
};

/// Throws std::invalid_argument naming the probability if one is outside [0, 1].
void validate(const Dropout& dropout);
/// Also that per-layer lists fit the network (L site values, L + 1 bond values) and the model
/// (a site list only if it drops units, a bond list only if it drops weights).
void validate(const Dropout& dropout, const Architecture& arch);

/// A one-parameter family p -> Dropout: the scanned probabilities equal p, the others keep
/// their fixed values. theta(p) along a scan line is what per-sample thresholds measure.
struct ScanLine {
  DropoutModel model = DropoutModel::bond;
  bool scan_site = false;
  bool scan_bond = true;
  double fixed_p_site = 0.0;   ///< used when the model drops units and scan_site is false
  double fixed_p_bond = 0.0;   ///< used when the model drops edges and scan_bond is false
  double fixed_p_input = 0.0;  ///< input dropout, never scanned
  /// Per-layer probabilities (Dropout::site_layers, bond_layers), fixed: a non-empty list
  /// replaces the scan of its kind (scan_site or scan_bond is then false).
  std::vector<double> site_layers = {}, bond_layers = {};

  /// Scans every probability the model uses, with input dropout `p_input` fixed.
  static ScanLine of(DropoutModel model, double p_input = 0.0);
  Dropout at(double p) const;
  /// Whether p moves anything (site+bond with both probabilities fixed does not).
  bool scans() const {
    return (drops_units(model) && scan_site) || (drops_edges(model) && scan_bond);
  }
};

/// Given n forward-reachable units in layer k, each unit of layer k+1 is reached
/// independently (its n incoming edges from them are its own) with probability
/// success = (1 - p_site) (1 - p_bond^n), where p_site applies only to a hidden target layer;
/// failure = p_site + (1 - p_site) p_bond^n is returned alongside, free of cancellation.
/// docs/theory.md §3.
struct ReachProbability {
  double success;
  double failure;
};
ReachProbability reach_probability(const Dropout& dropout, int reachable, bool hidden_target);

/// A sample's coupled uniforms: `units` holds one per hidden unit (layer-major) if the line's
/// model drops units, else is empty; `edges` one per edge in canonical order if it drops edges;
/// `inputs` one per input unit, drawn last, if the line has input dropout.
struct SampleUniforms {
  std::vector<double> units;
  std::vector<double> edges;
  std::vector<double> inputs;
};
SampleUniforms draw_uniforms(const Architecture& arch, const ScanLine& line, RandomStream& rng);

/// How a scan line turns an element's uniform into its threshold: the uniform itself if the
/// element is scanned, else +inf (kept at every p) or -inf (dropped at every p) against its
/// fixed probability.
struct ThresholdRule {
  bool scanned = true;
  double fixed_p = 0.0;
  double operator()(double u) const {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    return scanned ? u : (u > fixed_p ? kInf : -kInf);
  }
};
/// The rule of the units of layer k (0: the inputs, by the input dropout; 1..L: hidden) and of
/// the weights of gap g, for the elements the line's model drops.
ThresholdRule unit_rule(const ScanLine& line, int layer);
ThresholdRule edge_rule(const ScanLine& line, int gap);

/// Element thresholds along a scan line: the element is kept at line parameter p iff its
/// threshold exceeds p. A scanned element's threshold is its uniform; a fixed one's is +inf
/// (kept) or -inf (dropped); elements the model never drops are +inf. `units` covers every
/// layer (layer-major; input units fixed by the input dropout, output units at +inf); an empty
/// `edges` means every edge at +inf.
struct ElementThresholds {
  Architecture arch;
  std::vector<double> units;
  std::vector<double> edges;

  double unit(int layer, int i) const { return units[arch.unit_offset(layer) + i]; }
};
ElementThresholds element_thresholds(const Architecture& arch, const SampleUniforms& uniforms,
                                     const ScanLine& line);

/// How a mask's keep decisions are drawn. `canonical`: one word per element in canonical order,
/// the mask that coupled uniforms and thresholds reproduce. `packed`: the same law from about
/// 8 words per 64 elements (KeepThreshold::draw_64), for training, where no coupling is needed.
enum class MaskDraw { canonical, packed };

/// Per-layer sets of units as bitsets, 64 units a word; bits past a layer's width are 0.
class UnitSet {
 public:
  UnitSet(const Architecture& arch, bool filled);

  bool contains(int layer, int i) const {
    return (words_[offset_[layer] + i / 64] >> (i % 64)) & 1u;
  }
  void set(int layer, int i, bool value);
  std::span<std::uint64_t> layer(int layer) {
    return {words_.data() + offset_[layer], offset_[layer + 1] - offset_[layer]};
  }
  std::span<const std::uint64_t> layer(int layer) const {
    return {words_.data() + offset_[layer], offset_[layer + 1] - offset_[layer]};
  }
  int count(int layer) const;
  bool any(int layer) const;

 private:
  std::vector<std::size_t> offset_;  // first word of each layer, plus one past the end
  std::vector<std::uint64_t> words_;
};

/// The identity skips of a dense network with skips every S layers (geometry.hpp's
/// Topology::residual) that one sample keeps. Block b joins unit i of layer tail(b) = b S to
/// unit i of layer head(b) = (b + 1) S, for i below both widths. DropConnect drops a droppable
/// skip with the drop probability of the weights into its head layer, bond_at(head(b) - 1), as
/// a Graph's thresholds do; site dropout acts through the units (a skip is present only if both
/// its units are kept). Skips carry no parameter: a kept one adds its tail's value unchanged.
class SkipMask {
 public:
  /// Every skip kept; step >= 1.
  SkipMask(const Architecture& arch, int step, bool droppable);

  int step() const { return step_; }
  bool droppable() const { return droppable_; }
  int blocks() const { return static_cast<int>(width_.size()); }
  int tail(int block) const { return block * step_; }
  int head(int block) const { return (block + 1) * step_; }
  /// Skips in the block: the smaller of the two layers' widths.
  int width(int block) const { return width_[block]; }
  /// The block whose skips leave (start at) or land at (end at) `layer`, or -1.
  int block_from(int layer) const;
  int block_into(int layer) const;

  std::span<const std::uint64_t> kept(int block) const {
    return {words_.data() + offset_[block], offset_[block + 1] - offset_[block]};
  }
  bool kept(int block, int i) const { return (kept(block)[i / 64] >> (i % 64)) & 1u; }
  void set(int block, int i, bool kept);

 private:
  friend class Mask;
  int step_ = 1;
  bool droppable_ = true;
  std::vector<int> width_;
  std::vector<std::size_t> offset_;  // first word of each block, plus one past the end
  std::vector<std::uint64_t> words_;
};

/// One dropout mask: kept units and kept edges. An edge counts as present in the network
/// only if it and both its end units are kept; the mask stores the three separately.
class Mask {
 public:
  /// Everything kept.
  explicit Mask(const Architecture& arch);

  /// Draws a mask from the stream in canonical order; equal to at(element_thresholds(draw_
  /// uniforms(...)), p) for the same stream, bit for bit, without storing uniforms.
  static Mask draw(const Architecture& arch, const Dropout& dropout, RandomStream& rng,
                   MaskDraw how = MaskDraw::canonical);
  /// The same draw into this mask's storage (no allocation): what draw() returns for this
  /// mask's architecture.
  void redraw(const Dropout& dropout, RandomStream& rng, MaskDraw how = MaskDraw::canonical);
  /// The same draw with the skips of a residual network, drawn after the edges and before the
  /// input units, as graph_thresholds orders a Graph's elements: with MaskDraw::canonical, the
  /// mask and the skips are the Graph's mask at p bit for bit. Skips that are not droppable, and
  /// every skip of a model that drops no edges, are kept and draw nothing.
  void redraw(const Dropout& dropout, SkipMask& skips, RandomStream& rng,
              MaskDraw how = MaskDraw::canonical);
  /// The mask at line parameter p: elements with threshold > p.
  static Mask at(const ElementThresholds& thresholds, double p);

  const Architecture& architecture() const { return arch_; }
  const UnitSet& units() const { return units_; }
  bool unit(int layer, int i) const { return units_.contains(layer, i); }
  void set_unit(int layer, int i, bool kept) { units_.set(layer, i, kept); }

  /// Bitset over the tails (units of layer `gap`) of the kept edges into `head`.
  std::span<const std::uint64_t> incoming(int gap, int head) const {
    return {edge_words_.data() + row_offset(gap, head), row_words_[gap]};
  }
  bool edge(int gap, int tail, int head) const {
    return (edge_words_[row_offset(gap, head) + tail / 64] >> (tail % 64)) & 1u;
  }
  void set_edge(int gap, int tail, int head, bool kept);
  /// True when every edge is known to be kept (site dropout, or no edge ever dropped): then
  /// observables reduce to per-layer counts (percolation.cpp's fast paths).
  bool all_edges_kept() const { return all_edges_kept_; }

 private:
  void redraw(const Dropout& dropout, SkipMask* skips, RandomStream& rng, MaskDraw how);
  std::size_t row_offset(int gap, int head) const {
    return gap_offset_[gap] + std::size_t(head) * row_words_[gap];
  }

  Architecture arch_;
  UnitSet units_;
  std::vector<std::size_t> row_words_;   // words per incoming-edge row of each gap
  std::vector<std::size_t> gap_offset_;  // first word of each gap
  std::vector<std::uint64_t> edge_words_;
  bool all_edges_kept_ = true;
};

/// Words needed for a bitset of n bits.
constexpr std::size_t words_for(int bits) {
  return (std::size_t(bits) + 63) / 64;
}

}  // namespace dropperc
