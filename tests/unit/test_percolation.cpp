#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "dropperc/core/graph_percolation.hpp"
#include "dropperc/core/percolation.hpp"

namespace dropperc {
namespace {

Mask without_edges(const Architecture& arch) {
  Mask mask(arch);
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      for (int i = 0; i < arch.layer_width(g); ++i)
        mask.set_edge(g, i, j, false);
    }
  }
  return mask;
}

// in -> a1 -> a2 -> out is cut at a2 -> out; b1 -> a2 and b1 -> b2 -> out exist but in -> b1
// does not. No directed path, but the undirected one in-a1-a2-b1-b2-out zig-zags back.
TEST(Percolation, ZigZagSpansUndirectedButNotDirected) {
  const Architecture arch{1, 2, 2, 1};
  Mask mask = without_edges(arch);
  mask.set_edge(0, 0, 0, true);  // in -> a1
  mask.set_edge(1, 0, 0, true);  // a1 -> a2
  mask.set_edge(1, 1, 0, true);  // b1 -> a2
  mask.set_edge(1, 1, 1, true);  // b1 -> b2
  mask.set_edge(2, 1, 0, true);  // b2 -> out
  const Observation o = observe(mask);
  EXPECT_FALSE(o.directed_spanning);
  EXPECT_FALSE(directed_spanning(mask));
  EXPECT_TRUE(o.undirected_spanning);
  EXPECT_EQ(o.reachable, (std::vector<int>{1, 1, 1, 0}));
  EXPECT_EQ(o.extinction_depth, 3);  // the output layer L + 1
  EXPECT_EQ(o.backbone_units, 0);
  EXPECT_EQ(o.backbone_weights, 0);
  EXPECT_EQ(o.largest_cluster, 6);
  EXPECT_EQ(o.mean_other_cluster_size, 0.0);
}

// One directed path in -> a1 -> a2 -> out plus a dead end a1 -> b2 and an isolated pair.
TEST(Percolation, BackboneIsTheUnionOfDirectedPaths) {
  const Architecture arch{1, 3, 2, 1};
  Mask mask = without_edges(arch);
  mask.set_edge(0, 0, 0, true);  // in -> a1
  mask.set_edge(1, 0, 0, true);  // a1 -> a2
  mask.set_edge(1, 0, 1, true);  // a1 -> b2 (dead end)
  mask.set_edge(2, 0, 0, true);  // a2 -> out
  mask.set_edge(1, 2, 2, true);  // c1 -> c2 (isolated pair)
  const Observation o = observe(mask);
  EXPECT_TRUE(o.directed_spanning);
  EXPECT_EQ(o.reachable, (std::vector<int>{1, 1, 2, 1}));
  EXPECT_EQ(o.extinction_depth, 3);
  EXPECT_EQ(o.backbone_units, 2);
  EXPECT_EQ(o.backbone_weights, 3);
  // Clusters: {in, a1, a2, b2, out} = 5, {c1, c2} = 2, {b1} = 1: others 2^2 + 1 over 2 + 1.
  EXPECT_EQ(o.largest_cluster, 5);
  EXPECT_DOUBLE_EQ(o.mean_other_cluster_size, 5.0 / 3.0);
  const UnitSet backward = backward_reachable(mask);
  EXPECT_TRUE(backward.contains(1, 0));
  EXPECT_FALSE(backward.contains(2, 1));
}

TEST(Percolation, SiteMaskWithAnEmptyLayerDiesThere) {
  const Architecture arch{2, 3, 4, 2};
  Mask mask(arch);
  for (int i = 0; i < arch.width(); ++i)
    mask.set_unit(3, i, false);
  const Observation o = observe(mask);
  EXPECT_FALSE(o.directed_spanning);
  EXPECT_FALSE(o.undirected_spanning);
  EXPECT_EQ(o.extinction_depth, 3);
  EXPECT_EQ(o.reachable, (std::vector<int>{2, 3, 3, 0, 0, 0}));
  // Layers 0-2 form one cluster (8 units), layers 4-5 another (5 units).
  EXPECT_EQ(o.largest_cluster, 2 + 3 + 3);
  EXPECT_DOUBLE_EQ(o.mean_other_cluster_size, 5.0);
}

