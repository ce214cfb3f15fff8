#pragma once
// Monte Carlo estimates of percolation observables over a grid of drop probabilities.
//
// Sample s of a plan draws only from streams keyed (seed, stream, s, ...), so a plan's result
// depends on the plan alone, and any split of [0, samples) into blocks, run anywhere and
// merged in block order, reproduces it.

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/statistics.hpp"
#include "dropperc/core/stop_check.hpp"

namespace dropperc {

enum class Method {
  masks,       ///< a fresh mask at every grid point, searched (all observables)
  thresholds,  ///< per-sample thresholds from coupled uniforms: one sample gives every p
  fast,        ///< exact-in-distribution samplers without per-edge randomness
};
std::string_view name(Method method);
std::optional<Method> parse_method(std::string_view text);

/// The averages a sampling run reports, in output order.
enum class Observable {
  directed_spanning,         ///< theta
  undirected_spanning,       ///< theta of the undirected notion
  extinction_depth,          ///< first layer without a forward-reachable unit (L+1 if none)
  reachable_fraction,        ///< forward-reachable hidden units / (L W)
  backbone_units,            ///< hidden units on a directed input-output path
  backbone_unit_fraction,    ///< backbone_units / (L W)
  backbone_weights,          ///< weights on a directed input-output path
  backbone_weight_fraction,  ///< backbone_weights / all weights
  largest_cluster,           ///< units in the largest undirected cluster
  mean_other_cluster_size,   ///< sum s^2 / sum s over the other clusters
};
inline constexpr std::array kObservables = {
    Observable::directed_spanning, Observable::undirected_spanning,
    Observable::extinction_depth,  Observable::reachable_fraction,
    Observable::backbone_units,    Observable::backbone_unit_fraction,
    Observable::backbone_weights,  Observable::backbone_weight_fraction,
    Observable::largest_cluster,   Observable::mean_other_cluster_size};
std::string_view name(Observable observable);
/// Inverse of name(); nullopt for anything else.
std::optional<Observable> parse_observable(std::string_view text);

/// A set of observables, one bit each (bit i: kObservables[i]).
using ObservableSet = std::uint32_t;
inline constexpr ObservableSet kAllObservables = (ObservableSet{1} << kObservables.size()) - 1;
constexpr ObservableSet bit(Observable o) {
  return ObservableSet{1} << static_cast<unsigned>(o);
}

/// Whether `method` measures `observable`. The fast method measures directed spanning, the
/// extinction depth and reachable counts; undirected observables need `undirected` on.
bool measures(Method method, Observable observable, bool undirected);

struct SamplingPlan {
  Architecture arch;
  ScanLine line;
  std::vector<double> grid;  ///< line parameters, ascending
  Method method = Method::thresholds;
  std::int64_t samples = 0;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;  ///< distinguishes independent plans with the same seed (< 2^46)
  bool undirected = true;    ///< measure undirected spanning and clusters (masks, thresholds)
  /// What the plan's user asked for: an observable outside it is not reported, and not drawn
  /// where drawing it costs extra. That is the fast method's reachable-count chain (one per grid
  /// point, for reachable_fraction and the per-layer profile), which a line the p* samplers
  /// cover needs for nothing else; masks and thresholds measure everything in one search.
  ObservableSet observables = kAllObservables;
  /// Local connectivity or skips (geometry.hpp): masks and thresholds then sample the explicit
  /// Graph (graph_percolation.hpp), every observable at every grid point from the sample's
  /// thresholds in O(units + edges) each; the fast method is refused.
  Topology topology = {};
  /// Hidden layers t (1..L, ascending) at which sample_thresholds also reports each sample's
  /// survival threshold B_t: the sample reaches layer t iff p < B_t (local_percolation.hpp).
  /// Only for the streamed pass: local layers, no skips, directed spanning alone.
  std::vector<int> survival_depths = {};
  /// Thresholds at or below it are not resolved (the streamed pass follows only units alive
  /// above it): reported as 0, which then means only p* <= floor. -inf: every threshold exact.
  double floor = -std::numeric_limits<double>::infinity();
};

/// Whether the plan reports `observable`: the method measures it and the plan asks for it.
bool measures(const SamplingPlan& plan, Observable observable);
/// Whether the fast method draws the reachable-count chain for this plan: reachable counts
/// were asked for, or the line is not one the p* samplers cover (site+bond, or fixed
/// probabilities), where the chain gives spanning and extinction too.
bool draws_chain(const SamplingPlan& plan);

/// Throws std::invalid_argument naming the bad field: invalid network or probabilities, an
/// empty or unsorted grid, samples < 1, or a network too large for per-edge methods.
void validate(const SamplingPlan& plan);

/// Estimates at one grid point.
struct PointEstimate {
  double p = 0.0;
  Dropout dropout;
  std::int64_t samples = 0;
  std::int64_t directed_spans = 0;
  std::int64_t undirected_spans = 0;
  std::array<MeanAccumulator, kObservables.size()> means;  ///< unmeasured ones stay empty
  std::vector<MeanAccumulator> reachable;                  ///< per layer, k = 0..L+1; empty
                                                           ///< accumulators if not measured

  const MeanAccumulator& mean(Observable o) const { return means[static_cast<std::size_t>(o)]; }
};

/// Called with the number of samples done so far.
using Progress = std::function<void(std::int64_t done)>;

/// Samples [first, last) of the plan, in order; one estimate per grid point. With `stop`, asked
/// between samples, it returns early (with the samples done) once that says so.
std::vector<PointEstimate> run_sampling(const SamplingPlan& plan, std::int64_t first,
                                        std::int64_t last, const Progress& progress = {},
                                        StopCheck* stop = nullptr);
/// All samples of the plan.
std::vector<PointEstimate> run_sampling(const SamplingPlan& plan, const Progress& progress = {});

/// Per-sample thresholds of samples [first, last) along the plan's scan line (its grid is
/// ignored): directed p* (the sample spans iff p < p*) and, if plan.undirected, the undirected
/// threshold. From the coupled uniforms of the thresholds method, or from the fast samplers
/// when plan.method is fast and the line scans a pure site or bond model (directed only).
/// Thresholds are in [0, 1] or +inf: a sample that spans at no p has 0, one that spans at every
/// p, p = 1 included, +inf (kept skips that chain the input to the output, docs/theory.md
/// §11.3; only local and residual networks have such samples).
/// With plan.survival_depths, `survival` holds B_t per sample at those depths, row by row
/// ([sample][depth]); with a finite plan.floor every value at or below it is reported as 0.
/// Survival depths and a floor need the streamed pass (throws std::invalid_argument otherwise).
struct SampleThresholds {
  std::vector<double> directed;
  std::vector<double> undirected;
  std::vector<double> survival;
};
/// With `stop`, asked between samples, it returns early (with the samples done) once that says so.
SampleThresholds sample_thresholds(const SamplingPlan& plan, std::int64_t first, std::int64_t last,
                                   StopCheck* stop = nullptr);

/// Adds the estimates of a later block of samples to those of an earlier one.
void merge_estimates(std::vector<PointEstimate>& into, const std::vector<PointEstimate>& later);

}  // namespace dropperc
