#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "dropperc/core/graph_percolation.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc {
namespace {

void expect_equal_masks(const Mask& a, const Mask& b) {
  const Architecture& arch = a.architecture();
  for (int k = 0; k < arch.layers(); ++k) {
    for (int i = 0; i < arch.layer_width(k); ++i)
      ASSERT_EQ(a.unit(k, i), b.unit(k, i));
  }
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      for (int i = 0; i < arch.layer_width(g); ++i)
        ASSERT_EQ(a.edge(g, i, j), b.edge(g, i, j));
    }
  }
}

// A scan line through `dropout` whose parameter at `dropout`'s point is p_bond (or p_site).
ScanLine line_through(const Dropout& d) {
  ScanLine line = ScanLine::of(d.model);
  if (d.model == DropoutModel::site_bond) line = {d.model, false, true, d.p_site, 0.0};
  line.fixed_p_input = d.p_input;
  return line;
}
double parameter(const Dropout& d) {
  return d.model == DropoutModel::site ? d.p_site : d.p_bond;
}

// Drawing a mask directly (integer thresholds on raw words) equals building it from the
// sample's uniforms, bit for bit, for every model and with input dropout, with two words per row
// (width 70).
TEST(Mask, DrawEqualsMaskBuiltFromUniforms) {
  const Architecture arch{3, 70, 3, 65};
  for (Dropout d :
       {Dropout::of(DropoutModel::site, 0.4), Dropout::of(DropoutModel::bond, 0.7),
        Dropout{DropoutModel::site_bond, 0.3, 0.6}, Dropout::of(DropoutModel::bond, 0.0),
        Dropout::of(DropoutModel::site, 1.0), Dropout{DropoutModel::site, 0.5, 0.0, 0.2},
        Dropout{DropoutModel::site_bond, 0.3, 0.6, 0.5}}) {
    for (std::uint64_t sample = 0; sample < 3; ++sample) {
      RandomStream direct({1, 2, sample, 0});
      RandomStream coupled({1, 2, sample, 0});
      const Mask drawn = Mask::draw(arch, d, direct);
      const auto thresholds =
          element_thresholds(arch, draw_uniforms(arch, line_through(d), coupled), line_through(d));
      expect_equal_masks(drawn, Mask::at(thresholds, parameter(d)));
      EXPECT_EQ(direct.position(), coupled.position());
    }
  }
}

// A mask drawn with its skips is the Graph's mask at p (graph_thresholds draws units, edges,
// droppable skips, inputs), bit for bit, for every model, S = 1, 2, 3 with droppable and kept
// skips, per-layer widths and input dropout; kept skips draw nothing, so the rest of the mask is
// the mask without skips.
TEST(Mask, SkipsAreDrawnAsTheGraphDrawsThem) {
  const Architecture arch = Architecture::layered(3, {4, 2, 5, 4}, 3);
  for (int step : {1, 2, 3}) {
    for (bool droppable : {true, false}) {
      const Graph graph(arch, Topology{}.with_skips(step, droppable));
      for (Dropout d :
           {Dropout{DropoutModel::site, 0.4, 0.0, 0.2}, Dropout::of(DropoutModel::bond, 0.5),
            Dropout{DropoutModel::site_bond, 0.3, 0.5, 0.3}}) {
        for (std::uint64_t sample = 0; sample < 4; ++sample) {
          RandomStream direct({4, 1, sample, 0}), coupled({4, 1, sample, 0}),
              plain({4, 1, sample, 0});
          SkipMask skips(arch, step, droppable);
          Mask mask(arch);
          mask.redraw(d, skips, direct);
          const GraphThresholds t = graph_thresholds(graph, line_through(d), coupled);
          const double p = parameter(d);
          for (std::int32_t u = 0; u < graph.units(); ++u) {
            const int k = graph.layer_of(u);
            ASSERT_EQ(mask.unit(k, u - static_cast<int>(arch.unit_offset(k))), t.units[u] > p);
          }
          for (const EdgeBlock& block : graph.blocks()) {
            for (std::int64_t e = block.first; e < block.last; ++e) {
              const int k = graph.layer_of(graph.tail(e)), h = graph.layer_of(graph.head(e));
              const int i = graph.tail(e) - static_cast<int>(arch.unit_offset(k));
              const int j = graph.head(e) - static_cast<int>(arch.unit_offset(h));
              const bool kept =
                  block.skips ? skips.kept(skips.block_from(k), i) : mask.edge(k, i, j);
              ASSERT_EQ(kept, t.edges[e] > p) << "edge " << e << " S = " << step;
              if (block.skips) {
                ASSERT_EQ(skips.block_into(h), skips.block_from(k));
              }
            }
          }
          EXPECT_EQ(direct.position(), coupled.position());
          if (!droppable || !drops_edges(d.model))
            expect_equal_masks(mask, Mask::draw(arch, d, plain));
        }
      }
    }
  }
}

