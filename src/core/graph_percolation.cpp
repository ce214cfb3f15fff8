#include "dropperc/core/graph_percolation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "clusters.hpp"

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

GraphThresholds graph_thresholds(const Graph& graph, const ScanLine& line, RandomStream& rng) {
  const Architecture& arch = graph.architecture();
  GraphThresholds t{std::vector<double>(static_cast<std::size_t>(graph.units()), kInf),
                    std::vector<double>(static_cast<std::size_t>(graph.edges()), kInf)};
  if (drops_units(line.model)) {
    for (int k = 1; k <= arch.depth(); ++k) {
      const ThresholdRule rule = unit_rule(line, k);
      double* unit = t.units.data() + arch.unit_offset(k);
      for (int i = 0; i < arch.layer_width(k); ++i)
        unit[i] = rule(rng.uniform());
    }
  }
  if (drops_edges(line.model)) {
    for (const EdgeBlock& block : graph.blocks()) {
      if (!block.droppable) continue;
      const ThresholdRule rule = edge_rule(line, block.gap);
      for (std::int64_t e = block.first; e < block.last; ++e)
        t.edges[e] = rule(rng.uniform());
    }
  }
  if (line.fixed_p_input > 0.0) {
    const ThresholdRule rule = unit_rule(line, 0);
    for (int i = 0; i < arch.input_width; ++i)
      t.units[i] = rule(rng.uniform());
  }
  return t;
}

Observation observe(const Graph& graph, const GraphThresholds& t, double p, bool undirected) {
  const Architecture& arch = graph.architecture();
  const std::int32_t units = graph.units();
  const auto kept = [&](std::int32_t u) { return t.units[u] > p; };
  const auto present = [&](std::int64_t e) {
    return t.edges[e] > p && kept(graph.tail(e)) && kept(graph.head(e));
  };
  // Forward in unit order, backward in reverse: every edge points to a later layer.
  std::vector<char> forward(static_cast<std::size_t>(units), 0), backward(forward);
  for (std::int32_t u = 0; u < arch.input_width; ++u)
    forward[u] = kept(u);
  for (std::int32_t u = arch.input_width; u < units; ++u) {
    if (!kept(u)) continue;
    for (std::int32_t e : graph.in_edges(u)) {
      if (forward[graph.tail(e)] && t.edges[e] > p) {
        forward[u] = 1;
        break;
      }
    }
  }
  const auto output = static_cast<std::int32_t>(arch.unit_offset(arch.output_layer()));
  for (std::int32_t u = output; u < units; ++u)
    backward[u] = kept(u);
  for (std::int32_t u = units - 1; u >= arch.input_width; --u) {
    if (!backward[u]) continue;
    for (std::int32_t e : graph.in_edges(u)) {
      if (t.edges[e] > p && kept(graph.tail(e))) backward[graph.tail(e)] = 1;
    }
  }

  Observation result;
  result.reachable.assign(static_cast<std::size_t>(arch.layers()), 0);
  for (std::int32_t u = 0; u < units; ++u) {
    result.reachable[graph.layer_of(u)] += forward[u];
    if (arch.is_hidden(graph.layer_of(u))) result.backbone_units += forward[u] && backward[u];
  }
  result.directed_spanning = result.reachable.back() > 0;
  result.extinction_depth = extinction_depth(result.reachable);
  // An edge is on a directed input-output path iff its tail is forward-reachable and its head
  // reaches the output (percolation.hpp's definition).
  for (std::int64_t e = 0; e < graph.edges(); ++e) {
    result.backbone_weights += forward[graph.tail(e)] && backward[graph.head(e)] && t.edges[e] > p;
  }
  if (!undirected) return result;
  detail::Clusters clusters(static_cast<std::size_t>(units));
  for (std::int32_t u = 0; u < units; ++u) {
    if (kept(u)) clusters.add_unit(u, detail::side_of(arch, graph.layer_of(u)));
  }
  for (std::int64_t e = 0; e < graph.edges(); ++e) {
    if (present(e)) clusters.unite(graph.tail(e), graph.head(e));
  }
  result.undirected_spanning = clusters.spanning();
  result.largest_cluster = clusters.largest();
  result.mean_other_cluster_size = clusters.mean_other_size();
  return result;
}

SpanningThresholds spanning_thresholds(const Graph& graph, const GraphThresholds& t,
                                       bool undirected) {
  const Architecture& arch = graph.architecture();
  const std::int32_t units = graph.units();
  SpanningThresholds result{-kInf, std::numeric_limits<double>::quiet_NaN()};
  std::vector<double> b(t.units.begin(), t.units.begin() + arch.input_width);
  b.resize(static_cast<std::size_t>(units), -kInf);
  for (std::int32_t u = arch.input_width; u < units; ++u) {
    double best = -kInf;
    for (std::int32_t e : graph.in_edges(u))
      best = std::max(best, std::min(t.edges[e], b[graph.tail(e)]));
    b[u] = std::min(t.units[u], best);
  }
  const auto output = static_cast<std::int32_t>(arch.unit_offset(arch.output_layer()));
  result.directed = *std::max_element(b.begin() + output, b.end());
  if (!undirected) return result;

  // An edge is present at p iff p is below its level, min(t_e, t_tail, t_head); the widest path
  // joins input and output at the level of the edge that first unites them (Kruskal).
  std::vector<double> level(static_cast<std::size_t>(graph.edges()));
  for (std::int64_t e = 0; e < graph.edges(); ++e)
    level[e] = std::min({t.edges[e], t.units[graph.tail(e)], t.units[graph.head(e)]});
  std::vector<std::int64_t> order(level.size());
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::ranges::sort(order, [&](std::int64_t a, std::int64_t c) { return level[a] > level[c]; });
  detail::Clusters clusters(static_cast<std::size_t>(units));
  for (std::int32_t u = 0; u < units; ++u)
    clusters.add_unit(u, detail::side_of(arch, graph.layer_of(u)));
  result.undirected = -kInf;
  for (std::int64_t e : order) {
    clusters.unite(graph.tail(e), graph.head(e));
    if (clusters.spanning()) {
      result.undirected = level[e];
      break;
    }
  }
  return result;
}

}  // namespace dropperc
