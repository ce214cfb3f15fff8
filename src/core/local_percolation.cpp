#include "dropperc/core/local_percolation.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

LocalLayers::GapEdges gap_edges(const Architecture& arch, const Topology& topology, int gap) {
  LocalLayers::GapEdges g;
  g.begin.push_back(0);
  for (int j = 0; j < arch.layer_width(gap + 1); ++j) {
    const std::vector<int> tails = in_tails(arch, topology, gap + 1, j);
    g.tails.insert(g.tails.end(), tails.begin(), tails.end());
    g.begin.push_back(static_cast<std::int64_t>(g.tails.size()));
  }
  g.out_begin.assign(static_cast<std::size_t>(arch.layer_width(gap)) + 1, 0);
  for (int t : g.tails)
    ++g.out_begin[static_cast<std::size_t>(t) + 1];
  for (std::size_t t = 1; t < g.out_begin.size(); ++t)
    g.out_begin[t] += g.out_begin[t - 1];
  g.heads.resize(g.tails.size());
  std::vector<std::int64_t> cursor(g.out_begin.begin(), g.out_begin.end() - 1);
  for (int j = 0; j + 1 < static_cast<int>(g.begin.size()); ++j) {
    for (std::int64_t e = g.begin[j]; e < g.begin[j + 1]; ++e)
      g.heads[static_cast<std::size_t>(cursor[static_cast<std::size_t>(g.tails[e])]++)] = j;
  }
  return g;
}

}  // namespace

bool streams_locally(const Topology& topology) {
  return topology.connectivity == Connectivity::local && topology.residual == 0;
}

std::uint64_t gap_size(const LocalLayers::GapEdges& g) {
  return static_cast<std::uint64_t>(g.tails.size());
}

LocalLayers::LocalLayers(const Architecture& arch, const Topology& topology, const ScanLine& line)
    : arch_(arch), line_(line) {
  if (!streams_locally(topology)) {
    throw std::invalid_argument("layer_thresholds: local connectivity without skips only");
  }
  validate(topology, arch);
  // Every hidden layer is the lattice, so gaps 1..L-1 share their edges; gap 0 and gap L may
  // differ (narrower input or output layers).
  const int gaps = arch.gaps();
  distinct_ = {gap_edges(arch, topology, 0)};
  if (gaps >= 3) distinct_.push_back(gap_edges(arch, topology, 1));
  if (gaps >= 2) distinct_.push_back(gap_edges(arch, topology, gaps - 1));
  // Stream positions as graph_thresholds draws them (graph_percolation.hpp): hidden units, the
  // edges in canonical order, then the inputs.
  hidden_ = drops_units(line.model) ? static_cast<std::uint64_t>(arch.hidden_units()) : 0;
  if (drops_edges(line.model)) {
    all_edges_ = gap_size(distinct_.front());
    if (gaps >= 2) all_edges_ += gap_size(distinct_.back());
    if (gaps >= 3) all_edges_ += static_cast<std::uint64_t>(gaps - 2) * gap_size(distinct_[1]);
  }
}

const LocalLayers::GapEdges& LocalLayers::edges_of(int gap) const {
  return gap == 0 ? distinct_.front() : gap == arch_.gaps() - 1 ? distinct_.back() : distinct_[1];
}

std::vector<double> layer_thresholds(const Architecture& arch, const Topology& topology,
                                     const ScanLine& line, const RandomStream& rng, double floor) {
  return LocalLayers(arch, topology, line).thresholds(rng, floor);
}

std::vector<double> LocalLayers::thresholds(const RandomStream& rng, double floor) const {
  const Architecture& arch = arch_;
  const ScanLine& line = line_;
  const int gaps = arch.gaps();
  const bool pruned = floor > -kInf;
  const bool units = drops_units(line.model), edges = drops_edges(line.model);
  const std::uint64_t hidden = hidden_;
  RandomStream unit_stream = rng, edge_stream = rng, input_stream = rng;
  unit_stream.seek(0);
  edge_stream.seek(hidden);
  input_stream.seek(hidden + all_edges_);

  std::vector<double> result;
  std::vector<double> b(static_cast<std::size_t>(arch.input_width), kInf), next;
  if (line.fixed_p_input > 0.0) {
    const ThresholdRule rule = unit_rule(line, 0);
    for (double& x : b)
      x = rule(input_stream.uniform());
  }
  result.push_back(*std::max_element(b.begin(), b.end()));
  if (pruned) {
    // Only the units alive above the floor, and the heads they feed; each element's uniform at
    // its stream position (the full pass's order: edges gap by gap and head by head, units
    // layer-major), seeking where the stream is not already there.
    auto at = [](RandomStream& stream, std::uint64_t position) {
      if (stream.position() != position) stream.seek(position);
    };
    const std::size_t widest = static_cast<std::size_t>(arch.max_width());
    b.resize(widest, -kInf);
    next.assign(widest, -kInf);
    std::vector<int> alive, born;
    std::vector<char> marked(widest, 0);
    for (int i = 0; i < arch.input_width; ++i) {
      if (b[i] > floor) alive.push_back(i);
    }
    for (std::size_t i = 0; i < widest; ++i) {
      if (i >= static_cast<std::size_t>(arch.input_width) || !(b[i] > floor)) b[i] = -kInf;
    }
    std::uint64_t gap_offset = 0;
    for (int g = 0; g < gaps; ++g) {
      const GapEdges& in = edges_of(g);
      const int head_layer = g + 1;
      const bool hidden_head = arch.is_hidden(head_layer);
      const ThresholdRule edge = edge_rule(line, g);
      const ThresholdRule unit =
          hidden_head && units ? unit_rule(line, head_layer) : ThresholdRule{};
      std::vector<int> candidates;
      for (int t : alive) {
        for (std::int64_t o = in.out_begin[t]; o < in.out_begin[t + 1]; ++o) {
          const int j = in.heads[static_cast<std::size_t>(o)];
          if (!marked[j]) {
            marked[j] = 1;
            candidates.push_back(j);
          }
        }
      }
      std::sort(candidates.begin(), candidates.end());
      born.clear();
      double top = -kInf;
      for (int j : candidates) {
        marked[j] = 0;
        if (edges) at(edge_stream, hidden + gap_offset + static_cast<std::uint64_t>(in.begin[j]));
        double best = -kInf;
        for (std::int64_t e = in.begin[j]; e < in.begin[j + 1]; ++e) {
          const double t_edge = edges ? edge(edge_stream.uniform()) : kInf;
          best = std::max(best, std::min(t_edge, b[static_cast<std::size_t>(in.tails[e])]));
        }
        double t_unit = kInf;
        if (hidden_head && units) {
          at(unit_stream,
             static_cast<std::uint64_t>(arch.unit_offset(head_layer) - arch.input_width) +
                 static_cast<std::uint64_t>(j));
          t_unit = unit(unit_stream.uniform());
        }
        const double value = std::min(t_unit, best);
        if (value > floor) {
          next[j] = value;
          born.push_back(j);
          top = std::max(top, value);
        }
      }
      for (int t : alive)
        b[t] = -kInf;
      b.swap(next);
      alive.swap(born);
      result.push_back(top);
      gap_offset += edges ? gap_size(in) : 0;
    }
    return result;
  }
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
