#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/exact_enumeration.hpp"
#include <gtest/gtest.h>

#include "dropperc/core/topology_theory.hpp"

namespace dropperc {
namespace {

using testing::enumerate_masks;

Topology residual(int step, bool droppable) {
  return Topology{}.with_skips(step, droppable);
}

struct TheoryCase {
  Architecture arch;
  Topology topology;
  Dropout dropout;
};

void expect_exact(const TheoryCase& c) {
  SCOPED_TRACE(::testing::Message()
               << c.arch << " " << topology_text(c.topology) << " " << name(c.dropout.model));
  const double exact = enumerate_masks(Graph(c.arch, c.topology), c.dropout).directed_spanning.mean;
  const SpanningProbability theory = spanning_probability(c.arch, c.topology, c.dropout);
  EXPECT_NEAR(theory.theta, exact, 1e-13);
  EXPECT_NEAR(theory.one_minus_theta, 1.0 - exact, 1e-13);
}

TEST(TopologyTheory, TransferMatrixEqualsExactEnumeration) {
  Dropout input_site = Dropout::of(DropoutModel::site, 0.35);
  input_site.p_input = 0.25;
  Dropout per_layer = Dropout::of(DropoutModel::bond, 0.0);
  per_layer.bond_layers = {0.3, 0.6, 0.5};
  for (const TheoryCase& c : std::vector<TheoryCase>{
           {{1, 4, 2, 4},
            Topology::local(2, Boundary::periodic),
            Dropout::of(DropoutModel::bond, 0.45)},
           {{1, 4, 3, 1}, Topology::local(2, Boundary::open), Dropout::of(DropoutModel::bond, 0.2)},
           {{3, 3, 3, 2}, Topology::local(3, Boundary::periodic), input_site},
           {{2, 3, 2, 3}, Topology::local(2, Boundary::open), per_layer},
           {{2, 3, 2, 2},
            Topology::local(2, Boundary::periodic),
            Dropout{DropoutModel::site_bond, 0.3, 0.4}},
           {{1, 4, 1, 4},
            Topology::local(2, Boundary::periodic, 2, 1),
            Dropout::of(DropoutModel::bond, 0.4)},
           {{2, 4, 2, 1},
            Topology::local(2, Boundary::open, 2, 1),
            Dropout::of(DropoutModel::site, 0.5)},
       }) {
    expect_exact(c);
  }
}

TEST(TopologyTheory, BlockChainEqualsExactEnumeration) {
  Dropout input_bond = Dropout::of(DropoutModel::bond, 0.55);
  input_bond.p_input = 0.3;
  for (const TheoryCase& c : std::vector<TheoryCase>{
           {{2, 2, 3, 2}, residual(2, true), Dropout::of(DropoutModel::bond, 0.6)},
           {{2, 2, 2, 2}, residual(1, true), input_bond},
           {{2, 2, 4, 2}, residual(2, false), Dropout::of(DropoutModel::bond, 0.7)},
           {{2, 2, 3, 2}, residual(3, true), Dropout::of(DropoutModel::site, 0.5)},
           {{3, 3, 2, 3}, residual(2, true), Dropout::of(DropoutModel::site, 0.6)},
           {{2, 2, 2, 2}, residual(2, true), Dropout{DropoutModel::site_bond, 0.3, 0.5}},
       }) {
    expect_exact(c);
  }
}

// Unequal widths (docs/theory.md §11.3): a wider input, whose one skip covers a single output
// unit; a narrower input (the reached set is then not exchangeable, but no later block needs a
// split); a narrower output whose skip takes part of an exchangeable block start (the
// hypergeometric split); tapered hidden layers; input dropout.
TEST(TopologyTheory, BlockChainOfUnequalWidthsEqualsExactEnumeration) {
  Dropout input_site = Dropout::of(DropoutModel::site, 0.5);
  input_site.p_input = 0.3;
  for (const TheoryCase& c : std::vector<TheoryCase>{
           {{3, 2, 2, 1}, residual(3, true), Dropout::of(DropoutModel::bond, 0.6)},
           {{1, 3, 2, 3}, residual(1, true), Dropout::of(DropoutModel::site, 0.6)},
           {{1, 2, 3, 3}, residual(2, true), Dropout::of(DropoutModel::bond, 0.5)},
           {{2, 2, 3, 1}, residual(2, true), Dropout::of(DropoutModel::bond, 0.55)},
           {{2, 2, 3, 1}, residual(2, false), Dropout::of(DropoutModel::bond, 0.7)},
           {{3, 3, 3, 2}, residual(2, true), Dropout::of(DropoutModel::site, 0.6)},
           {Architecture::layered(2, {3, 2, 3}, 2), residual(2, true), input_site},
           {Architecture::layered(3, {2, 2, 3}, 3), residual(1, true),
            Dropout::of(DropoutModel::site, 0.4)},
       }) {
    expect_exact(c);
  }
}

// Skips DropConnect may not drop chain every input unit to the output when S divides L + 1:
// theta = 1 exactly, at any p (docs/theory.md §11.3).
TEST(TopologyTheory, KeptSkipsThatChainInputToOutputGiveThetaOne) {
  for (double p : {0.5, 0.99, 1.0}) {
    const SpanningProbability s = spanning_probability(
        Architecture::uniform(4, 5), residual(3, false), Dropout::of(DropoutModel::bond, p));
    EXPECT_EQ(s.theta, 1.0);
    EXPECT_EQ(s.one_minus_theta, 0.0);
  }
  // Site dropout inside the branches only (none on the block-start layer 3): theta = 1 too.
  Dropout branches = Dropout::of(DropoutModel::site, 0.0);
  branches.site_layers = {0.9, 0.9, 0.0, 0.9, 0.9};
  EXPECT_EQ(spanning_probability(Architecture::uniform(4, 5), residual(3, true), branches).theta,
            1.0);
  // On the residual stream it can disconnect the network.
  branches.site_layers[2] = 0.5;
  EXPECT_LT(spanning_probability(Architecture::uniform(4, 5), residual(3, true), branches).theta,
            1.0);
}

// Otherwise the last block decides: with L = 4, S = 2 the last skip lands on layer 4, whose W
// units all stay reached, and the output fails only if all W^2 weights of the last gap drop.
TEST(TopologyTheory, OtherwiseTheLastBlockDecides) {
  const int w = 3;
  for (double p : {0.3, 0.9}) {
    const SpanningProbability s = spanning_probability(
        Architecture::uniform(w, 4), residual(2, false), Dropout::of(DropoutModel::bond, p));
    EXPECT_NEAR(s.one_minus_theta, std::pow(p, w * w), 1e-15 * std::pow(p, w * w));
  }
}

// p = 0 keeps every path and p = 1 drops every droppable element: theta is exactly 1 and 0,
// never NaN, on every engine, but where the one skip from input to output (S = L + 1) survives:
// kept skips, or droppable ones under site dropout, which drops no input or output unit.
TEST(TopologyTheory, EndsOfTheLineAreExact) {
  const Architecture arch{4, 4, 6, 4};
  for (const Topology& t :
       {Topology::local(2, Boundary::periodic), Topology::local(3, Boundary::open),
        residual(2, true), residual(7, false), residual(7, true)}) {
    for (DropoutModel model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
      const SpanningProbability none = spanning_probability(arch, t, Dropout::of(model, 0.0));
      const SpanningProbability all = spanning_probability(arch, t, Dropout::of(model, 1.0));
      const bool skip_survives =
          t.residual == 7 && (!t.residual_dropout || model == DropoutModel::site);
      EXPECT_EQ(none.theta, 1.0) << topology_text(t) << " " << name(model);
      EXPECT_EQ(all.theta, skip_survives ? 1.0 : 0.0) << topology_text(t) << " " << name(model);
      EXPECT_EQ(all.one_minus_theta, 1.0 - all.theta) << topology_text(t) << " " << name(model);
    }
  }
}

// Where the block chain refuses, the coupling bounds (without skips; every layer widest) bracket
// the exact theta of every mask, and the refusal quotes them.
TEST(TopologyTheory, RefusedSkipNetworksAreBoundedByCouplings) {
  for (const TheoryCase& c : std::vector<TheoryCase>{
           {{1, 3, 3, 2}, residual(2, true), Dropout::of(DropoutModel::site, 0.5)},
           {{1, 2, 3, 1}, residual(2, true), Dropout::of(DropoutModel::bond, 0.6)},
           {Architecture::layered(3, {5, 3, 2}, 1), residual(1, true),
            Dropout::of(DropoutModel::site, 0.4)},
       }) {
    SCOPED_TRACE(::testing::Message() << c.arch << " " << name(c.dropout.model));
    const double exact =
        enumerate_masks(Graph(c.arch, c.topology), c.dropout).directed_spanning.mean;
    const ThetaBounds bounds = skip_theta_bounds(c.arch, c.topology, c.dropout);
    EXPECT_LE(bounds.low, exact + 1e-13);
    EXPECT_GE(bounds.high, exact - 1e-13);
    EXPECT_LT(bounds.low, bounds.high);
    try {
      spanning_probability(c.arch, c.topology, c.dropout);
      ADD_FAILURE() << "not refused";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("theta lies between"), std::string::npos) << e.what();
    }
  }
}

TEST(TopologyTheory, DenseTopologyIsTheDenseTheory) {
  const Architecture arch = Architecture::layered(2, {5, 3, 4}, 2);
  const Dropout d = Dropout::of(DropoutModel::bond, 0.6);
  EXPECT_EQ(spanning_probability(arch, Topology{}, d).theta, spanning_probability(arch, d).theta);
}

TEST(TopologyTheory, LongLocalNetworksKeepThePrecisionOfBothTails) {
  // 1 - theta near 1e-300 and theta near 1e-300 keep full relative precision: P(no path) at the
  // first gap dominates, theta^(1/L) is a per-layer factor.
  const SpanningProbability high = spanning_probability(
      {8, 8, 2, 8}, Topology::local(3, Boundary::periodic), Dropout::of(DropoutModel::bond, 1e-13));
  EXPECT_GT(high.one_minus_theta, 0.0);
  EXPECT_LT(high.one_minus_theta, 1e-250);
  const SpanningProbability low =
      spanning_probability({4, 4, 2000, 4}, Topology::local(2, Boundary::periodic),
                           Dropout::of(DropoutModel::bond, 0.7));
  EXPECT_GT(low.log_theta, -1e5);
  EXPECT_LT(low.log_theta, -700.0);
  EXPECT_EQ(low.theta, 0.0);  // underflows; log theta carries it
}

TEST(TopologyTheory, RefusesWhatItCannotComputeAndSaysWhy) {
  auto message = [](const Architecture& arch, const Topology& t) {
    try {
      spanning_probability(arch, t, Dropout::of(DropoutModel::bond, 0.5));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string wide = message({32, 32, 4, 32}, Topology::local(3, Boundary::periodic));
  EXPECT_NE(wide.find("limit of 22"), std::string::npos) << wide;
  EXPECT_NE(wide.find("Monte Carlo"), std::string::npos) << wide;
  // A narrow input makes layer 2's reached set not exchangeable, and its skip into the narrower
  // output takes only 2 of its 3 units.
  const std::string split = message({1, 3, 3, 2}, residual(2, true));
  EXPECT_NE(split.find("layer 2"), std::string::npos) << split;
  EXPECT_NE(split.find("first 2 of 3 units"), std::string::npos) << split;
  EXPECT_EQ(exact_theory_seconds({1, 3, 3, 2}, residual(2, true)), 0.0);
  Topology both = Topology::local(2, Boundary::periodic);
  both.residual = 1;
  EXPECT_NE(message({2, 2, 2, 2}, both).find("no exact theory"), std::string::npos);
  EXPECT_EQ(transfer_matrix_bits({16, 16, 10, 16}, Topology::local(2, Boundary::periodic)), 18);
  EXPECT_EQ(transfer_matrix_bits({16, 16, 10, 16}, Topology::local(3, Boundary::periodic)), 19);
  EXPECT_EQ(transfer_matrix_bits({16, 16, 10, 16}, Topology::local(3, Boundary::open)), 17);
}

}  // namespace
}  // namespace dropperc
