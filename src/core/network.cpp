#include "dropperc/core/network.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <string>

namespace dropperc {

std::int64_t Architecture::edges() const {
  return gap_edge_offset(gaps());
}

std::int64_t Architecture::gap_edge_offset(int gap) const {
  if (gap == 0) return 0;
  // W_in W + (g - 1) W^2 edges precede gap g in [1, L]; all of them precede gap L + 1.
  const std::int64_t w = width;
  const std::int64_t inner = std::min(gap, depth) - 1;
  const std::int64_t before = input_width * w + inner * w * w;
  return gap <= depth ? before : before + w * output_width;
}

void validate(const Architecture& arch) {
  auto require = [](bool ok, const char* field, int value, const char* rule) {
    if (!ok) {
      throw std::invalid_argument(std::string(field) + " = " + std::to_string(value) + ": " + rule);
    }
  };
  require(arch.input_width >= 1, "input width", arch.input_width, "must be at least 1");
  require(arch.width >= 1, "width", arch.width, "must be at least 1");
  require(arch.depth >= 1, "depth", arch.depth, "must be at least 1 (hidden layers)");
  require(arch.depth <= kMaxArchitectureDepth, "depth", arch.depth,
          "must be at most 2147483645, so that the layer count L + 2 is an int");
  require(arch.output_width >= 1, "output width", arch.output_width, "must be at least 1");
}

std::ostream& operator<<(std::ostream& out, const Architecture& arch) {
  return out << "W_in=" << arch.input_width << " W=" << arch.width << " L=" << arch.depth
             << " W_out=" << arch.output_width;
}

}  // namespace dropperc