// Directed spanning implies undirected spanning; under site dropout they coincide.
TEST(Percolation, DirectedImpliesUndirectedAndSiteMakesThemEqual) {
  const Architecture arch{2, 3, 4, 2};
  int directed = 0, undirected_only = 0;
  for (std::uint64_t s = 0; s < 2000; ++s) {
    RandomStream rng({1, 0, s, 0});
    const Observation bond = observe(Mask::draw(arch, Dropout::of(DropoutModel::bond, 0.6), rng));
    ASSERT_TRUE(!bond.directed_spanning || bond.undirected_spanning);
    directed += bond.directed_spanning;
    undirected_only += bond.undirected_spanning && !bond.directed_spanning;
    const Observation site = observe(Mask::draw(arch, Dropout::of(DropoutModel::site, 0.6), rng));
    ASSERT_EQ(site.directed_spanning, site.undirected_spanning);
    const Mask mask = Mask::draw(arch, Dropout::of(DropoutModel::bond, 0.6), rng);
    ASSERT_EQ(directed_spanning(mask), observe(mask, false).directed_spanning);
  }
  EXPECT_GT(directed, 0);
  EXPECT_GT(undirected_only, 0);  // the two notions do differ for bond dropout
}

void expect_same(const Observation& a, const Observation& b, double p) {
  EXPECT_EQ(a.directed_spanning, b.directed_spanning) << "p = " << p;
  EXPECT_EQ(a.undirected_spanning, b.undirected_spanning) << "p = " << p;
  EXPECT_EQ(a.extinction_depth, b.extinction_depth) << "p = " << p;
  EXPECT_EQ(a.reachable, b.reachable) << "p = " << p;
  EXPECT_EQ(a.backbone_units, b.backbone_units) << "p = " << p;
  EXPECT_EQ(a.backbone_weights, b.backbone_weights) << "p = " << p;
  EXPECT_EQ(a.largest_cluster, b.largest_cluster) << "p = " << p;
  EXPECT_EQ(a.mean_other_cluster_size, b.mean_other_cluster_size) << "p = " << p;
}

struct LineCase {
  Architecture arch;
  ScanLine line;
};

std::vector<LineCase> line_cases() {
  return {{{3, 4, 3, 2}, ScanLine::of(DropoutModel::site)},
          {{2, 4, 3, 3}, ScanLine::of(DropoutModel::bond)},
          {{1, 3, 2, 2}, ScanLine::of(DropoutModel::site_bond)},
          {{2, 3, 3, 1}, ScanLine{DropoutModel::site_bond, false, true, 0.3, 0.0}},
          {{2, 3, 3, 1}, ScanLine{DropoutModel::site_bond, true, false, 0.0, 0.4}},
          {{70, 66, 2, 3}, ScanLine::of(DropoutModel::bond)},
          {Architecture::layered(3, {5, 1, 2, 4}, 2), ScanLine::of(DropoutModel::site)},
          {Architecture::layered(2, {3, 6, 2}, 3), ScanLine::of(DropoutModel::bond)},
          {Architecture::layered(1, {2, 4, 1}, 2), ScanLine::of(DropoutModel::site_bond)}};
}

// The whole-curve pass equals measuring the mask at each p, sample by sample, on a grid that
// also hits thresholds exactly (kept iff threshold > p) and the ends 0 and 1.
TEST(Percolation, ThresholdsOnGridEqualMasksFromTheSameUniforms) {
  for (const LineCase& c : line_cases()) {
    for (std::uint64_t s = 0; s < 40; ++s) {
      RandomStream rng({4, 1, s, 0});
      const auto uniforms = draw_uniforms(c.arch, c.line, rng);
      const auto thresholds = element_thresholds(c.arch, uniforms, c.line);
      const PathThresholds path = path_thresholds(thresholds);
      std::vector<double> grid = {0.0, 0.1, 0.35, 0.6, 0.8, 1.0};
      if (path.directed > 0 && path.directed < 1) grid.push_back(path.directed);
      if (!uniforms.edges.empty()) grid.push_back(uniforms.edges[s % uniforms.edges.size()]);
      if (!uniforms.units.empty()) grid.push_back(uniforms.units[s % uniforms.units.size()]);
      std::sort(grid.begin(), grid.end());
      const auto curve = observe_on_grid(thresholds, grid);
      for (std::size_t k = 0; k < grid.size(); ++k) {
        expect_same(curve[k], observe(Mask::at(thresholds, grid[k])), grid[k]);
      }
    }
  }
}

