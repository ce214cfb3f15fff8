#include "support/exact_enumeration.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "dropperc/core/graph_percolation.hpp"

namespace dropperc::testing {

namespace {

void add(ExactObservables& exact, double weight, const Observation& o) {
  exact.directed_spanning.add(weight, o.directed_spanning);
  exact.undirected_spanning.add(weight, o.undirected_spanning);
  exact.extinction_depth.add(weight, o.extinction_depth);
  exact.backbone_units.add(weight, static_cast<double>(o.backbone_units));
  exact.backbone_weights.add(weight, static_cast<double>(o.backbone_weights));
  exact.largest_cluster.add(weight, static_cast<double>(o.largest_cluster));
  exact.mean_other_cluster_size.add(weight, o.mean_other_cluster_size);
  for (std::size_t k = 0; k < exact.reachable.size(); ++k)
    exact.reachable[k].add(weight, o.reachable[k]);
}

void finish(ExactObservables& exact) {
  for (Moments* m : {&exact.directed_spanning, &exact.undirected_spanning, &exact.extinction_depth,
                     &exact.backbone_units, &exact.backbone_weights, &exact.largest_cluster,
                     &exact.mean_other_cluster_size})
    m->finish();
  for (Moments& m : exact.reachable)
    m.finish();
}

}  // namespace

int random_elements(const Architecture& arch, const Dropout& dropout) {
  return static_cast<int>((drops_units(dropout.model) ? arch.hidden_units() : 0) +
                          (drops_edges(dropout.model) ? arch.edges() : 0) +
                          (dropout.p_input > 0.0 ? arch.input_width : 0));
}

ExactObservables enumerate_masks(const Architecture& arch, const Dropout& dropout) {
  const int n = random_elements(arch, dropout);
  if (n > 22) throw std::invalid_argument("too many random elements to enumerate");
  ExactObservables exact;
  exact.reachable.resize(arch.layers());
  for (std::uint32_t bits = 0; bits < (std::uint32_t{1} << n); ++bits) {
    Mask mask(arch);
    double weight = 1.0;
    int element = 0;
    // Element order: hidden units, edges in canonical order, input units; bit set = dropped.
    auto decide = [&](double p) {
      const bool dropped = (bits >> element++) & 1u;
      weight *= dropped ? p : 1.0 - p;
      return !dropped;
    };
    if (drops_units(dropout.model)) {
      for (int k = 1; k <= arch.depth(); ++k) {
        for (int i = 0; i < arch.layer_width(k); ++i)
          mask.set_unit(k, i, decide(dropout.site_at(k)));
      }
    }
    if (drops_edges(dropout.model)) {
      for (int g = 0; g < arch.gaps(); ++g) {
        for (int j = 0; j < arch.layer_width(g + 1); ++j) {
          for (int i = 0; i < arch.layer_width(g); ++i)
            mask.set_edge(g, i, j, decide(dropout.bond_at(g)));
        }
      }
    }
    if (dropout.p_input > 0.0) {
      for (int i = 0; i < arch.input_width; ++i)
        mask.set_unit(0, i, decide(dropout.p_input));
    }
    if (weight == 0.0) continue;
    add(exact, weight, observe(mask));
  }
  finish(exact);
  return exact;
}

namespace {

// Depth-first search from the kept inputs over kept edges into kept units.
bool spans(const Graph& graph, const GraphThresholds& t) {
  const Architecture& arch = graph.architecture();
  std::vector<std::vector<std::int32_t>> out(static_cast<std::size_t>(graph.units()));
  for (std::int64_t e = 0; e < graph.edges(); ++e) {
    if (t.edges[e] > 0.0) out[graph.tail(e)].push_back(graph.head(e));
  }
  std::vector<char> seen(out.size(), 0);
  std::vector<std::int32_t> stack;
  for (std::int32_t i = 0; i < arch.input_width; ++i) {
    if (t.units[i] > 0.0) stack.push_back(i);
  }
  while (!stack.empty()) {
    const std::int32_t u = stack.back();
    stack.pop_back();
    if (seen[u]) continue;
    seen[u] = 1;
    if (graph.layer_of(u) == arch.output_layer()) return true;
    for (std::int32_t v : out[u]) {
      if (t.units[v] > 0.0 && !seen[v]) stack.push_back(v);
    }
  }
  return false;
}

}  // namespace

ExactObservables enumerate_masks(const Graph& graph, const Dropout& dropout) {
  const Architecture& arch = graph.architecture();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  int n = 0;
  if (drops_units(dropout.model)) n += static_cast<int>(arch.hidden_units());
  for (const EdgeBlock& block : graph.blocks()) {
    if (drops_edges(dropout.model) && block.droppable)
      n += static_cast<int>(block.last - block.first);
  }
  if (dropout.p_input > 0.0) n += arch.input_width;
  if (n > 22) {
    throw std::invalid_argument(std::to_string(n) + " random elements: too many to enumerate");
  }
  ExactObservables exact;
  exact.reachable.resize(arch.layers());
  for (std::uint32_t bits = 0; bits < (std::uint32_t{1} << n); ++bits) {
    GraphThresholds t{std::vector<double>(static_cast<std::size_t>(graph.units()), kInf),
                      std::vector<double>(static_cast<std::size_t>(graph.edges()), kInf)};
    double weight = 1.0;
    int element = 0;
    // Bit set = dropped (threshold -inf: absent at the p = 0 observe() is asked at).
    auto decide = [&](double p) {
      const bool dropped = (bits >> element++) & 1u;
      weight *= dropped ? p : 1.0 - p;
      return dropped ? -kInf : kInf;
    };
    if (drops_units(dropout.model)) {
      for (int k = 1; k <= arch.depth(); ++k) {
        for (int i = 0; i < arch.layer_width(k); ++i)
          t.units[arch.unit_offset(k) + i] = decide(dropout.site_at(k));
      }
    }
    for (const EdgeBlock& block : graph.blocks()) {
      if (!drops_edges(dropout.model) || !block.droppable) continue;
      for (std::int64_t e = block.first; e < block.last; ++e)
        t.edges[e] = decide(dropout.bond_at(block.gap));
    }
    if (dropout.p_input > 0.0) {
      for (int i = 0; i < arch.input_width; ++i)
        t.units[i] = decide(dropout.p_input);
    }
    if (weight == 0.0) continue;
    const Observation o = observe(graph, t, 0.0);
    if (o.directed_spanning != spans(graph, t)) {
      throw std::logic_error("enumerate_masks: observe() and the search disagree on spanning");
    }
    add(exact, weight, o);
  }
  finish(exact);
  return exact;
}

}  // namespace dropperc::testing