TEST(Mask, MasksAtIncreasingPAreNested) {
  const Architecture arch{2, 5, 4, 3};
  RandomStream rng({7, 0, 0, 0});
  const auto thresholds =
      element_thresholds(arch, draw_uniforms(arch, ScanLine::of(DropoutModel::site_bond), rng),
                         ScanLine::of(DropoutModel::site_bond));
  for (double low : {0.0, 0.2, 0.5}) {
    const Mask a = Mask::at(thresholds, low);
    const Mask b = Mask::at(thresholds, low + 0.3);
    for (int k = 0; k < arch.layers(); ++k) {
      for (int i = 0; i < arch.layer_width(k); ++i)
        EXPECT_TRUE(a.unit(k, i) || !b.unit(k, i));
    }
    for (int g = 0; g < arch.gaps(); ++g) {
      for (int j = 0; j < arch.layer_width(g + 1); ++j) {
        for (int i = 0; i < arch.layer_width(g); ++i) {
          EXPECT_TRUE(a.edge(g, i, j) || !b.edge(g, i, j));
        }
      }
    }
  }
}

TEST(Mask, ModelsDropOnlyTheirOwnElements) {
  const Architecture arch{4, 6, 3, 2};
  RandomStream rng({3, 3, 3, 3});
  const Mask site = Mask::draw(arch, Dropout::of(DropoutModel::site, 0.9), rng);
  const Mask bond = Mask::draw(arch, Dropout::of(DropoutModel::bond, 0.9), rng);
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      for (int i = 0; i < arch.layer_width(g); ++i)
        EXPECT_TRUE(site.edge(g, i, j));
    }
  }
  for (int k = 0; k < arch.layers(); ++k) {
    EXPECT_EQ(bond.units().count(k), arch.layer_width(k));
    if (!arch.is_hidden(k)) {
      EXPECT_EQ(site.units().count(k), arch.layer_width(k));
    }
  }
}

TEST(Mask, DroppedFractionMatchesP) {
  const Architecture arch{1, 100, 100, 1};
  for (double p : {0.1, 0.5, 0.85}) {
    RandomStream rng({5, 0, 0, 0});
    const Mask mask = Mask::draw(arch, Dropout::of(DropoutModel::site, p), rng);
    int kept = 0;
    for (int k = 1; k <= arch.depth(); ++k)
      kept += mask.units().count(k);
    const double n = static_cast<double>(arch.hidden_units());
    EXPECT_LT(std::abs((n - kept) - n * p), 4 * std::sqrt(n * p * (1 - p))) << "p = " << p;
  }
}

TEST(Mask, FixedProbabilitiesOnAScanLineDoNotMove) {
  const Architecture arch{2, 3, 2, 2};
  RandomStream rng({8, 0, 0, 0});
  const ScanLine line{DropoutModel::site_bond, false, true, 0.5, 0.0};
  const auto uniforms = draw_uniforms(arch, line, rng);
  EXPECT_EQ(line.at(0.25), (Dropout{DropoutModel::site_bond, 0.5, 0.25}));
  const auto thresholds = element_thresholds(arch, uniforms, line);
  for (double p : {0.0, 0.3, 0.99}) {
    const Mask mask = Mask::at(thresholds, p);
    for (int i = 0; i < arch.width(); ++i)
      EXPECT_EQ(mask.unit(1, i), uniforms.units[i] > 0.5);
  }
}