// p* and the undirected threshold are where the masks stop spanning: spanning just below,
// not at the threshold itself.
TEST(Percolation, ThresholdsAreWhereMasksStopSpanning) {
  for (const LineCase& c : line_cases()) {
    for (std::uint64_t s = 0; s < 40; ++s) {
      RandomStream rng({6, 1, s, 0});
      const auto thresholds =
          element_thresholds(c.arch, draw_uniforms(c.arch, c.line, rng), c.line);
      const double directed = path_thresholds(thresholds).directed;
      const double undirected = undirected_threshold(thresholds);
      EXPECT_LE(directed, undirected);
      for (auto [threshold, is_directed] :
           {std::pair{directed, true}, std::pair{undirected, false}}) {
        if (!(threshold > 0.0 && threshold < 1.0)) continue;
        const Observation at = observe(Mask::at(thresholds, threshold));
        const Observation below = observe(Mask::at(thresholds, std::nextafter(threshold, 0.0)));
        EXPECT_FALSE(is_directed ? at.directed_spanning : at.undirected_spanning);
        EXPECT_TRUE(is_directed ? below.directed_spanning : below.undirected_spanning);
      }
    }
  }
}

// The streaming threshold draws the same uniforms in the same order as draw_uniforms.
TEST(Percolation, StreamingDirectedThresholdEqualsStoredOne) {
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    for (Architecture arch : {Architecture{3, 5, 4, 2}, Architecture{1, 70, 2, 1},
                              Architecture::layered(3, {6, 1, 4, 70}, 2)}) {
      for (std::uint64_t s = 0; s < 20; ++s) {
        RandomStream streaming({2, 3, s, 0}), stored({2, 3, s, 0});
        const double expected =
            path_thresholds(element_thresholds(arch,
                                               draw_uniforms(arch, ScanLine::of(model), stored),
                                               ScanLine::of(model)))
                .directed;
        EXPECT_EQ(directed_threshold(arch, model, streaming), expected) << name(model);
      }
    }
  }
}

// The widest-path thresholds draw each uniform from the stream when needed and equal, bit for
// bit, those of the stored elements (path_thresholds, the union-find sweep), on every line case,
// with input dropout, per-layer probabilities and networks long enough for paths that zig-zag.
TEST(Percolation, WidestPathThresholdsEqualTheStoredOnes) {
  std::vector<LineCase> cases = line_cases();
  cases.push_back({{6, 8, 40, 6}, ScanLine::of(DropoutModel::bond)});
  cases.push_back({{4, 6, 30, 2}, ScanLine::of(DropoutModel::site_bond)});
  cases.push_back({{3, 5, 12, 2}, ScanLine{DropoutModel::site, true, false, 0.0, 0.0, 0.5}});
  cases.push_back({Architecture::layered(2, {3, 5}, 2),
                   ScanLine{DropoutModel::site_bond, false, true, 0.0, 0.0, 0.3, {0.4, 0.2}}});
  int zig_zags = 0;
  for (const LineCase& c : cases) {
    for (std::uint64_t s = 0; s < 60; ++s) {
      RandomStream stored({8, 2, s, 0}), on_demand({8, 2, s, 0}), directed_only({8, 2, s, 0});
      const auto t = element_thresholds(c.arch, draw_uniforms(c.arch, c.line, stored), c.line);
      const double directed = path_thresholds(t).directed, undirected = undirected_threshold(t);
      const SpanningThresholds found = spanning_thresholds(c.arch, c.line, on_demand);
      EXPECT_EQ(found.directed, directed) << c.arch << " sample " << s;
      EXPECT_EQ(found.undirected, undirected) << c.arch << " sample " << s;
      // Any floor gives the same bits: below, at and above the directed threshold, and 0 (every
      // edge listed, past the cap).
      for (double floor : {0.0, directed - 0.05, directed, directed + 0.01}) {
        RandomStream again({8, 2, s, 0});
        EXPECT_EQ(spanning_thresholds(c.arch, c.line, again, true, floor).undirected, undirected)
            << c.arch << " sample " << s << " floor " << floor;
      }
      EXPECT_EQ(spanning_thresholds(c.arch, c.line, directed_only, false).directed, directed);
      zig_zags += undirected > directed;
    }
  }
  EXPECT_GE(zig_zags, 50);  // the backward relaxations are exercised (100 of 780 samples)
}

