#include "dropperc/core/network.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>

namespace dropperc {

Architecture::Architecture(int inputs, int width, int depth, int outputs)
    : input_width(inputs), output_width(outputs), width_(width), depth_(depth) {}

Architecture Architecture::layered(int inputs, std::vector<int> hidden_widths, int outputs) {
  const bool equal =
      !hidden_widths.empty() && std::all_of(hidden_widths.begin(), hidden_widths.end(),
                                            [&](int w) { return w == hidden_widths.front(); });
  if (equal) {
    return {inputs, hidden_widths.front(), static_cast<int>(hidden_widths.size()), outputs};
  }
  // The prefix sums below are exact in int64 while the edges, summed in double, stay below 2^62.
  double edges = 0.0;
  for (std::size_t k = 0; k + 1 < hidden_widths.size(); ++k)
    edges += std::abs(static_cast<double>(hidden_widths[k]) * hidden_widths[k + 1]);
  if (edges > 0x1p62) {
    throw std::invalid_argument("the hidden layers have about " + std::to_string(edges) +
                                " edges, more than 2^62");
  }
  Architecture arch(inputs, 0, static_cast<int>(hidden_widths.size()), outputs);
  arch.units_before_.assign(hidden_widths.size() + 1, 0);
  arch.inner_before_.assign(hidden_widths.size(), 0);
  for (std::size_t k = 0; k < hidden_widths.size(); ++k) {
    arch.units_before_[k + 1] = arch.units_before_[k] + hidden_widths[k];
    if (k + 1 < hidden_widths.size()) {
      arch.inner_before_[k + 1] =
          arch.inner_before_[k] + std::int64_t{hidden_widths[k]} * hidden_widths[k + 1];
    }
  }
  arch.listed_ = std::move(hidden_widths);
  return arch;
}

int Architecture::width() const {
  if (!is_uniform()) throw std::logic_error("width() of a network with per-layer widths");
  return width_;
}

Architecture Architecture::with_depth(int depth) const {
  return {input_width, width(), depth, output_width};
}

Architecture Architecture::with_ends(int inputs, int outputs) const {
  Architecture arch = *this;
  arch.input_width = inputs;
  arch.output_width = outputs;
  return arch;
}

int Architecture::max_width() const {
  const int hidden = is_uniform() ? width_ : *std::max_element(listed_.begin(), listed_.end());
  return std::max({input_width, hidden, output_width});
}

std::int64_t Architecture::inner_edges_before(int gap) const {
  return is_uniform() ? std::int64_t{gap - 1} * width_ * width_ : inner_before_[gap - 1];
}

std::int64_t Architecture::edges() const {
  return gap_edge_offset(gaps());
}

std::int64_t Architecture::gap_edge_offset(int gap) const {
  if (gap == 0) return 0;
  // W_in W_1 + the inner gaps before g precede gap g in [1, L]; all of them precede gap L + 1.
  const std::int64_t before =
      std::int64_t{input_width} * layer_width(1) + inner_edges_before(std::min(gap, depth_));
  return gap <= depth_ ? before : before + std::int64_t{layer_width(depth_)} * output_width;
}

void validate(const Architecture& arch) {
  auto require = [](bool ok, const std::string& field, std::int64_t value, const char* rule) {
    if (!ok) throw std::invalid_argument(field + " = " + std::to_string(value) + ": " + rule);
  };
  require(arch.input_width >= 1, "input width", arch.input_width, "must be at least 1");
  require(arch.depth() >= 1, "depth", arch.depth(), "must be at least 1 (hidden layers)");
  require(arch.depth() <= kMaxArchitectureDepth, "depth", arch.depth(),
          "must be at most 2147483645, so that the layer count L + 2 is an int");
  if (arch.is_uniform()) {
    require(arch.width() >= 1, "width", arch.width(), "must be at least 1");
  } else {
    for (int k = 1; k <= arch.depth(); ++k) {
      require(arch.layer_width(k) >= 1, "width of hidden layer " + std::to_string(k),
              arch.layer_width(k), "must be at least 1");
    }
  }
  require(arch.output_width >= 1, "output width", arch.output_width, "must be at least 1");
}

std::ostream& operator<<(std::ostream& out, const Architecture& arch) {
  return out << "W_in=" << arch.input_width << " W=" << hidden_widths_text(arch)
             << " L=" << arch.depth() << " W_out=" << arch.output_width;
}

std::vector<int> parse_widths(std::string_view text) {
  std::vector<int> widths;
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string_view field = text.substr(start, end - start);
    int width = 0;
    const auto [stop, error] = std::from_chars(field.data(), field.data() + field.size(), width);
    if (error != std::errc{} || stop != field.data() + field.size() || width < 1) {
      throw std::invalid_argument("'" + std::string(field.substr(0, 40)) + "' in '" +
                                  std::string(text.substr(0, 80)) +
                                  "' is not a width (a whole number from 1 to 2147483647)");
    }
    widths.push_back(width);
    if (end == text.size()) return widths;
    start = end + 1;
  }
}

std::string hidden_widths_text(const Architecture& arch) {
  if (arch.is_uniform()) return std::to_string(arch.width());
  std::string text;
  for (int k = 1; k <= arch.depth(); ++k)
    text += (k > 1 ? "," : "") + std::to_string(arch.layer_width(k));
  return text;
}

}  // namespace dropperc
