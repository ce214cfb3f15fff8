#include <limits>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "dropperc/core/network.hpp"

namespace dropperc {
namespace {

TEST(Network, CountsUnitsAndEdgesLayerByLayer) {
  const Architecture arch{3, 4, 5, 2};
  EXPECT_EQ(arch.layers(), 7);
  EXPECT_EQ(arch.gaps(), 6);
  EXPECT_EQ(arch.layer_width(0), 3);
  EXPECT_EQ(arch.layer_width(1), 4);
  EXPECT_EQ(arch.layer_width(5), 4);
  EXPECT_EQ(arch.layer_width(6), 2);
  EXPECT_EQ(arch.units(), 3 + 5 * 4 + 2);
  EXPECT_EQ(arch.hidden_units(), 20);
  // W_in W + (L - 1) W^2 + W W_out
  EXPECT_EQ(arch.edges(), 3 * 4 + 4 * 16 + 4 * 2);
  EXPECT_EQ(arch.gap_edge_offset(0), 0);
  EXPECT_EQ(arch.gap_edge_offset(1), 12);
  EXPECT_EQ(arch.gap_edge_offset(2), 28);
  EXPECT_EQ(arch.gap_edge_offset(5), 12 + 64);
  EXPECT_EQ(arch.unit_offset(0), 0);
  EXPECT_EQ(arch.unit_offset(1), 3);
  EXPECT_EQ(arch.unit_offset(6), 23);
  std::int64_t edges = 0;
  for (int g = 0; g < arch.gaps(); ++g) {
    EXPECT_EQ(arch.gap_edge_offset(g), edges);
    edges += arch.gap_edges(g);
  }
  EXPECT_EQ(edges, arch.edges());
}

TEST(Network, CountsUnitsAndEdgesOfPerLayerWidths) {
  const Architecture arch = Architecture::layered(3, {4, 2, 5}, 2);
  EXPECT_FALSE(arch.is_uniform());
  EXPECT_EQ(arch.depth(), 3);
  EXPECT_EQ(arch.layer_width(2), 2);
  EXPECT_EQ(arch.max_width(), 5);
  EXPECT_EQ(arch.hidden_units(), 11);
  EXPECT_EQ(arch.units(), 16);
  EXPECT_EQ(arch.edges(), 3 * 4 + 4 * 2 + 2 * 5 + 5 * 2);
  EXPECT_EQ(arch.unit_offset(1), 3);
  EXPECT_EQ(arch.unit_offset(3), 9);
  EXPECT_EQ(arch.unit_offset(4), 14);
  std::int64_t edges = 0;
  for (int g = 0; g < arch.gaps(); ++g) {
    EXPECT_EQ(arch.gap_edge_offset(g), edges);
    edges += arch.gap_edges(g);
  }
  EXPECT_EQ(edges, arch.edges());
  EXPECT_THROW((void)arch.width(), std::logic_error);
  std::ostringstream out;
  out << arch;
  EXPECT_EQ(out.str(), "W_in=3 W=4,2,5 L=3 W_out=2");
}

TEST(Network, RefusesBadPerLayerWidths) {
  try {
    validate(Architecture::layered(1, {3, 0, 2}, 1));
    FAIL() << "a width of 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "width of hidden layer 2 = 0: must be at least 1");
  }
  EXPECT_THROW(validate(Architecture::layered(1, {}, 1)), std::invalid_argument);
  // Edges beyond 2^62 would overflow the prefix sums.
  const int most = std::numeric_limits<int>::max();
  const std::vector<int> huge = {most, most, most - 1};
  EXPECT_THROW((void)Architecture::layered(1, huge, 1), std::invalid_argument);
}

TEST(Network, SingleHiddenLayerHasTwoGaps) {
  const Architecture arch{2, 5, 1, 3};
  EXPECT_EQ(arch.edges(), 2 * 5 + 5 * 3);
  EXPECT_EQ(arch.gap_edge_offset(1), 10);
  EXPECT_EQ(arch.output_layer(), 2);
}

TEST(Network, ValidateNamesTheBadField) {
  EXPECT_NO_THROW(validate(Architecture::uniform(1, 1)));
  auto message = [](const Architecture& arch) {
    try {
      validate(arch);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({1, 1, 0, 1}), "depth = 0: must be at least 1 (hidden layers)");
  EXPECT_EQ(message({1, -3, 2, 1}), "width = -3: must be at least 1");
  EXPECT_EQ(message({0, 1, 2, 1}), "input width = 0: must be at least 1");
  EXPECT_EQ(message({1, 1, 2, 0}), "output width = 0: must be at least 1");
  // L + 2 layers must be an int.
  EXPECT_NO_THROW(validate({1, 1, kMaxArchitectureDepth, 1}));
  EXPECT_EQ(
      message({1, 1, kMaxArchitectureDepth + 1, 1}),
      "depth = 2147483646: must be at most 2147483645, so that the layer count L + 2 is an int");
}

TEST(Network, PrintsItsShape) {
  std::ostringstream out;
  out << Architecture{3, 4, 6, 1};
  EXPECT_EQ(out.str(), "W_in=3 W=4 L=6 W_out=1");
}

}  // namespace
}  // namespace dropperc
