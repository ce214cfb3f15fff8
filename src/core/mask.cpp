#include "dropperc/core/mask.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace dropperc {

namespace {

constexpr double kAlwaysKept = std::numeric_limits<double>::infinity();

// Sets `row` (the words of one bitset of `bits` bits) to keep decisions drawn from the stream,
// one element per word of randomness in canonical order. Each 64-bit word is assembled without
// branches: the keep test is unpredictable near p = 1/2.
void draw_row(std::span<std::uint64_t> row, int bits, const KeepThreshold& keep,
              RandomStream& rng) {
  for (std::size_t w = 0; w < row.size(); ++w) {
    const int n = std::min(64, bits - static_cast<int>(w) * 64);
    std::uint64_t word = 0;
    for (int b = 0; b < n; ++b)
      word |= std::uint64_t{keep.keep(rng.next())} << b;
    row[w] = word;
  }
}

// As draw_row, 64 decisions at a time from KeepThreshold::draw_64.
void draw_row_packed(std::span<std::uint64_t> row, int bits, const KeepThreshold& keep,
                     RandomStream& rng) {
  for (std::size_t w = 0; w < row.size(); ++w) {
    const int n = std::min(64, bits - static_cast<int>(w) * 64);
    const std::uint64_t word = keep.draw_64(rng);
    row[w] = n == 64 ? word : word & ((std::uint64_t{1} << n) - 1);
  }
}

// Sets the first `bits` bits of `row`, leaving the bits past the width 0.
void fill_row(std::span<std::uint64_t> row, int bits) {
  for (std::size_t w = 0; w < row.size(); ++w) {
    const int n = std::min(64, bits - static_cast<int>(w) * 64);
    row[w] = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  }
}

}  // namespace

bool drops_units(DropoutModel model) {
  return model != DropoutModel::bond;
}
bool drops_edges(DropoutModel model) {
  return model != DropoutModel::site;
}

std::string_view name(DropoutModel model) {
  switch (model) {
    case DropoutModel::site:
      return "site";
    case DropoutModel::bond:
      return "bond";
    case DropoutModel::site_bond:
      return "site+bond";
  }
  return "?";
}

std::optional<DropoutModel> parse_dropout_model(std::string_view text) {
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    if (text == name(model)) return model;
  }
  return std::nullopt;
}

Dropout Dropout::of(DropoutModel model, double p) {
  return {model, drops_units(model) ? p : 0.0, drops_edges(model) ? p : 0.0, 0.0};
}

void validate(const Dropout& dropout) {
  auto require = [](double p, const char* what) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw std::invalid_argument(std::string(what) + " = " + std::to_string(p) +
                                  ": a drop probability must lie in [0, 1]");
    }
  };
  require(dropout.p_site, "p_site");
  require(dropout.p_bond, "p_bond");
  require(dropout.p_input, "p_input");
  for (double p : dropout.site_layers)
    require(p, "a unit drop probability of a layer");
  for (double p : dropout.bond_layers)
    require(p, "a weight drop probability of a layer");
}

void validate(const Dropout& dropout, const Architecture& arch) {
  validate(dropout);
  auto fits = [&](const std::vector<double>& list, bool used, const char* what, int expected,
                  const char* per) {
    if (list.empty()) return;
    if (!used) {
      throw std::invalid_argument("the " + std::string(name(dropout.model)) + " model drops no " +
                                  what + ": it takes no per-layer " + what + " probabilities");
    }
    if (static_cast<int>(list.size()) != expected) {
      throw std::invalid_argument(std::to_string(list.size()) + " " + what +
                                  " drop probabilities for a network of " +
                                  std::to_string(expected) + " " + per);
    }
  };
  fits(dropout.site_layers, drops_units(dropout.model), "unit", arch.depth(), "hidden layers");
  fits(dropout.bond_layers, drops_edges(dropout.model), "weight", arch.gaps(), "weight matrices");
}

Dropout Dropout::of_gap(int gap, const Architecture& arch) const {
  return {model, arch.is_hidden(gap + 1) ? site_at(gap + 1) : 0.0, bond_at(gap), 0.0, {}, {}};
}

ScanLine ScanLine::of(DropoutModel model, double p_input) {
  return {model, drops_units(model), drops_edges(model), 0.0, 0.0, p_input};
}

Dropout ScanLine::at(double p) const {
  return {model,
          drops_units(model) ? (scan_site ? p : fixed_p_site) : 0.0,
          drops_edges(model) ? (scan_bond ? p : fixed_p_bond) : 0.0,
          fixed_p_input,
          site_layers,
          bond_layers};
}