void check_backbone(const Architecture& arch);

// backbone() takes a shortcut for masks that keep every edge; both paths agree with observe(),
// for uniform and per-layer widths.
TEST(Percolation, BackboneAgreesWithObserve) {
  for (const Architecture& arch :
       {Architecture{3, 4, 5, 2}, Architecture::layered(3, {4, 2, 6}, 2)})
    check_backbone(arch);
}

void check_backbone(const Architecture& arch) {
  for (Dropout d : {Dropout::of(DropoutModel::site, 0.5), Dropout::of(DropoutModel::bond, 0.6),
                    Dropout{DropoutModel::site, 0.3, 0.0, 0.5},
                    Dropout{DropoutModel::site_bond, 0.2, 0.4, 0.0}}) {
    int spanning = 0;
    for (std::uint64_t s = 0; s < 300; ++s) {
      RandomStream rng({9, 2, s, 0});
      const Mask mask = Mask::draw(arch, d, rng, s % 2 ? MaskDraw::packed : MaskDraw::canonical);
      EXPECT_EQ(mask.all_edges_kept(), !drops_edges(d.model));
      const Observation o = observe(mask);
      const Backbone b = backbone(mask);
      ASSERT_EQ(b.directed_spanning, o.directed_spanning);
      ASSERT_EQ(b.units, o.backbone_units);
      ASSERT_EQ(b.weights, o.backbone_weights);
      spanning += b.directed_spanning;
    }
    EXPECT_GT(spanning, 0);
    EXPECT_LT(spanning, 300);
  }
}

// The mask and its skips as a Graph's thresholds at p = 0: kept elements +inf, dropped -inf.
GraphThresholds thresholds_of(const Graph& graph, const Mask& mask, const SkipMask& skips) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const Architecture& arch = graph.architecture();
  auto index = [&](std::int32_t u) {
    return u - static_cast<int>(arch.unit_offset(graph.layer_of(u)));
  };
  GraphThresholds t;
  for (std::int32_t u = 0; u < graph.units(); ++u)
    t.units.push_back(mask.unit(graph.layer_of(u), index(u)) ? kInf : -kInf);
  for (const EdgeBlock& block : graph.blocks()) {
    for (std::int64_t e = block.first; e < block.last; ++e) {
      const int k = graph.layer_of(graph.tail(e));
      const bool kept = block.skips ? skips.kept(skips.block_from(k), index(graph.tail(e)))
                                    : mask.edge(k, index(graph.tail(e)), index(graph.head(e)));
      t.edges.push_back(kept ? kInf : -kInf);
    }
  }
  return t;
}

