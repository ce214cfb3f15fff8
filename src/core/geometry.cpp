#include "dropperc/core/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace dropperc {

namespace {

std::string number(std::int64_t n) {
  return std::to_string(n);
}

// The lattice of local layers: W sites in 1-D, side x side sites of C channels in 2-D.
struct Lattice {
  int width = 1;  // W, units of a full layer
  int side = 1;   // 2-D only
};

Lattice lattice_of(const Architecture& arch, const Topology& topology) {
  Lattice lattice{arch.depth() >= 1 ? arch.layer_width(1) : arch.input_width, 1};
  if (topology.dimensions == 2) {
    lattice.side = static_cast<int>(std::lround(std::sqrt(lattice.width / topology.channels)));
  }
  return lattice;
}

// Calls f(t) for every tail t (a unit of layer `layer - 1`) of unit j of `layer`, in in-edge
// order (docs/theory.md §11.1).
template <class F>
void for_each_local_tail(const Architecture& arch, const Topology& topology, int layer, int j,
                         F f) {
  const Lattice lattice = lattice_of(arch, topology);
  const int tails = arch.layer_width(layer - 1);
  const int k = topology.kernel;
  const bool periodic = topology.boundary == Boundary::periodic;
  if (topology.dimensions == 1) {
    for (int d = 0; d < k; ++d) {
      int t = j + d;
      if (t >= lattice.width) {
        if (!periodic) break;
        t -= lattice.width;
      }
      if (t < tails) f(t);
    }
    return;
  }
  const int channels = topology.channels, side = lattice.side;
  const int site = j / channels, x = site % side, y = site / side;
  for (int dy = 0; dy < k; ++dy) {
    int ty = y + dy;
    if (ty >= side) {
      if (!periodic) break;
      ty -= side;
    }
    for (int dx = 0; dx < k; ++dx) {
      int tx = x + dx;
      if (tx >= side) {
        if (!periodic) break;
        tx -= side;
      }
      for (int c = 0; c < channels; ++c) {
        const int t = (ty * side + tx) * channels + c;
        if (t < tails) f(t);
      }
    }
  }
}

// sum_{u=1}^{n} min(K, u), n >= 0.
std::int64_t capped_sum(std::int64_t n, std::int64_t k) {
  return n <= k ? n * (n + 1) / 2 : k * (k + 1) / 2 + (n - k) * k;
}

// Units of `site` in a layer of `width` units, which occupy the first positions.
std::int64_t units_at(std::int64_t site, std::int64_t channels, std::int64_t width) {
  return std::clamp<std::int64_t>(width - site * channels, 0, channels);
}

// Edges of local gap g, what for_each_local_tail lists, counted in closed form (1-D: O(K) with
// periodic boundaries, else O(1)) or site by site (2-D: O(W / C)).
std::int64_t local_gap_edges(const Architecture& arch, const Topology& topology, int gap) {
  const Lattice lattice = lattice_of(arch, topology);
  const std::int64_t tails = arch.layer_width(gap), heads = arch.layer_width(gap + 1);
  const std::int64_t k = topology.kernel, w = lattice.width;
  const bool periodic = topology.boundary == Boundary::periodic;
  if (topology.dimensions == 1) {
    // Open: head j < tails reads min(K, tails - j) tails. Periodic: per offset d, the heads
    // with j + d < tails, and those that wrap, W - d <= j < W - d + tails.
    if (!periodic) return capped_sum(tails, k) - capped_sum(tails - std::min(heads, tails), k);
    std::int64_t n = 0;
    for (std::int64_t d = 0; d < k; ++d) {
      n += std::max<std::int64_t>(0, std::min(heads, tails - d));
      n += std::max<std::int64_t>(0, std::min(heads, w - d + tails) - (w - d));
    }
    return n;
  }
  // Sites within the kernel along one axis, seen from a head at x (forward) or a tail (back).
  const std::int64_t side = lattice.side, channels = topology.channels;
  auto reach = [&](std::int64_t x, bool forward) {
    return periodic ? k : std::min(k, forward ? side - x : x + 1);
  };
  std::int64_t n = 0;
  if (tails == w) {
    // Every head reads every channel of its neighbour sites.
    for (std::int64_t site = 0; site * channels < heads; ++site) {
      n += units_at(site, channels, heads) * channels * reach(site % side, true) *
           reach(site / side, true);
    }
    return n;
  }
  // A narrower tail layer under a full one (the input gap): every tail is read by every channel
  // of the sites that see it.
  for (std::int64_t site = 0; site * channels < tails; ++site) {
    n += units_at(site, channels, tails) * channels * reach(site % side, false) *
         reach(site / side, false);
  }
  return n;
}

}  // namespace