ReachProbability reach_probability(const Dropout& dropout, int reachable, bool hidden_target) {
  const double p_site = hidden_target ? dropout.p_site : 0.0;
  const double all_edges_dropped = std::pow(dropout.p_bond, reachable);
  return {(1.0 - p_site) * (1.0 - all_edges_dropped), p_site + (1.0 - p_site) * all_edges_dropped};
}

SampleUniforms draw_uniforms(const Architecture& arch, const ScanLine& line, RandomStream& rng) {
  const DropoutModel model = line.model;
  SampleUniforms uniforms;
  if (drops_units(model)) {
    uniforms.units.resize(arch.hidden_units());
    for (double& u : uniforms.units)
      u = rng.uniform();
  }
  if (drops_edges(model)) {
    uniforms.edges.resize(arch.edges());
    for (double& u : uniforms.edges)
      u = rng.uniform();
  }
  if (line.fixed_p_input > 0.0) {
    uniforms.inputs.resize(arch.input_width);
    for (double& u : uniforms.inputs)
      u = rng.uniform();
  }
  return uniforms;
}

ThresholdRule unit_rule(const ScanLine& line, int layer) {
  if (layer == 0) return {false, line.fixed_p_input};
  if (!line.site_layers.empty()) return {false, line.site_layers[layer - 1]};
  return {line.scan_site, line.fixed_p_site};
}

ThresholdRule edge_rule(const ScanLine& line, int gap) {
  if (!line.bond_layers.empty()) return {false, line.bond_layers[gap]};
  return {line.scan_bond, line.fixed_p_bond};
}

ElementThresholds element_thresholds(const Architecture& arch, const SampleUniforms& uniforms,
                                     const ScanLine& line) {
  ElementThresholds result{arch, std::vector<double>(arch.units(), kAlwaysKept), {}};
  if (line.fixed_p_input > 0.0 && uniforms.inputs.size() != std::size_t(arch.input_width))
    throw std::logic_error("element_thresholds: input dropout without the inputs' uniforms");
  const ThresholdRule input = unit_rule(line, 0);
  for (std::size_t i = 0; i < uniforms.inputs.size(); ++i)
    result.units[i] = input(uniforms.inputs[i]);
  if (!uniforms.units.empty()) {
    std::size_t n = 0;
    for (int k = 1; k <= arch.depth(); ++k) {
      const ThresholdRule rule = unit_rule(line, k);
      for (int i = 0; i < arch.layer_width(k); ++i, ++n)
        result.units[arch.unit_offset(1) + n] = rule(uniforms.units[n]);
    }
  }
  result.edges.reserve(uniforms.edges.size());
  if (!uniforms.edges.empty()) {
    std::size_t e = 0;
    for (int g = 0; g < arch.gaps(); ++g) {
      const ThresholdRule rule = edge_rule(line, g);
      for (std::int64_t n = 0; n < arch.gap_edges(g); ++n, ++e)
        result.edges.push_back(rule(uniforms.edges[e]));
    }
  }
  return result;
}

UnitSet::UnitSet(const Architecture& arch, bool filled) {
  offset_.reserve(arch.layers() + 1);
  offset_.push_back(0);
  for (int k = 0; k < arch.layers(); ++k)
    offset_.push_back(offset_.back() + words_for(arch.layer_width(k)));
  words_.assign(offset_.back(), 0);
  if (filled) {
    for (int k = 0; k < arch.layers(); ++k)
      fill_row(layer(k), arch.layer_width(k));
  }
}

void UnitSet::set(int layer, int i, bool value) {
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  std::uint64_t& word = words_[offset_[layer] + i / 64];
  word = value ? (word | bit) : (word & ~bit);
}

int UnitSet::count(int layer_index) const {
  int n = 0;
  for (std::uint64_t w : layer(layer_index))
    n += std::popcount(w);
  return n;
}

bool UnitSet::any(int layer_index) const {
  for (std::uint64_t w : layer(layer_index)) {
    if (w != 0) return true;
  }
  return false;
}

Mask::Mask(const Architecture& arch) : arch_(arch), units_(arch, true) {
  std::size_t total = 0;
  for (int g = 0; g < arch.gaps(); ++g) {
    row_words_.push_back(words_for(arch.layer_width(g)));
    gap_offset_.push_back(total);
    total += row_words_.back() * arch.layer_width(g + 1);
  }
  edge_words_.assign(total, 0);
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      fill_row({edge_words_.data() + row_offset(g, j), row_words_[g]}, arch.layer_width(g));
    }
  }
}

void Mask::set_edge(int gap, int tail, int head, bool kept) {
  if (!kept) all_edges_kept_ = false;
  const std::uint64_t bit = std::uint64_t{1} << (tail % 64);
  std::uint64_t& word = edge_words_[row_offset(gap, head) + tail / 64];
  word = kept ? (word | bit) : (word & ~bit);
}

