#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "support/exact_enumeration.hpp"
#include <gtest/gtest.h>

#include "dropperc/core/sampling.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/core/topology_theory.hpp"

namespace dropperc {
namespace {

using testing::enumerate_masks;
using testing::ExactObservables;
using testing::Moments;

SamplingPlan plan_for(const Architecture& arch, const ScanLine& line, std::vector<double> grid,
                      Method method, std::int64_t samples) {
  return {arch, line, std::move(grid), method, samples, 2024, 0, true};
}

// |mean - exact| <= 4 sqrt(Var / N) with the exact variance; a zero-variance observable must
// be exact.
void expect_within_4_sigma(const MeanAccumulator& m, const Moments& exact,
                           const std::string& what) {
  const double sigma = std::sqrt(std::max(exact.variance(), 0.0) / static_cast<double>(m.count()));
  EXPECT_NEAR(m.mean(), exact.mean, 4 * sigma + 1e-9) << what;
}

struct EnumerationCase {
  Architecture arch;
  ScanLine line;
  std::vector<double> grid;
};

// Every method, every observable it measures, every grid point, against exact enumeration of
// all masks; W_in != W != W_out, and site+bond with distinct probabilities.
TEST(Sampling, EveryMethodMatchesExactEnumeration) {
  const std::vector<EnumerationCase> cases = {
      {{2, 3, 3, 1}, ScanLine::of(DropoutModel::site), {0.3, 0.65}},
      {{1, 2, 2, 2}, ScanLine::of(DropoutModel::bond), {0.35, 0.7}},
      {{2, 2, 2, 1}, ScanLine::of(DropoutModel::bond), {0.5}},
      {{1, 2, 2, 1}, ScanLine{DropoutModel::site_bond, false, true, 0.3, 0.0}, {0.25, 0.5}},
      {Architecture::layered(2, {3, 1, 2}, 1), ScanLine::of(DropoutModel::site), {0.3, 0.6}},
      {Architecture::layered(1, {2, 3}, 1), ScanLine::of(DropoutModel::bond), {0.4, 0.6}},
      {Architecture::layered(2, {1, 3}, 2), ScanLine::of(DropoutModel::site_bond), {0.3}},
      // input dropout, fixed while p is scanned
      {{3, 2, 2, 1}, ScanLine{DropoutModel::site, true, false, 0.0, 0.0, 0.4}, {0.3, 0.6}},
      {{2, 2, 2, 1}, ScanLine{DropoutModel::bond, false, true, 0.0, 0.0, 0.5}, {0.4}},
      {{2, 1, 2, 2}, ScanLine{DropoutModel::site_bond, true, true, 0.0, 0.0, 0.3}, {0.35}},
      // per-layer drop probabilities, fixed (the grid's p moves nothing), or beside a scan
      {{2, 2, 3, 1},
       ScanLine{DropoutModel::site, false, false, 0.0, 0.0, 0.0, {0.2, 0.7, 0.45}},
       {0.5}},
      {Architecture::layered(1, {2, 3}, 2),
       ScanLine{DropoutModel::bond, false, false, 0.0, 0.0, 0.2, {}, {0.1, 0.6, 0.35}},
       {0.5}},
      {Architecture::layered(2, {2, 1}, 1),
       ScanLine{DropoutModel::site_bond, false, true, 0.0, 0.0, 0.0, {0.5, 0.3}},
       {0.3, 0.6}},
  };
  const std::int64_t samples = 20000;
  for (const auto& c : cases) {
    std::vector<ExactObservables> exact;
    for (double p : c.grid)
      exact.push_back(enumerate_masks(c.arch, c.line.at(p)));
    for (Method method : {Method::masks, Method::thresholds, Method::fast}) {
      const auto estimates = run_sampling(plan_for(c.arch, c.line, c.grid, method, samples));
      for (std::size_t j = 0; j < c.grid.size(); ++j) {
        const PointEstimate& e = estimates[j];
        const ExactObservables& x = exact[j];
        const std::string where = std::string(name(method)) + " " +
                                  std::string(name(c.line.model)) +
                                  " p = " + std::to_string(c.grid[j]) + ": ";
        auto check = [&](Observable o, const Moments& m) {
          if (measures(method, o, true))
            expect_within_4_sigma(e.mean(o), m, where + std::string(name(o)));
        };
        EXPECT_EQ(e.samples, samples);
        check(Observable::directed_spanning, x.directed_spanning);
        check(Observable::undirected_spanning, x.undirected_spanning);
        check(Observable::extinction_depth, x.extinction_depth);
        check(Observable::backbone_units, x.backbone_units);
        check(Observable::backbone_weights, x.backbone_weights);
        check(Observable::largest_cluster, x.largest_cluster);
        check(Observable::mean_other_cluster_size, x.mean_other_cluster_size);
        for (int k = 0; k < c.arch.layers(); ++k) {
          expect_within_4_sigma(e.reachable[k], x.reachable[k],
                                where + "layer " + std::to_string(k));
        }
        EXPECT_EQ(e.directed_spans,
                  std::llround(e.mean(Observable::directed_spanning).mean() * samples));
      }
    }
  }
}

// theta from every method against exact theory on a (model, W, L, p) grid, each point within
// 4 sigma; masks are the slowest, so they get the smaller networks.
TEST(Sampling, ThetaMatchesTheoryOnAGrid) {
  struct Case {
    Architecture arch;
    DropoutModel model;
    std::vector<Method> methods;
  };
  const std::vector<double> grid = {0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  const std::vector<Case> cases = {
      {{1, 4, 6, 1}, DropoutModel::site, {Method::masks, Method::thresholds, Method::fast}},
      {{1, 4, 6, 1}, DropoutModel::bond, {Method::masks, Method::thresholds, Method::fast}},
      {{3, 3, 5, 3}, DropoutModel::site_bond, {Method::masks, Method::thresholds, Method::fast}},
      {{5, 8, 20, 2}, DropoutModel::site, {Method::thresholds, Method::fast}},
      {{2, 6, 30, 7}, DropoutModel::bond, {Method::thresholds, Method::fast}},
      {{4, 16, 64, 4}, DropoutModel::bond, {Method::fast}},
      {{10, 5, 100, 10}, DropoutModel::bond, {Method::fast}},
      {Architecture::layered(3, {8, 4, 2, 4, 8}, 2),
       DropoutModel::site,
       {Method::masks, Method::thresholds, Method::fast}},
      {Architecture::layered(2, {6, 3, 6, 3}, 1),
       DropoutModel::bond,
       {Method::masks, Method::thresholds, Method::fast}},
      {Architecture::layered(1, {4, 2, 5}, 3),
       DropoutModel::site_bond,
       {Method::masks, Method::thresholds, Method::fast}},
      {Architecture::layered(16, {12, 8, 4, 2, 3}, 5), DropoutModel::bond, {Method::fast}},
  };
  const std::int64_t samples = 10000;
  for (const Case& c : cases) {
    for (Method method : c.methods) {
      SamplingPlan plan = plan_for(c.arch, ScanLine::of(c.model), grid, method, samples);
      plan.undirected = false;
      const auto estimates = run_sampling(plan);
      for (const PointEstimate& e : estimates) {
        const ReachableChain exact = reachable_chain(c.arch, e.dropout);
        const double theta = exact.spanning.theta;
        const double sigma = std::sqrt(theta * (1 - theta) / samples);
        EXPECT_NEAR(static_cast<double>(e.directed_spans) / samples, theta, 4 * sigma + 1e-12)
            << name(method) << " " << name(c.model) << " " << c.arch << " p = " << e.p;
      }
    }
  }
}

// ../shared/design/theory.md §3 lists undirected values measured with 1e5 samples (sigma
// about 1.2e-3, printed to 3 decimals): agree within 4 combined sigma plus the rounding.
TEST(Sampling, UndirectedMatchesReferenceValues) {
  struct Case {
    int width, depth;
    double p, directed, undirected;
  };
  for (Case c : {Case{2, 3, 0.6, 0.1531, 0.164}, Case{4, 6, 0.75, 0.1015, 0.156}}) {
    const std::int64_t samples = 100000;
    const auto e = run_sampling(plan_for({1, c.width, c.depth, 1}, ScanLine::of(DropoutModel::bond),
                                         {c.p}, Method::thresholds, samples))[0];
    const double theta =
        spanning_probability({1, c.width, c.depth, 1}, Dropout::of(DropoutModel::bond, c.p)).theta;
    EXPECT_NEAR(theta, c.directed, 5e-5);
    const double u = c.undirected;
    const double sigma = std::sqrt(2 * u * (1 - u) / samples);
    EXPECT_NEAR(e.mean(Observable::undirected_spanning).mean(), u, 4 * sigma + 5e-4);
    EXPECT_NEAR(e.mean(Observable::directed_spanning).mean(), theta,
                4 * std::sqrt(theta * (1 - theta) / samples));
  }
}

// Blocks of samples run separately and merged in order give the counts of one run exactly,
// and the means to rounding; the same plan twice gives the same bits.
TEST(Sampling, ResultDependsOnPlanAlone) {
  for (Method method : {Method::masks, Method::thresholds, Method::fast}) {
    const SamplingPlan plan =
        plan_for({2, 3, 4, 2}, ScanLine::of(DropoutModel::bond), {0.3, 0.6}, method, 300);
    const auto whole = run_sampling(plan);
    const auto again = run_sampling(plan);
    auto blocks = run_sampling(plan, 0, 100);
    merge_estimates(blocks, run_sampling(plan, 100, 250));
    merge_estimates(blocks, run_sampling(plan, 250, 300));
    for (std::size_t j = 0; j < whole.size(); ++j) {
      EXPECT_EQ(blocks[j].samples, whole[j].samples);
      EXPECT_EQ(blocks[j].directed_spans, whole[j].directed_spans);
      EXPECT_EQ(blocks[j].undirected_spans, whole[j].undirected_spans);
      for (Observable o : kObservables) {
        EXPECT_EQ(again[j].mean(o).mean(), whole[j].mean(o).mean());
        EXPECT_NEAR(blocks[j].mean(o).mean(), whole[j].mean(o).mean(), 1e-12);
      }
    }
  }
}

// Observables nobody asked for are not drawn: the fast method without reachable_fraction skips
// the chain, and gives the same spanning and extinction bits as with it (they come from the p*
// sampler's stream either way). A line the p* samplers do not cover still draws the chain.
TEST(Sampling, FastMethodDrawsTheChainOnlyWhenAsked) {
  SamplingPlan plan =
      plan_for({2, 4, 6, 2}, ScanLine::of(DropoutModel::bond), {0.3, 0.5, 0.7}, Method::fast, 500);
  ASSERT_TRUE(draws_chain(plan));
  const auto with_chain = run_sampling(plan);
  plan.observables = kAllObservables & ~bit(Observable::reachable_fraction);
  ASSERT_FALSE(draws_chain(plan));
  EXPECT_FALSE(measures(plan, Observable::reachable_fraction));
  const auto without = run_sampling(plan);
  for (std::size_t j = 0; j < without.size(); ++j) {
    EXPECT_EQ(without[j].directed_spans, with_chain[j].directed_spans);
    EXPECT_EQ(without[j].mean(Observable::extinction_depth).mean(),
              with_chain[j].mean(Observable::extinction_depth).mean());
    EXPECT_EQ(without[j].mean(Observable::reachable_fraction).count(), 0);
    EXPECT_EQ(without[j].reachable[3].count(), 0);
  }
  plan.line = ScanLine::of(DropoutModel::site_bond);
  EXPECT_TRUE(draws_chain(plan));
}

// Directed per-sample thresholds of local layers are streamed without a Graph when undirected
// spanning is not asked for: the same bits as the Graph's.
TEST(Sampling, StreamedLocalThresholdsAreTheGraphs) {
  for (const Topology& t :
       {Topology::local(2, Boundary::periodic), Topology::local(3, Boundary::open),
        Topology::local(2, Boundary::periodic, 2)}) {
    SamplingPlan plan = plan_for({1, 16, 12, 16}, ScanLine::of(DropoutModel::site_bond, 0.1), {0.5},
                                 Method::thresholds, 200);
    plan.topology = t;
    const SampleThresholds graph = sample_thresholds(plan, 0, 200);
    plan.undirected = false;
    const SampleThresholds streamed = sample_thresholds(plan, 0, 200);
    EXPECT_EQ(streamed.directed, graph.directed) << topology_text(t);
    EXPECT_TRUE(streamed.undirected.empty());
  }
}

// Survival thresholds B_t at every hidden layer give each sample's extinction depth at p,
// 1 + #{t : B_t > p}: its mean over the samples is the Graph engine's, from the same uniforms,
// exactly. Above a floor they are the unfloored values; at or below it, 0.
TEST(Sampling, SurvivalThresholdsAreTheGraphsExtinctionDepths) {
  const Architecture arch{1, 16, 12, 16};
  SamplingPlan plan =
      plan_for(arch, ScanLine::of(DropoutModel::bond), {0.3, 0.45, 0.6}, Method::thresholds, 300);
  plan.topology = Topology::local(2, Boundary::periodic);
  const auto graph = run_sampling(plan);
  plan.undirected = false;
  plan.survival_depths = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // every hidden layer
  const SampleThresholds s = sample_thresholds(plan, 0, plan.samples);
  ASSERT_EQ(s.survival.size(), 12u * 300u);
  for (std::size_t j = 0; j < plan.grid.size(); ++j) {
    double depth = 0;
    for (std::size_t k = 0; k < 300; ++k) {
      depth += 1.0 + static_cast<double>(std::count_if(
                         s.survival.begin() + static_cast<std::ptrdiff_t>(12 * k),
                         s.survival.begin() + static_cast<std::ptrdiff_t>(12 * k + 12),
                         [&](double b) { return b > plan.grid[j]; }));
    }
    EXPECT_DOUBLE_EQ(depth / 300.0, graph[j].mean(Observable::extinction_depth).mean());
  }
  plan.floor = 0.4;
  const SampleThresholds floored = sample_thresholds(plan, 0, plan.samples);
  ASSERT_EQ(floored.survival.size(), s.survival.size());
  for (std::size_t k = 0; k < s.survival.size(); ++k)
    EXPECT_EQ(floored.survival[k], s.survival[k] > 0.4 ? s.survival[k] : 0.0);
  for (std::size_t k = 0; k < s.directed.size(); ++k)
    EXPECT_EQ(floored.directed[k], s.directed[k] > 0.4 ? s.directed[k] : 0.0);
  plan.undirected = true;  // survival needs the streamed pass
  EXPECT_THROW(sample_thresholds(plan, 0, 1), std::invalid_argument);
  plan.undirected = false;
  plan.survival_depths = {13};
  EXPECT_THROW(sample_thresholds(plan, 0, 1), std::invalid_argument);
}

// Local and residual networks: masks, thresholds and per-sample thresholds against the exact
// theta of docs/theory.md §11, within 4 standard errors.
TEST(Sampling, LocalAndResidualNetworksMatchTheirExactTheory) {
  const std::vector<std::pair<Architecture, Topology>> networks = {
      {{1, 6, 8, 6}, Topology::local(2, Boundary::periodic)},
      {{2, 6, 5, 1}, Topology::local(3, Boundary::open)},
      {{3, 3, 4, 3}, Topology{}.with_skips(2, true)},
  };
  const std::vector<double> grid = {0.3, 0.5};
  for (const auto& [arch, topology] : networks) {
    for (DropoutModel model : {DropoutModel::bond, DropoutModel::site}) {
      for (Method method : {Method::masks, Method::thresholds}) {
        SamplingPlan plan = plan_for(arch, ScanLine::of(model), grid, method, 4000);
        plan.topology = topology;
        validate(plan);
        const auto estimates = run_sampling(plan);
        const SampleThresholds thresholds = sample_thresholds(plan, 0, plan.samples);
        for (std::size_t j = 0; j < grid.size(); ++j) {
          const double theta =
              spanning_probability(arch, topology, Dropout::of(model, grid[j])).theta;
          const double sigma = std::sqrt(theta * (1 - theta) / plan.samples);
          SCOPED_TRACE(::testing::Message() << arch << " " << topology_text(topology) << " "
                                            << name(model) << " " << name(method));
          EXPECT_NEAR(estimates[j].mean(Observable::directed_spanning).mean(), theta, 4 * sigma);
          const auto above =
              std::ranges::count_if(thresholds.directed, [&](double t) { return t > grid[j]; });
          EXPECT_NEAR(static_cast<double>(above) / plan.samples, theta, 4 * sigma);
        }
      }
    }
  }
  SamplingPlan fast =
      plan_for({1, 6, 8, 6}, ScanLine::of(DropoutModel::bond), grid, Method::fast, 10);
  fast.topology = Topology::local(2, Boundary::periodic);
  EXPECT_THROW(validate(fast), std::invalid_argument);
  // The dense engine's per-edge limits count W^2 weights a gap; a local network has K W.
  SamplingPlan wide = plan_for({8192, 8192, 2, 8192}, ScanLine::of(DropoutModel::bond), grid,
                               Method::thresholds, 10);
  wide.topology = Topology::local(2, Boundary::periodic);
  EXPECT_NO_THROW(validate(wide));
}

TEST(Sampling, ValidateRejectsBadPlans) {
  const SamplingPlan good =
      plan_for({2, 3, 4, 2}, ScanLine::of(DropoutModel::bond), {0.3}, Method::masks, 10);
  EXPECT_NO_THROW(validate(good));
  auto with = [&](auto change) {
    SamplingPlan plan = good;
    change(plan);
    return plan;
  };
  EXPECT_THROW(validate(with([](auto& p) { p.grid.clear(); })), std::invalid_argument);
  EXPECT_THROW(validate(with([](auto& p) { p.grid = {0.5, 0.2}; })), std::invalid_argument);
  EXPECT_THROW(validate(with([](auto& p) { p.grid = {1.5}; })), std::invalid_argument);
  EXPECT_THROW(validate(with([](auto& p) { p.samples = 0; })), std::invalid_argument);
  EXPECT_THROW(validate(with([](auto& p) { p.arch = p.arch.with_depth(0); })),
               std::invalid_argument);
  EXPECT_THROW(validate(with([](auto& p) {
                 p.arch = Architecture::uniform(4096, 4096);
                 p.method = Method::thresholds;
               })),
               std::invalid_argument);
  EXPECT_NO_THROW(validate(with([](auto& p) {
    p.arch = Architecture::uniform(4096, 4096);
    p.method = Method::fast;
  })));
}

TEST(Sampling, MethodNamesRoundTrip) {
  for (Method m : {Method::masks, Method::thresholds, Method::fast})
    EXPECT_EQ(parse_method(name(m)), m);
  EXPECT_FALSE(parse_method("exact"));
}

}  // namespace
}  // namespace dropperc