std::string_view name(Connectivity connectivity) {
  return connectivity == Connectivity::dense ? "dense" : "local";
}

std::string_view name(Boundary boundary) {
  return boundary == Boundary::periodic ? "periodic" : "open";
}

std::optional<Connectivity> parse_connectivity(std::string_view text) {
  if (text == "dense") return Connectivity::dense;
  if (text == "local") return Connectivity::local;
  return std::nullopt;
}

std::optional<Boundary> parse_boundary(std::string_view text) {
  if (text == "periodic") return Boundary::periodic;
  if (text == "open") return Boundary::open;
  return std::nullopt;
}

void validate(const Topology& topology, const Architecture& arch) {
  validate(arch);
  if (topology.residual < 0 || topology.residual > arch.depth() + 1) {
    throw std::invalid_argument("--residual " + number(topology.residual) +
                                ": the skip step S must be in [1, L + 1] = [1, " +
                                number(std::int64_t{arch.depth()} + 1) + "] (0: no skips)");
  }
  if (topology.connectivity == Connectivity::dense) return;
  const int width = arch.layer_width(1);
  for (int k = 2; k <= arch.depth(); ++k) {
    if (arch.layer_width(k) != width) {
      throw std::invalid_argument(
          "--connectivity local: every hidden layer is the same lattice, "
          "but the hidden widths are " +
          hidden_widths_text(arch));
    }
    if (arch.is_uniform()) break;
  }
  if (arch.input_width > width || arch.output_width > width) {
    throw std::invalid_argument(
        "--connectivity local: the input width " + number(arch.input_width) + " and output width " +
        number(arch.output_width) + " must not exceed the lattice width W = " + number(width));
  }
  if (topology.dimensions != 1 && topology.dimensions != 2) {
    throw std::invalid_argument("--dimensions " + number(topology.dimensions) + ": must be 1 or 2");
  }
  if (topology.channels < 1 || (topology.dimensions == 1 && topology.channels != 1)) {
    throw std::invalid_argument(
        "--channels " + number(topology.channels) +
        (topology.dimensions == 1 ? ": channels need --dimensions 2" : ": must be at least 1"));
  }
  int sites = width;
  if (topology.dimensions == 2) {
    const int side = lattice_of(arch, topology).side;
    if (std::int64_t{side} * side * topology.channels != width) {
      throw std::invalid_argument("--dimensions 2: the width W = " + number(width) +
                                  " must be C side^2 with C = " + number(topology.channels) +
                                  " (--channels)");
    }
    sites = side;
  }
  if (topology.kernel < 1 || topology.kernel > sites) {
    throw std::invalid_argument(
        "--kernel " + number(topology.kernel) + ": must be in [1, " + number(sites) + "] (" +
        (topology.dimensions == 1 ? "the lattice width W" : "the side of the grid") + ")");
  }
}

std::string topology_text(const Topology& topology) {
  std::string text;
  if (topology.connectivity == Connectivity::local) {
    text = "local K=" + number(topology.kernel) + " " + std::string(name(topology.boundary)) + " " +
           number(topology.dimensions) + "-D";
    if (topology.dimensions == 2) text += " C=" + number(topology.channels);
  }
  if (topology.residual > 0) {
    text += (text.empty() ? "" : ", ") + std::string("residual S=") + number(topology.residual) +
            (topology.residual_dropout ? " (skips droppable)" : " (skips kept)");
  }
  return text;
}

std::vector<int> in_tails(const Architecture& arch, const Topology& topology, int layer, int j) {
  std::vector<int> tails;
  if (topology.connectivity == Connectivity::dense) {
    tails.resize(static_cast<std::size_t>(arch.layer_width(layer - 1)));
    std::iota(tails.begin(), tails.end(), 0);
  } else {
    for_each_local_tail(arch, topology, layer, j, [&](int t) { tails.push_back(t); });
  }
  return tails;
}

