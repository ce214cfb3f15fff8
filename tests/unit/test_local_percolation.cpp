#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/core/graph_percolation.hpp"
#include "dropperc/core/local_percolation.hpp"

namespace dropperc {
namespace {

struct LocalCase {
  Architecture arch;
  Topology topology;
  ScanLine line;
};

// The streamed layer thresholds are the Graph engine's, bit for bit: B_{L+1} is its directed
// spanning threshold, and at every p the sample reaches layer k iff p < B_k, as observe() says;
// 1-D and 2-D, both boundaries, a single seed, narrower outputs, every model, input dropout and
// per-layer probabilities, each stream drawn to the same position.
TEST(LocalPercolation, StreamedThresholdsAreTheGraphs) {
  ScanLine per_layer = ScanLine::of(DropoutModel::site_bond, 0.2);
  per_layer.scan_site = false;
  per_layer.site_layers = {0.1, 0.3, 0.2, 0.4};
  const std::vector<LocalCase> cases = {
      {{7, 7, 5, 7}, Topology::local(2, Boundary::periodic), ScanLine::of(DropoutModel::bond)},
      {{1, 9, 6, 9}, Topology::local(3, Boundary::periodic), ScanLine::of(DropoutModel::site)},
      {{6, 6, 4, 2},
       Topology::local(3, Boundary::open),
       ScanLine::of(DropoutModel::site_bond, 0.3)},
      {{5, 8, 4, 3}, Topology::local(2, Boundary::open), per_layer},
      {{2, 16, 3, 16}, Topology::local(2, Boundary::periodic, 2), ScanLine::of(DropoutModel::bond)},
      {{5, 18, 3, 18},
       Topology::local(2, Boundary::open, 2, 2),
       ScanLine::of(DropoutModel::site, 0.25)},
      {{9, 9, 1, 9}, Topology::local(9, Boundary::periodic), ScanLine::of(DropoutModel::bond)},
  };
  for (const LocalCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.arch << " " << topology_text(c.topology) << " " << name(c.line.model));
    const Graph graph(c.arch, c.topology);
    int spans = 0;
    for (std::uint64_t s = 0; s < 40; ++s) {
      const RandomStream rng({3, 7, s, 0});
      RandomStream graph_rng = rng;
      const GraphThresholds t = graph_thresholds(graph, c.line, graph_rng);
      const std::vector<double> streamed = layer_thresholds(c.arch, c.topology, c.line, rng);
      ASSERT_EQ(streamed.size(), static_cast<std::size_t>(c.arch.layers()));
      const double directed = spanning_thresholds(graph, t, false).directed;
      ASSERT_EQ(streamed.back(), directed) << "sample " << s;
      spans += directed > 0.5;
      for (double p : {0.0, 0.2, 0.5, 0.8}) {
        const Observation o = observe(graph, t, p, false);
        for (int k = 0; k < c.arch.layers(); ++k)
          ASSERT_EQ(p<streamed[k], o.reachable[k]> 0) << "sample " << s << " p " << p;
      }
    }
    EXPECT_GT(spans, 0);
  }
}

// Followed above a floor, the layer thresholds are the full pass's where they exceed it and
// -inf where they do not, for every case above and floors from 0 to 0.9.
TEST(LocalPercolation, PrunedThresholdsAreExactAboveTheFloor) {
  ScanLine per_layer = ScanLine::of(DropoutModel::site_bond, 0.2);
  per_layer.scan_site = false;
  per_layer.site_layers = std::vector<double>(30, 0.1);
  const std::vector<LocalCase> cases = {
      {{1, 64, 30, 64}, Topology::local(2, Boundary::periodic), ScanLine::of(DropoutModel::bond)},
      {{1, 64, 30, 64}, Topology::local(2, Boundary::periodic), ScanLine::of(DropoutModel::site)},
      {{3, 40, 30, 5}, Topology::local(3, Boundary::open), per_layer},
      {{2, 36, 20, 36},
       Topology::local(2, Boundary::periodic, 2),
       ScanLine::of(DropoutModel::bond, 0.1)},
  };
  for (const LocalCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << c.arch << " " << topology_text(c.topology) << " " << name(c.line.model));
    int followed = 0;
    for (std::uint64_t s = 0; s < 30; ++s) {
      const RandomStream rng({5, 2, s, 0});
      const std::vector<double> full = layer_thresholds(c.arch, c.topology, c.line, rng);
      for (double floor : {0.0, 0.2, 0.35, 0.5, 0.9}) {
        const std::vector<double> pruned = layer_thresholds(c.arch, c.topology, c.line, rng, floor);
        ASSERT_EQ(pruned.size(), full.size());
        for (std::size_t k = 1; k < full.size(); ++k) {
          if (full[k] > floor) {
            ASSERT_EQ(pruned[k], full[k]) << "sample " << s << " layer " << k << " floor " << floor;
            ++followed;
          } else {
            ASSERT_EQ(pruned[k], -std::numeric_limits<double>::infinity());
          }
        }
      }
    }
    EXPECT_GT(followed, 100);
  }
}

TEST(LocalPercolation, RefusesWhatItDoesNotStream) {
  EXPECT_FALSE(streams_locally(Topology{}));
  EXPECT_FALSE(streams_locally(Topology::local(2, Boundary::periodic).with_skips(2, true)));
  const RandomStream rng({1, 1, 1, 1});
  EXPECT_THROW(layer_thresholds({4, 4, 3, 4}, Topology{}, ScanLine::of(DropoutModel::bond), rng),
               std::invalid_argument);
  EXPECT_THROW(layer_thresholds({4, 4, 3, 4}, Topology::local(5, Boundary::periodic),
                                ScanLine::of(DropoutModel::bond), rng),
               std::invalid_argument);
}

}  // namespace
}  // namespace dropperc
