#include "dropperc/core/local_percolation.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The in-edges of one gap, head by head in canonical order (compressed rows of tails).
struct GapEdges {
  std::vector<std::int64_t> begin;  // heads + 1 offsets into tails
  std::vector<int> tails;
};

GapEdges gap_edges(const Architecture& arch, const Topology& topology, int gap) {
  GapEdges g;
  g.begin.push_back(0);
  for (int j = 0; j < arch.layer_width(gap + 1); ++j) {
    const std::vector<int> tails = in_tails(arch, topology, gap + 1, j);
    g.tails.insert(g.tails.end(), tails.begin(), tails.end());
    g.begin.push_back(static_cast<std::int64_t>(g.tails.size()));
  }
  return g;
}

}  // namespace

bool streams_locally(const Topology& topology) {
  return topology.connectivity == Connectivity::local && topology.residual == 0;
}

std::vector<double> layer_thresholds(const Architecture& arch, const Topology& topology,
                                     const ScanLine& line, const RandomStream& rng) {
  if (!streams_locally(topology)) {
    throw std::invalid_argument("layer_thresholds: local connectivity without skips only");
  }
  validate(topology, arch);
  // Every hidden layer is the lattice, so gaps 1..L-1 share their edges; gap 0 and gap L may
  // differ (narrower input or output layers).
  const int gaps = arch.gaps();
  std::vector<GapEdges> distinct = {gap_edges(arch, topology, 0)};
  if (gaps >= 3) distinct.push_back(gap_edges(arch, topology, 1));
  if (gaps >= 2) distinct.push_back(gap_edges(arch, topology, gaps - 1));
  auto edges_of = [&](int g) -> const GapEdges& {
    return g == 0 ? distinct.front() : g == gaps - 1 ? distinct.back() : distinct[1];
  };
  auto count = [](const GapEdges& g) { return static_cast<std::uint64_t>(g.tails.size()); };
  // Stream positions as graph_thresholds draws them (graph_percolation.hpp): hidden units, the
  // edges in canonical order, then the inputs.
  const bool units = drops_units(line.model), edges = drops_edges(line.model);
  const std::uint64_t hidden = units ? static_cast<std::uint64_t>(arch.hidden_units()) : 0;
  std::uint64_t all_edges = 0;
  if (edges) {
    all_edges = count(distinct.front());
    if (gaps >= 2) all_edges += count(distinct.back());
    if (gaps >= 3) all_edges += static_cast<std::uint64_t>(gaps - 2) * count(distinct[1]);
  }
  RandomStream unit_stream = rng, edge_stream = rng, input_stream = rng;
  unit_stream.seek(0);
  edge_stream.seek(hidden);
  input_stream.seek(hidden + all_edges);

  std::vector<double> result;
  std::vector<double> b(static_cast<std::size_t>(arch.input_width), kInf), next;
  if (line.fixed_p_input > 0.0) {
    const ThresholdRule rule = unit_rule(line, 0);
    for (double& x : b)
      x = rule(input_stream.uniform());
  }
  result.push_back(*std::max_element(b.begin(), b.end()));
  for (int g = 0; g < gaps; ++g) {
    const GapEdges& in = edges_of(g);
    const int head_layer = g + 1, heads = arch.layer_width(head_layer);
    const bool hidden_head = arch.is_hidden(head_layer);
    const ThresholdRule edge = edge_rule(line, g);
    const ThresholdRule unit = hidden_head && units ? unit_rule(line, head_layer) : ThresholdRule{};
    next.assign(static_cast<std::size_t>(heads), -kInf);
    double top = -kInf;
    for (int j = 0; j < heads; ++j) {
      double best = -kInf;
      for (std::int64_t e = in.begin[j]; e < in.begin[j + 1]; ++e) {
        const double t_edge = edges ? edge(edge_stream.uniform()) : kInf;
        best = std::max(best, std::min(t_edge, b[static_cast<std::size_t>(in.tails[e])]));
      }
      const double t_unit = hidden_head && units ? unit(unit_stream.uniform()) : kInf;
      next[j] = std::min(t_unit, best);
      top = std::max(top, next[j]);
    }
    b.swap(next);
    result.push_back(top);
  }
  return result;
}

}  // namespace dropperc