// Input dropout is drawn after the model's decisions, so those do not change, and drops input
// units with its own probability.
TEST(Mask, InputDropoutComesLastAndHasItsFrequency) {
  const Architecture arch{200, 4, 2, 3};
  int dropped = 0;
  for (std::uint64_t s = 0; s < 50; ++s) {
    RandomStream a({6, 0, s, 0}), b({6, 0, s, 0});
    Dropout with = Dropout::of(DropoutModel::site_bond, 0.4);
    with.p_input = 0.3;
    const Mask plain = Mask::draw(arch, Dropout::of(DropoutModel::site_bond, 0.4), a);
    const Mask input = Mask::draw(arch, with, b);
    for (int k = 1; k < arch.layers(); ++k) {
      for (int i = 0; i < arch.layer_width(k); ++i)
        ASSERT_EQ(plain.unit(k, i), input.unit(k, i));
    }
    for (int j = 0; j < arch.width(); ++j) {
      for (int i = 0; i < arch.input_width; ++i)
        ASSERT_EQ(plain.edge(0, i, j), input.edge(0, i, j));
    }
    dropped += arch.input_width - input.units().count(0);
    EXPECT_EQ(plain.units().count(0), arch.input_width);
  }
  const double n = 50.0 * arch.input_width;
  EXPECT_NEAR(dropped, 0.3 * n, 4 * std::sqrt(n * 0.3 * 0.7));
}

// Packed masks have the law of canonical ones: theta from 20000 packed masks matches theory
// within 4 sigma, for every model, with widths that are not multiples of 64.
TEST(Mask, PackedDrawHasTheCanonicalLaw) {
  const Architecture arch{3, 5, 4, 70};
  for (Dropout d : {Dropout::of(DropoutModel::site, 0.6), Dropout::of(DropoutModel::bond, 0.75),
                    Dropout{DropoutModel::site_bond, 0.4, 0.5, 0.0}}) {
    Mask mask(arch);
    int spans = 0;
    const int n = 20000;
    for (std::uint64_t s = 0; s < n; ++s) {
      RandomStream rng({24, 0, s, 0});
      mask.redraw(d, rng, MaskDraw::packed);
      spans += mask.units().count(arch.output_layer()) == arch.output_width &&
               observe(mask, false).directed_spanning;
    }
    const double theta = spanning_probability(arch, d).theta;
    EXPECT_NEAR(spans, n * theta, 4 * std::sqrt(n * theta * (1 - theta))) << name(d.model);
  }
}

TEST(Mask, ModelNamesRoundTrip) {
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    EXPECT_EQ(parse_dropout_model(name(model)), model);
  }
  EXPECT_EQ(name(DropoutModel::site_bond), "site+bond");
  EXPECT_FALSE(parse_dropout_model("dropconnect"));
}

TEST(Mask, ValidateRejectsProbabilitiesOutsideUnitInterval) {
  EXPECT_NO_THROW(validate(Dropout{DropoutModel::site_bond, 0.0, 1.0}));
  EXPECT_THROW(validate(Dropout{DropoutModel::bond, 0.0, 1.5}), std::invalid_argument);
  EXPECT_THROW(validate(Dropout{DropoutModel::site, -0.1, 0.0}), std::invalid_argument);
  EXPECT_THROW(validate(Dropout{DropoutModel::site, std::nan(""), 0.0}), std::invalid_argument);
  EXPECT_THROW(validate(Dropout{DropoutModel::site, 0.5, 0.0, 1.2}), std::invalid_argument);
}

// The complement is computed without cancellation: 2^-70 survives although 1 - 2^-70 == 1.
TEST(Mask, ReachProbabilityKeepsTinyFailures) {
  const auto bond = reach_probability(Dropout::of(DropoutModel::bond, 0.5), 70, true);
  EXPECT_EQ(bond.failure, 0x1p-70);
  EXPECT_EQ(bond.success, 1.0);
  const auto both = reach_probability(Dropout{DropoutModel::site_bond, 0.25, 0.5}, 2, true);
  EXPECT_DOUBLE_EQ(both.success, 0.75 * 0.75);
  EXPECT_DOUBLE_EQ(both.failure, 0.25 + 0.75 * 0.25);
  const auto output = reach_probability(Dropout{DropoutModel::site_bond, 0.25, 0.5}, 2, false);
  EXPECT_DOUBLE_EQ(output.success, 0.75);  // output units are never site-dropped
}

}  // namespace
}  // namespace dropperc
