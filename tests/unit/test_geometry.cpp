#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/core/geometry.hpp"

namespace dropperc {
namespace {

// Head units of layer `layer` and their tails (within the previous layer), edge by edge.
std::vector<std::pair<int, int>> gap_edges(const Graph& graph, int gap) {
  const Architecture& arch = graph.architecture();
  const EdgeBlock& block = graph.blocks()[gap];
  std::vector<std::pair<int, int>> edges;
  for (std::int64_t e = block.first; e < block.last; ++e) {
    edges.emplace_back(graph.tail(e) - arch.unit_offset(gap),
                       graph.head(e) - arch.unit_offset(gap + 1));
  }
  return edges;
}

TEST(Geometry, DenseGraphListsTheCanonicalEdges) {
  const Architecture arch = Architecture::layered(2, {3, 2}, 1);
  const Graph graph(arch, Topology{});
  ASSERT_EQ(graph.edges(), arch.edges());
  for (int g = 0; g < arch.gaps(); ++g) {
    std::int64_t e = arch.gap_edge_offset(g);
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      for (int i = 0; i < arch.layer_width(g); ++i, ++e) {
        EXPECT_EQ(graph.tail(e), arch.unit_offset(g) + i);
        EXPECT_EQ(graph.head(e), arch.unit_offset(g + 1) + j);
      }
    }
  }
}

TEST(Geometry, LocalPeriodicKernelTakesOffsetsModuloTheWidth) {
  // W = 4, K = 2: unit j reads j and j + 1 mod 4; the single input sits at position 0.
  const Graph graph({1, 4, 2, 4}, Topology::local(2, Boundary::periodic));
  EXPECT_EQ(gap_edges(graph, 0), (std::vector<std::pair<int, int>>{{0, 0}, {0, 3}}));
  EXPECT_EQ(gap_edges(graph, 1),
            (std::vector<std::pair<int, int>>{
                {0, 0}, {1, 0}, {1, 1}, {2, 1}, {2, 2}, {3, 2}, {3, 3}, {0, 3}}));
}

TEST(Geometry, LocalOpenKernelStopsAtTheEdge) {
  const Graph graph({4, 4, 1, 4}, Topology::local(2, Boundary::open));
  EXPECT_EQ(gap_edges(graph, 0), (std::vector<std::pair<int, int>>{
                                     {0, 0}, {1, 0}, {1, 1}, {2, 1}, {2, 2}, {3, 2}, {3, 3}}));
}

TEST(Geometry, TwoDimensionalKernelTakesEveryChannelOfItsNeighbourhood) {
  // C = 2 channels on a 2 x 2 grid, K = 2, open: site (1, 1) reads only itself, both channels.
  const Graph graph({8, 8, 1, 8}, Topology::local(2, Boundary::open, 2, 2));
  const Architecture& arch = graph.architecture();
  for (int c = 0; c < 2; ++c) {
    const auto head = static_cast<std::int32_t>(arch.unit_offset(1) + 3 * 2 + c);
    std::vector<int> tails;
    for (std::int32_t e : graph.in_edges(head))
      tails.push_back(graph.tail(e));
    EXPECT_EQ(tails, (std::vector<int>{6, 7}));
  }
  // Site (0, 0) reads the whole grid: 4 sites x 2 channels.
  EXPECT_EQ(graph.in_edges(static_cast<std::int32_t>(arch.unit_offset(1))).size(), 8u);
  EXPECT_EQ(edge_count(arch, graph.topology()), graph.edges());
}

TEST(Geometry, SkipsJoinEqualUnitsEveryStepLayers) {
  Topology t;
  t.residual = 2;
  // Layers 0..4 (L = 3): skips 0 -> 2 and 2 -> 4, for i below both widths.
  const Architecture arch = Architecture::layered(2, {3, 3, 3}, 1);
  const Graph graph(arch, t);
  ASSERT_EQ(graph.blocks().size(), 6u);
  const EdgeBlock first = graph.blocks()[4], second = graph.blocks()[5];
  EXPECT_TRUE(first.skips);
  EXPECT_EQ(first.last - first.first, 2);
  EXPECT_EQ(second.last - second.first, 1);
  EXPECT_EQ(first.gap, 1);
  EXPECT_EQ(second.gap, 3);
  EXPECT_EQ(graph.tail(first.first), 0);
  EXPECT_EQ(graph.head(first.first), arch.unit_offset(2));
  EXPECT_EQ(graph.edges(), arch.edges() + 3);
  EXPECT_EQ(edge_count(arch, t), graph.edges());
}

TEST(Geometry, RefusesWhatDoesNotFit) {
  auto message = [](const Architecture& arch, const Topology& t) {
    try {
      validate(t, arch);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(Architecture::layered(1, {4, 5}, 1), Topology::local(2, Boundary::periodic))
                .find("hidden widths are 4,5"),
            std::string::npos);
  EXPECT_NE(message({1, 4, 2, 1}, Topology::local(5, Boundary::periodic)).find("--kernel 5"),
            std::string::npos);
  EXPECT_NE(message({5, 4, 2, 1}, Topology::local(2, Boundary::periodic)).find("input width 5"),
            std::string::npos);
  EXPECT_NE(message({1, 8, 2, 1}, Topology::local(2, Boundary::open, 2, 1)).find("C side^2"),
            std::string::npos);
  EXPECT_NE(message({1, 4, 2, 1}, Topology::local(2, Boundary::open, 3)).find("--dimensions 3"),
            std::string::npos);
  Topology skips;
  skips.residual = 4;
  EXPECT_NE(message({1, 4, 2, 1}, skips).find("--residual 4"), std::string::npos);
  skips.residual = 3;
  EXPECT_EQ(message({1, 4, 2, 1}, skips), "");
}

TEST(Geometry, RefusesGraphsPastTheEdgeLimitBeforeAllocating) {
  EXPECT_THROW(Graph(Architecture::uniform(4096, 8), Topology{}), std::invalid_argument);
}

// edge_count's closed forms count what the Graph lists, for every kernel, both boundaries, 1-D
// and 2-D (1 and 3 channels), and every input and output width up to the lattice's; and they
// take O(K) at most: a lattice of 10^5 sites with K = 10^5, and 10^9 layers, count at once.
TEST(Geometry, EdgeCountsAreTheGraphsInClosedForm) {
  for (Boundary boundary : {Boundary::periodic, Boundary::open}) {
    for (int w : {1, 5, 7}) {
      for (int k = 1; k <= w; ++k) {
        for (int in = 1; in <= w; ++in) {
          for (int out : {1, w / 2 + 1, w}) {
            const Architecture arch{in, w, 3, out};
            const Topology t = Topology::local(k, boundary);
            ASSERT_EQ(edge_count(arch, t), Graph(arch, t).edges()) << arch << " K = " << k;
          }
        }
      }
    }
    for (auto [side, channels] : {std::pair{3, 1}, std::pair{4, 3}}) {
      const int w = side * side * channels;
      for (int k = 1; k <= side; ++k) {
        for (int in : {1, channels + 1, w / 2, w}) {
          for (int out : {1, w - 1, w}) {
            const Architecture arch{in, w, 2, out};
            const Topology t = Topology::local(k, boundary, 2, channels);
            ASSERT_EQ(edge_count(arch, t), Graph(arch, t).edges()) << arch << " K = " << k;
          }
        }
      }
    }
  }
  const Topology wide = Topology::local(100000, Boundary::periodic);
  EXPECT_EQ(edge_count({1, 100000, 1, 1}, wide), 2 * 100000);
  EXPECT_EQ(edge_count({1, 100000, 1000000000, 1}, Topology::local(2, Boundary::periodic)),
            kMaxGraphEdges + 1);
}

}  // namespace
}  // namespace dropperc
