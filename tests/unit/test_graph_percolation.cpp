#include <cmath>
#include <vector>

#include "support/exact_enumeration.hpp"
#include <gtest/gtest.h>

#include "dropperc/core/graph_percolation.hpp"

namespace dropperc {
namespace {

using testing::enumerate_masks;

Topology residual(int step, bool droppable, Topology t = {}) {
  return t.with_skips(step, droppable);
}

void expect_same(const Observation& a, const Observation& b) {
  EXPECT_EQ(a.directed_spanning, b.directed_spanning);
  EXPECT_EQ(a.undirected_spanning, b.undirected_spanning);
  EXPECT_EQ(a.extinction_depth, b.extinction_depth);
  EXPECT_EQ(a.reachable, b.reachable);
  EXPECT_EQ(a.backbone_units, b.backbone_units);
  EXPECT_EQ(a.backbone_weights, b.backbone_weights);
  EXPECT_EQ(a.largest_cluster, b.largest_cluster);
  EXPECT_EQ(a.mean_other_cluster_size, b.mean_other_cluster_size);
}

// On the dense MLP the graph engine draws the dense engine's uniforms and gives its observables
// and thresholds, for every model, input dropout and per-layer probabilities.
TEST(GraphPercolation, DenseGraphGivesTheDenseEngineBitForBit) {
  ScanLine per_layer = ScanLine::of(DropoutModel::site_bond, 0.3);
  per_layer.scan_bond = false;
  per_layer.bond_layers = {0.2, 0.6, 0.4, 0.5};
  const std::vector<std::pair<Architecture, ScanLine>> cases = {
      {{3, 4, 3, 2}, ScanLine::of(DropoutModel::bond)},
      {{2, 5, 4, 3}, ScanLine::of(DropoutModel::site, 0.2)},
      {Architecture::layered(3, {6, 2, 4}, 2), per_layer},
  };
  for (const auto& [arch, line] : cases) {
    const Graph graph(arch, Topology{});
    for (std::uint64_t s = 0; s < 20; ++s) {
      RandomStream a({5, 3, s, 0}), b({5, 3, s, 0});
      const GraphThresholds t = graph_thresholds(graph, line, a);
      const ElementThresholds dense = element_thresholds(arch, draw_uniforms(arch, line, b), line);
      for (double p : {0.1, 0.35, 0.6, 0.85}) {
        expect_same(observe(graph, t, p), observe(Mask::at(dense, p)));
      }
      const SpanningThresholds spanning = spanning_thresholds(graph, t);
      EXPECT_EQ(spanning.directed, path_thresholds(dense).directed);
      EXPECT_EQ(spanning.undirected, undirected_threshold(dense));
    }
  }
}

struct GraphCase {
  Architecture arch;
  Topology topology;
  Dropout dropout;
};

// Tiny instances of every new geometry: local with both boundaries in 1-D and 2-D, skips with
// and without droppable skips, per-layer widths, input dropout.
std::vector<GraphCase> graph_cases() {
  Dropout input_site = Dropout::of(DropoutModel::site, 0.4);
  input_site.p_input = 0.3;
  Dropout site_bond{DropoutModel::site_bond, 0.3, 0.5};
  return {
      {{1, 4, 2, 4}, Topology::local(2, Boundary::periodic), Dropout::of(DropoutModel::bond, 0.45)},
      {{2, 3, 3, 3}, Topology::local(2, Boundary::open), Dropout::of(DropoutModel::bond, 0.3)},
      {{3, 3, 3, 2}, Topology::local(3, Boundary::periodic), input_site},
      {{1, 4, 1, 4},
       Topology::local(2, Boundary::periodic, 2, 1),
       Dropout::of(DropoutModel::bond, 0.4)},
      {{2, 4, 1, 1}, Topology::local(2, Boundary::open, 2, 1), site_bond},
      {{2, 2, 3, 2}, residual(2, true), Dropout::of(DropoutModel::bond, 0.6)},
      {{2, 2, 2, 2}, residual(1, false), Dropout::of(DropoutModel::bond, 0.7)},
      {Architecture::layered(2, {3, 1, 2}, 1), residual(2, true), input_site},
      {{3, 3, 2, 2},
       residual(3, true, Topology::local(2, Boundary::periodic)),
       Dropout::of(DropoutModel::bond, 0.5)},
  };
}

// Monte Carlo on the graph (coupled thresholds at one p, and per-sample spanning thresholds)
// within 4 standard errors of the exact enumeration, for every observable.
TEST(GraphPercolation, MonteCarloAgreesWithExactEnumeration) {
  constexpr int kSamples = 20000;
  for (const GraphCase& c : graph_cases()) {
    const Graph graph(c.arch, c.topology);
    SCOPED_TRACE(::testing::Message() << c.arch << " " << topology_text(c.topology));
    const testing::ExactObservables exact = enumerate_masks(graph, c.dropout);
    ScanLine line = ScanLine::of(c.dropout.model, c.dropout.p_input);
    line.scan_site = drops_units(c.dropout.model);
    const bool one_p = c.dropout.model != DropoutModel::site_bond;
    if (!one_p) {
      line.scan_site = false;
      line.fixed_p_site = c.dropout.p_site;
    }
    const double p = one_p ? (drops_units(c.dropout.model) ? c.dropout.p_site : c.dropout.p_bond)
                           : c.dropout.p_bond;
    double spans = 0, below = 0, backbone = 0, largest = 0;
    for (std::uint64_t s = 0; s < kSamples; ++s) {
      RandomStream rng({11, 4, s, 0});
      const GraphThresholds t = graph_thresholds(graph, line, rng);
      const Observation o = observe(graph, t, p);
      spans += o.directed_spanning;
      backbone += static_cast<double>(o.backbone_weights);
      largest += static_cast<double>(o.largest_cluster);
      below += p < spanning_thresholds(graph, t, false).directed;
    }
    auto within = [&](double sum, const testing::Moments& m) {
      EXPECT_NEAR(sum / kSamples, m.mean, 4 * std::sqrt(m.variance() / kSamples) + 1e-12);
    };
    within(spans, exact.directed_spanning);
    within(below, exact.directed_spanning);
    within(backbone, exact.backbone_weights);
    within(largest, exact.largest_cluster);
  }
}

// The per-sample thresholds are what they claim on every geometry: the mask at p spans
// (directed, undirected) iff p is below the threshold.
TEST(GraphPercolation, SpanningThresholdsDecideSpanningAtEveryP) {
  for (const GraphCase& c : graph_cases()) {
    const Graph graph(c.arch, c.topology);
    const ScanLine line = ScanLine::of(c.dropout.model, c.dropout.p_input);
    for (std::uint64_t s = 0; s < 200; ++s) {
      RandomStream rng({12, 5, s, 0});
      const GraphThresholds t = graph_thresholds(graph, line, rng);
      const SpanningThresholds spanning = spanning_thresholds(graph, t);
      for (double p : {0.05, 0.2, 0.4, 0.6, 0.8, 0.95}) {
        const Observation o = observe(graph, t, p);
        EXPECT_EQ(o.directed_spanning, p < spanning.directed) << topology_text(c.topology);
        EXPECT_EQ(o.undirected_spanning, p < spanning.undirected) << topology_text(c.topology);
      }
    }
  }
}

}  // namespace
}  // namespace dropperc
