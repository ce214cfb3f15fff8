#include "dropperc/core/sampling.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <stdexcept>
#include <string>

#include "dropperc/core/fast_sampler.hpp"
#include "dropperc/core/graph_percolation.hpp"
#include "dropperc/core/local_percolation.hpp"

namespace dropperc {

namespace {

// What a stream is for; the plan's own stream id goes above these tags.
enum StreamTag : std::uint64_t {
  kCoupledUniforms = 0,  // masks (sub = grid point) and thresholds (sub = 0)
  kFastThresholds = 1,   // fast site/bond p* samplers
  kChain = 2,            // reachable-count chain (sub = grid point)
  kTags = 4,
};

// Per-edge methods hold a sample's edges in memory: bits for masks; for thresholds a double
// each, plus 24 bytes each for the undirected sweep.
constexpr std::int64_t kMaxMaskEdges = std::int64_t{1} << 31;
constexpr std::int64_t kMaxThresholdEdges = std::int64_t{1} << 25;

RandomStream stream(const SamplingPlan& plan, StreamTag tag, std::int64_t sample,
                    std::size_t sub = 0) {
  return RandomStream({plan.seed, stream_id(StreamDomain::sampling, plan.stream * kTags + tag),
                       static_cast<std::uint64_t>(sample), static_cast<std::uint64_t>(sub)});
}

bool scans_whole_model(const ScanLine& line) {
  return line.scan_site == drops_units(line.model) && line.scan_bond == drops_edges(line.model);
}

// The lines the p* samplers (fast_site_thresholds, fast_bond_thresholds) cover.
bool has_fast_thresholds(const ScanLine& line) {
  return line.model != DropoutModel::site_bond && scans_whole_model(line);
}

// `weights`: the network's edge count where it is not the dense MLP's (Graph::edges()).
void add(PointEstimate& estimate, const Observation& o, const SamplingPlan& plan,
         std::int64_t weights = 0) {
  const Architecture& arch = plan.arch;
  auto put = [&](Observable observable, double x) {
    if (measures(plan, observable)) {
      estimate.means[static_cast<std::size_t>(observable)].add(x);
    }
  };
  const auto hidden = static_cast<double>(arch.hidden_units());
  ++estimate.samples;
  estimate.directed_spans += o.directed_spanning;
  put(Observable::directed_spanning, o.directed_spanning);
  if (measures(plan, Observable::undirected_spanning)) {
    estimate.undirected_spans += o.undirected_spanning;
  }
  put(Observable::undirected_spanning, o.undirected_spanning);
  put(Observable::extinction_depth, o.extinction_depth);
  put(Observable::backbone_units, static_cast<double>(o.backbone_units));
  put(Observable::backbone_unit_fraction, static_cast<double>(o.backbone_units) / hidden);
  put(Observable::backbone_weights, static_cast<double>(o.backbone_weights));
  put(Observable::backbone_weight_fraction,
      static_cast<double>(o.backbone_weights) /
          static_cast<double>(weights > 0 ? weights : arch.edges()));
  put(Observable::largest_cluster, static_cast<double>(o.largest_cluster));
  put(Observable::mean_other_cluster_size, o.mean_other_cluster_size);
  if (o.reachable.empty()) return;  // the fast method without its chain
  std::int64_t reachable_hidden = 0;
  for (int k = 1; k <= arch.depth(); ++k)
    reachable_hidden += o.reachable[k];
  put(Observable::reachable_fraction, static_cast<double>(reachable_hidden) / hidden);
  for (int k = 0; k < arch.layers(); ++k)
    estimate.reachable[k].add(o.reachable[k]);
}

void sample_masks(const SamplingPlan& plan, std::int64_t s, std::vector<PointEstimate>& out) {
  for (std::size_t j = 0; j < plan.grid.size(); ++j) {
    RandomStream rng = stream(plan, kCoupledUniforms, s, j);
    add(out[j], observe(Mask::draw(plan.arch, out[j].dropout, rng), plan.undirected), plan);
  }
}

// Local connectivity or skips: one set of thresholds per sample (masks: per grid point, from the
// point's own stream, as Mask::draw would draw it), observed at each p.
void sample_graph(const SamplingPlan& plan, const Graph& graph, std::int64_t s,
                  std::vector<PointEstimate>& out) {
  std::optional<GraphThresholds> shared;
  for (std::size_t j = 0; j < plan.grid.size(); ++j) {
    if (plan.method == Method::masks || !shared) {
      RandomStream rng = stream(plan, kCoupledUniforms, s, plan.method == Method::masks ? j : 0);
      shared = graph_thresholds(graph, plan.line, rng);
    }
    add(out[j], observe(graph, *shared, plan.grid[j], plan.undirected), plan, graph.edges());
  }
}

void sample_thresholds(const SamplingPlan& plan, std::int64_t s, std::vector<PointEstimate>& out) {
  RandomStream rng = stream(plan, kCoupledUniforms, s);
  const SampleUniforms uniforms = draw_uniforms(plan.arch, plan.line, rng);
  const auto observations = observe_on_grid(element_thresholds(plan.arch, uniforms, plan.line),
                                            plan.grid, plan.undirected);
  for (std::size_t j = 0; j < plan.grid.size(); ++j)
    add(out[j], observations[j], plan);
}

// Spanning and extinction from the p* samplers where the line scans a pure site or bond model,
// from the chain otherwise; reachable counts from the chain, drawn only if asked for or needed
// (draws_chain).
void sample_fast(const SamplingPlan& plan, std::int64_t s, std::vector<PointEstimate>& out) {
  std::optional<ExtinctionThresholds> thresholds;
  if (has_fast_thresholds(plan.line)) {
    RandomStream rng = stream(plan, kFastThresholds, s);
    const double p_input = plan.line.fixed_p_input;
    thresholds = plan.line.model == DropoutModel::site
                     ? fast_site_thresholds(plan.arch, rng, p_input)
                     : fast_bond_thresholds(plan.arch, rng, p_input);
  }
  const bool chain = draws_chain(plan);
  for (std::size_t j = 0; j < plan.grid.size(); ++j) {
    Observation o;
    if (chain) {
      RandomStream rng = stream(plan, kChain, s, j);
      o.reachable = sample_reachable_chain(plan.arch, out[j].dropout, rng);
    }
    if (thresholds) {
      const double p = plan.grid[j];
      o.directed_spanning = p < thresholds->directed;
      o.extinction_depth = 1 + static_cast<int>(std::ranges::count_if(
                                   thresholds->alive, [p](double a) { return a > p; }));
    } else {
      o.directed_spanning = o.reachable.back() > 0;
      o.extinction_depth = extinction_depth(o.reachable);
    }
    add(out[j], o, plan);
  }
}

}  // namespace

std::string_view name(Method method) {
  switch (method) {
    case Method::masks:
      return "masks";
    case Method::thresholds:
      return "thresholds";
    case Method::fast:
      return "fast";
  }
  return "?";
}

std::optional<Observable> parse_observable(std::string_view text) {
  for (Observable o : kObservables) {
    if (text == name(o)) return o;
  }
  return std::nullopt;
}

std::optional<Method> parse_method(std::string_view text) {
  for (auto method : {Method::masks, Method::thresholds, Method::fast}) {
    if (text == name(method)) return method;
  }
  return std::nullopt;
}

std::string_view name(Observable observable) {
  switch (observable) {
    case Observable::directed_spanning:
      return "theta";
    case Observable::undirected_spanning:
      return "theta_undirected";
    case Observable::extinction_depth:
      return "extinction_depth";
    case Observable::reachable_fraction:
      return "reachable_fraction";
    case Observable::backbone_units:
      return "backbone_units";
    case Observable::backbone_unit_fraction:
      return "backbone_unit_fraction";
    case Observable::backbone_weights:
      return "backbone_weights";
    case Observable::backbone_weight_fraction:
      return "backbone_weight_fraction";
    case Observable::largest_cluster:
      return "largest_cluster";
    case Observable::mean_other_cluster_size:
      return "mean_other_cluster_size";
  }
  return "?";
}

bool measures(Method method, Observable observable, bool undirected) {
  switch (observable) {
    case Observable::directed_spanning:
    case Observable::extinction_depth:
    case Observable::reachable_fraction:
      return true;
    case Observable::undirected_spanning:
    case Observable::largest_cluster:
    case Observable::mean_other_cluster_size:
      return method != Method::fast && undirected;
    default:
      return method != Method::fast;
  }
}

bool measures(const SamplingPlan& plan, Observable observable) {
  return (plan.observables & bit(observable)) != 0 &&
         measures(plan.method, observable, plan.undirected);
}

bool draws_chain(const SamplingPlan& plan) {
  return plan.method == Method::fast && (!has_fast_thresholds(plan.line) ||
                                         (plan.observables & bit(Observable::reachable_fraction)));
}

void validate(const SamplingPlan& plan) {
  validate(plan.arch);
  validate(plan.topology, plan.arch);
  if (!plan.topology.is_dense_mlp()) {
    if (plan.method == Method::fast) {
      throw std::invalid_argument(
          "the fast method is for dense networks without skips: use thresholds or masks");
    }
    if (edge_count(plan.arch, plan.topology) > kMaxGraphEdges) {
      throw std::invalid_argument("the network has more than " + std::to_string(kMaxGraphEdges) +
                                  " edges, the most a local or residual network may have here");
    }
  }
  if (plan.grid.empty()) throw std::invalid_argument("the p grid is empty");
  if (!std::ranges::is_sorted(plan.grid)) {
    throw std::invalid_argument("the p grid must be in ascending order");
  }
  for (double p : plan.grid)
    validate(plan.line.at(p));
  if (plan.samples < 1) {
    throw std::invalid_argument("samples = " + std::to_string(plan.samples) +
                                ": must be at least 1");
  }
  if (!plan.topology.is_dense_mlp()) return;  // the Graph's limit, checked above
  const std::int64_t limit = plan.method == Method::masks        ? kMaxMaskEdges
                             : plan.method == Method::thresholds ? kMaxThresholdEdges
                                                                 : plan.arch.edges();
  if (plan.arch.edges() > limit) {
    throw std::invalid_argument("the network has " + std::to_string(plan.arch.edges()) +
                                " weights; the " + std::string(name(plan.method)) +
                                " method holds one sample's weights in memory and allows at most " +
                                std::to_string(limit) + ": use the fast method");
  }
}

std::vector<PointEstimate> run_sampling(const SamplingPlan& plan, std::int64_t first,
                                        std::int64_t last, const Progress& progress,
                                        StopCheck* stop) {
  assert(0 <= first && first <= last);
  std::vector<PointEstimate> out(plan.grid.size());
  for (std::size_t j = 0; j < out.size(); ++j) {
    out[j].p = plan.grid[j];
    out[j].dropout = plan.line.at(plan.grid[j]);
    out[j].reachable.resize(plan.arch.layers());
  }
  std::optional<Graph> graph;
  if (!plan.topology.is_dense_mlp()) graph.emplace(plan.arch, plan.topology);
  for (std::int64_t s = first; s < last && !(stop && (*stop)()); ++s) {
    if (graph) {
      sample_graph(plan, *graph, s, out);
      if (progress) progress(s - first + 1);
      continue;
    }
    switch (plan.method) {
      case Method::masks:
        sample_masks(plan, s, out);
        break;
      case Method::thresholds:
        sample_thresholds(plan, s, out);
        break;
      case Method::fast:
        sample_fast(plan, s, out);
        break;
    }
    if (progress) progress(s - first + 1);
  }
  return out;
}

std::vector<PointEstimate> run_sampling(const SamplingPlan& plan, const Progress& progress) {
  return run_sampling(plan, 0, plan.samples, progress);
}

SampleThresholds sample_thresholds(const SamplingPlan& plan, std::int64_t first, std::int64_t last,
                                   StopCheck* stop) {
  SampleThresholds result;
  const bool fast = plan.method == Method::fast && has_fast_thresholds(plan.line);
  const double p_input = plan.line.fixed_p_input;
  // A sample that spans at no p (input dropout removed every input) has threshold -inf: stored
  // as 0, which says the same of every p in [0, 1] and keeps the thresholds probabilities.
  auto stored = [](double threshold) { return std::max(threshold, 0.0); };
  double floor = std::numeric_limits<double>::infinity();
  // Directed thresholds of local layers stream without a Graph (local_percolation.hpp, the same
  // bits); the undirected threshold needs the Graph's edge list.
  const bool streamed = streams_locally(plan.topology) && !plan.undirected;
  const bool partial =
      !plan.survival_depths.empty() || plan.floor > -std::numeric_limits<double>::infinity();
  if (partial && !streamed) {
    throw std::invalid_argument(
        "survival depths and a floor need local layers without skips and directed spanning "
        "alone (undirected off)");
  }
  for (int t : plan.survival_depths) {
    if (t < 1 || t > plan.arch.depth()) {
      throw std::invalid_argument("survival depth " + std::to_string(t) +
                                  " is not a hidden layer 1.." + std::to_string(plan.arch.depth()));
    }
  }
  std::optional<LocalLayers> local;
  if (streamed) local.emplace(plan.arch, plan.topology, plan.line);
  std::optional<Graph> graph;
  if (!plan.topology.is_dense_mlp() && !streamed) graph.emplace(plan.arch, plan.topology);
  for (std::int64_t s = first; s < last && !(stop && (*stop)()); ++s) {
    if (streamed) {
      const RandomStream rng = stream(plan, kCoupledUniforms, s);
      const std::vector<double> b = local->thresholds(rng, plan.floor);
      result.directed.push_back(stored(b.back()));
      for (int t : plan.survival_depths)
        result.survival.push_back(stored(b[static_cast<std::size_t>(t)]));
      continue;
    }
    if (graph) {
      RandomStream rng = stream(plan, kCoupledUniforms, s);
      const SpanningThresholds t =
          spanning_thresholds(*graph, graph_thresholds(*graph, plan.line, rng), plan.undirected);
      result.directed.push_back(stored(t.directed));
      if (plan.undirected) result.undirected.push_back(stored(t.undirected));
      continue;
    }
    if (fast) {
      RandomStream rng = stream(plan, kFastThresholds, s);
      result.directed.push_back(stored(plan.line.model == DropoutModel::site
                                           ? fast_site_thresholds(plan.arch, rng, p_input).directed
                                           : fast_bond_threshold(plan.arch, rng, p_input)));
      continue;
    }
    RandomStream rng = stream(plan, kCoupledUniforms, s);
    const SpanningThresholds t =
        spanning_thresholds(plan.arch, plan.line, rng, plan.undirected, floor);
    result.directed.push_back(stored(t.directed));
    if (plan.undirected) result.undirected.push_back(stored(t.undirected));
    // The next sample's guess: this one's directed threshold, less its distance to 1 (any
    // guess gives the same thresholds; a good one saves a pass over the stream).
    floor = t.directed > 0.0 ? t.directed - (1.0 - t.directed)
                             : std::numeric_limits<double>::infinity();
  }
  return result;
}

void merge_estimates(std::vector<PointEstimate>& into, const std::vector<PointEstimate>& later) {
  assert(into.size() == later.size());
  for (std::size_t j = 0; j < into.size(); ++j) {
    into[j].samples += later[j].samples;
    into[j].directed_spans += later[j].directed_spans;
    into[j].undirected_spans += later[j].undirected_spans;
    for (std::size_t o = 0; o < kObservables.size(); ++o)
      into[j].means[o].merge(later[j].means[o]);
    for (std::size_t k = 0; k < into[j].reachable.size(); ++k) {
      into[j].reachable[k].merge(later[j].reachable[k]);
    }
  }
}

}  // namespace dropperc