// backbone() with skips against a search of its own over the Graph's edges (present: the edge and
// both its units kept), for every model, S = 1, 2, 5 (5 = L + 1: one skip from input to output),
// droppable and kept skips, canonical and packed masks; spanning and units also against
// graph_percolation's observe.
TEST(Percolation, BackboneWithSkipsFollowsEveryPath) {
  const Architecture arch = Architecture::layered(3, {4, 3, 5, 4}, 2);
  for (int step : {1, 2, 5}) {
    for (bool droppable : {true, false}) {
      const Graph graph(arch, Topology{}.with_skips(step, droppable));
      for (Dropout d :
           {Dropout::of(DropoutModel::site, 0.55), Dropout::of(DropoutModel::bond, 0.65),
            Dropout{DropoutModel::site_bond, 0.3, 0.4, 0.3}}) {
        int spanning = 0;
        for (std::uint64_t s = 0; s < 200; ++s) {
          RandomStream rng({9, 3, s, 0});
          SkipMask skips(arch, step, droppable);
          Mask mask(arch);
          mask.redraw(d, skips, rng, s % 2 ? MaskDraw::packed : MaskDraw::canonical);
          const GraphThresholds t = thresholds_of(graph, mask, skips);
          const auto present = [&](std::int64_t e) {
            return t.edges[e] > 0 && t.units[graph.tail(e)] > 0 && t.units[graph.head(e)] > 0;
          };
          std::vector<char> forward(static_cast<std::size_t>(graph.units()), 0), backward(forward);
          for (std::int32_t u = 0; u < graph.units(); ++u) {
            if (graph.layer_of(u) == 0) forward[u] = t.units[u] > 0;
            for (std::int32_t e : graph.in_edges(u))
              forward[u] = forward[u] || (present(e) && forward[graph.tail(e)]);
          }
          for (std::int32_t u = graph.units() - 1; u >= 0; --u) {
            if (graph.layer_of(u) == arch.output_layer()) backward[u] = t.units[u] > 0;
            for (std::int32_t e : graph.in_edges(u)) {
              if (present(e) && backward[u]) backward[graph.tail(e)] = 1;
            }
          }
          Backbone expected;
          for (std::int32_t u = 0; u < graph.units(); ++u) {
            expected.directed_spanning |= graph.layer_of(u) == arch.output_layer() && forward[u];
            expected.units += arch.is_hidden(graph.layer_of(u)) && forward[u] && backward[u];
          }
          for (const EdgeBlock& block : graph.blocks()) {
            for (std::int64_t e = block.first; e < block.last && !block.skips; ++e)
              expected.weights += present(e) && forward[graph.tail(e)] && backward[graph.head(e)];
          }
          if (!expected.directed_spanning) expected.units = expected.weights = 0;
          const Backbone b = backbone(mask, skips);
          ASSERT_EQ(b.directed_spanning, expected.directed_spanning)
              << "S = " << step << " sample " << s;
          ASSERT_EQ(b.units, expected.units) << "S = " << step << " sample " << s;
          ASSERT_EQ(b.weights, expected.weights) << "S = " << step << " sample " << s;
          const Observation o = observe(graph, t, 0.0, false);
          ASSERT_EQ(o.directed_spanning, b.directed_spanning);
          ASSERT_EQ(o.backbone_units, b.units);
          spanning += b.directed_spanning;
        }
        // Every mask spans exactly when kept skips chain the input to the output (docs/theory.md
        // §11.3): under DropConnect with kept skips and S dividing L + 1, or through the one
        // input-output skip of S = L + 1 when no input or output unit can be dropped.
        const bool chained = arch.output_layer() % step == 0 && !drops_units(d.model) && !droppable;
        const bool one_skip =
            step == arch.output_layer() && !drops_edges(d.model) && d.p_input == 0;
        EXPECT_GT(spanning, 0) << "S = " << step << " " << name(d.model);
        EXPECT_EQ(spanning == 200, chained || one_skip) << "S = " << step << " " << name(d.model);
      }
    }
  }
}

TEST(Percolation, ExtinctionDepthIsFirstEmptyLayer) {
  EXPECT_EQ(extinction_depth(std::vector<int>{2, 1, 0, 3, 1}), 2);
  EXPECT_EQ(extinction_depth(std::vector<int>{2, 1, 1, 1, 0}), 4);  // output empty: L + 1
  EXPECT_EQ(extinction_depth(std::vector<int>{2, 1, 1, 1, 1}), 4);  // spanning: L + 1
  EXPECT_EQ(extinction_depth(std::vector<int>{2, 0, 0}), 1);
}

}  // namespace
}  // namespace dropperc