std::int64_t edge_count(const Architecture& arch, const Topology& topology) {
  // Saturates past kMaxGraphEdges: a uniform network may have 10^9 gaps.
  std::int64_t n = 0;
  if (topology.connectivity == Connectivity::dense) {
    for (int g = 0; g < arch.gaps() && n <= kMaxGraphEdges; ++g)
      n += arch.gap_edges(g);
  } else {
    // Every hidden layer is the lattice: the gaps between hidden layers are alike.
    n = local_gap_edges(arch, topology, 0);
    if (arch.gaps() >= 2) n += local_gap_edges(arch, topology, arch.gaps() - 1);
    if (arch.gaps() >= 3) {
      const std::int64_t inner = local_gap_edges(arch, topology, 1), count = arch.gaps() - 2;
      n = inner > 0 && count > (kMaxGraphEdges + 1) / inner ? kMaxGraphEdges + 1
                                                            : n + count * inner;
    }
  }
  for (int k = 0;
       topology.residual > 0 && k + topology.residual <= arch.output_layer() && n <= kMaxGraphEdges;
       k += topology.residual) {
    n += std::min(arch.layer_width(k), arch.layer_width(k + topology.residual));
  }
  return n;
}

Graph::Graph(const Architecture& arch, const Topology& topology)
    : arch_(arch), topology_(topology) {
  validate(topology, arch);
  const std::int64_t edges = edge_count(arch, topology);
  if (edges > kMaxGraphEdges) {
    throw std::invalid_argument("the network has more than " + number(kMaxGraphEdges) +
                                " edges, the most a local or residual network may have here");
  }
  if (arch.units() > std::int64_t{1} << 30) {
    throw std::invalid_argument("the network has " + number(arch.units()) +
                                " units, more than 2^30");
  }
  layer_of_.reserve(static_cast<std::size_t>(arch.units()));
  for (int k = 0; k < arch.layers(); ++k)
    layer_of_.insert(layer_of_.end(), static_cast<std::size_t>(arch.layer_width(k)), k);
  tail_.reserve(static_cast<std::size_t>(edges));
  head_.reserve(static_cast<std::size_t>(edges));
  for (int g = 0; g < arch.gaps(); ++g) {
    const auto first = static_cast<std::int64_t>(tail_.size());
    const auto tails = static_cast<std::int32_t>(arch.unit_offset(g));
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      const auto head = static_cast<std::int32_t>(arch.unit_offset(g + 1) + j);
      if (topology.connectivity == Connectivity::dense) {
        for (int i = 0; i < arch.layer_width(g); ++i)
          add_edge(tails + i, head);
      } else {
        for_each_local_tail(arch, topology, g + 1, j, [&](int t) { add_edge(tails + t, head); });
      }
    }
    blocks_.push_back({first, static_cast<std::int64_t>(tail_.size()), g, true, false});
  }
  for (int k = 0; topology.residual > 0 && k + topology.residual <= arch.output_layer();
       k += topology.residual) {
    const int to = k + topology.residual;
    const auto first = static_cast<std::int64_t>(tail_.size());
    for (int i = 0; i < std::min(arch.layer_width(k), arch.layer_width(to)); ++i) {
      add_edge(static_cast<std::int32_t>(arch.unit_offset(k) + i),
               static_cast<std::int32_t>(arch.unit_offset(to) + i));
    }
    blocks_.push_back(
        {first, static_cast<std::int64_t>(tail_.size()), to - 1, topology.residual_dropout, true});
  }
  // In-edge lists: a counting sort of the edges by head keeps ids ascending within a head.
  in_begin_.assign(layer_of_.size() + 1, 0);
  for (std::int32_t h : head_)
    ++in_begin_[h + 1];
  for (std::size_t u = 0; u < layer_of_.size(); ++u)
    in_begin_[u + 1] += in_begin_[u];
  in_edge_.resize(tail_.size());
  std::vector<std::int64_t> cursor(in_begin_.begin(), in_begin_.end() - 1);
  for (std::int64_t e = 0; e < this->edges(); ++e)
    in_edge_[cursor[head_[e]]++] = static_cast<std::int32_t>(e);
}

void Graph::add_edge(std::int32_t tail, std::int32_t head) {
  tail_.push_back(tail);
  head_.push_back(head);
}

}  // namespace dropperc