Mask Mask::draw(const Architecture& arch, const Dropout& dropout, RandomStream& rng, MaskDraw how) {
  Mask mask(arch);
  mask.redraw(dropout, rng, how);
  return mask;
}

SkipMask::SkipMask(const Architecture& arch, int step, bool droppable)
    : step_(step), droppable_(droppable) {
  if (step < 1) throw std::invalid_argument("the skip step must be at least 1");
  offset_.push_back(0);
  for (int k = 0; k + step <= arch.output_layer(); k += step) {
    width_.push_back(std::min(arch.layer_width(k), arch.layer_width(k + step)));
    offset_.push_back(offset_.back() + words_for(width_.back()));
  }
  words_.assign(offset_.back(), 0);
  for (int b = 0; b < blocks(); ++b)
    fill_row({words_.data() + offset_[b], offset_[b + 1] - offset_[b]}, width_[b]);
}

int SkipMask::block_from(int layer) const {
  return layer % step_ == 0 && layer / step_ < blocks() ? layer / step_ : -1;
}

int SkipMask::block_into(int layer) const {
  return layer % step_ == 0 && layer >= step_ && layer / step_ <= blocks() ? layer / step_ - 1 : -1;
}

void SkipMask::set(int block, int i, bool value) {
  const std::uint64_t bit = std::uint64_t{1} << (i % 64);
  std::uint64_t& word = words_[offset_[block] + i / 64];
  word = value ? (word | bit) : (word & ~bit);
}

void Mask::redraw(const Dropout& dropout, RandomStream& rng, MaskDraw how) {
  redraw(dropout, nullptr, rng, how);
}

void Mask::redraw(const Dropout& dropout, SkipMask& skips, RandomStream& rng, MaskDraw how) {
  redraw(dropout, &skips, rng, how);
}

void Mask::redraw(const Dropout& dropout, SkipMask* skips, RandomStream& rng, MaskDraw how) {
  // Hidden units, edges, skips, then input units (docs/theory.md §8).
  const auto draw_row = how == MaskDraw::canonical ? &dropperc::draw_row : &draw_row_packed;
  for (int k = 1; k <= arch_.depth(); ++k) {
    if (drops_units(dropout.model)) {
      draw_row(units_.layer(k), arch_.layer_width(k), KeepThreshold(dropout.site_at(k)), rng);
    } else {
      fill_row(units_.layer(k), arch_.layer_width(k));
    }
  }
  if (drops_edges(dropout.model)) {
    all_edges_kept_ = true;
    for (int g = 0; g < arch_.gaps(); ++g) {
      const KeepThreshold keep(dropout.bond_at(g));
      all_edges_kept_ = all_edges_kept_ && dropout.bond_at(g) == 0.0;
      for (int j = 0; j < arch_.layer_width(g + 1); ++j) {
        draw_row({edge_words_.data() + row_offset(g, j), row_words_[g]}, arch_.layer_width(g), keep,
                 rng);
      }
    }
  } else if (!all_edges_kept_) {
    for (int g = 0; g < arch_.gaps(); ++g) {
      for (int j = 0; j < arch_.layer_width(g + 1); ++j) {
        fill_row({edge_words_.data() + row_offset(g, j), row_words_[g]}, arch_.layer_width(g));
      }
    }
    all_edges_kept_ = true;
  }
  for (int b = 0; skips != nullptr && b < skips->blocks(); ++b) {
    const std::span<std::uint64_t> row{skips->words_.data() + skips->offset_[b],
                                       skips->offset_[b + 1] - skips->offset_[b]};
    if (skips->droppable() && drops_edges(dropout.model)) {
      draw_row(row, skips->width(b), KeepThreshold(dropout.bond_at(skips->head(b) - 1)), rng);
    } else {
      fill_row(row, skips->width(b));
    }
  }
  if (dropout.p_input > 0.0) {
    draw_row(units_.layer(0), arch_.input_width, KeepThreshold(dropout.p_input), rng);
  } else {
    fill_row(units_.layer(0), arch_.input_width);
  }
}

Mask Mask::at(const ElementThresholds& thresholds, double p) {
  const Architecture& arch = thresholds.arch;
  Mask mask(arch);
  for (int k = 0; k < arch.layers(); ++k) {
    for (int i = 0; i < arch.layer_width(k); ++i)
      mask.set_unit(k, i, thresholds.unit(k, i) > p);
  }
  if (thresholds.edges.empty()) return mask;
  std::size_t e = 0;
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      for (int i = 0; i < arch.layer_width(g); ++i)
        mask.set_edge(g, i, j, thresholds.edges[e++] > p);
    }
  }
  assert(e == thresholds.edges.size());
  return mask;
}

}  // namespace dropperc
