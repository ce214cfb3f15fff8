#include "dropperc/core/percolation.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <numeric>
#include <optional>
#include <queue>

#include "clusters.hpp"

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool intersects(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) {
  for (std::size_t w = 0; w < a.size(); ++w) {
    if (a[w] & b[w]) return true;
  }
  return false;
}

int common_count(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b) {
  int n = 0;
  for (std::size_t w = 0; w < a.size(); ++w)
    n += std::popcount(a[w] & b[w]);
  return n;
}

// Calls f(i) for every i set in both bitsets.
template <class F>
void for_each_common(std::span<const std::uint64_t> a, std::span<const std::uint64_t> b, F f) {
  for (std::size_t w = 0; w < a.size(); ++w) {
    for (std::uint64_t bits = a[w] & b[w]; bits != 0; bits &= bits - 1) {
      f(static_cast<int>(w * 64) + std::countr_zero(bits));
    }
  }
}

using detail::Clusters;
using detail::side_of;

// With every edge kept, a maximal run of two or more consecutive non-empty layers is one
// cluster; a lone non-empty layer is that many single units (units of a layer are joined only
// through the layers beside it).
void observe_layer_clusters(const Mask& mask, Observation& result) {
  const Architecture& arch = mask.architecture();
  std::vector<std::int64_t> sizes;
  std::int64_t run = 0;
  int run_layers = 0;
  for (int k = 0; k <= arch.layers(); ++k) {
    const int kept = k < arch.layers() ? mask.units().count(k) : 0;
    if (kept > 0) {
      run += kept;
      ++run_layers;
      continue;
    }
    if (run_layers == 1) sizes.insert(sizes.end(), static_cast<std::size_t>(run), 1);
    if (run_layers > 1) sizes.push_back(run);
    run = 0;
    run_layers = 0;
  }
  // Input and output share a cluster iff every layer between them keeps a unit.
  result.undirected_spanning = true;
  for (int k = 0; k < arch.layers(); ++k)
    result.undirected_spanning &= mask.units().any(k);
  std::int64_t total = 0, squares = 0;
  for (std::int64_t s : sizes) {
    total += s;
    squares += s * s;
    result.largest_cluster = std::max(result.largest_cluster, s);
  }
  const std::int64_t others = total - result.largest_cluster;
  result.mean_other_cluster_size =
      others == 0 ? 0.0
                  : static_cast<double>(squares - result.largest_cluster * result.largest_cluster) /
                        static_cast<double>(others);
}

void observe_clusters(const Mask& mask, Observation& result) {
  const Architecture& arch = mask.architecture();
  if (mask.all_edges_kept()) return observe_layer_clusters(mask, result);
  Clusters clusters(static_cast<std::size_t>(arch.units()));
  for (int k = 0; k < arch.layers(); ++k) {
    for (int i = 0; i < arch.layer_width(k); ++i) {
      if (mask.unit(k, i)) clusters.add_unit(arch.unit_offset(k) + i, side_of(arch, k));
    }
  }
  for (int g = 0; g < arch.gaps(); ++g) {
    const auto tails = mask.units().layer(g);
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      if (!mask.unit(g + 1, j)) continue;
      const auto head = arch.unit_offset(g + 1) + j;
      for_each_common(tails, mask.incoming(g, j),
                      [&](int i) { clusters.unite(arch.unit_offset(g) + i, head); });
    }
  }
  result.undirected_spanning = clusters.spanning();
  result.largest_cluster = clusters.largest();
  result.mean_other_cluster_size = clusters.mean_other_size();
}

// For each grid point p_k (ascending), the number of values > p_k.
class CountAbove {
 public:
  explicit CountAbove(std::span<const double> grid) : grid_(grid), histogram_(grid.size() + 1, 0) {}
  // Value v exceeds exactly the grid points before lower_bound(v).
  void add(double v) {
    ++histogram_[std::lower_bound(grid_.begin(), grid_.end(), v) - grid_.begin()];
  }
  // Returns the counts and resets.
  std::vector<std::int64_t> take() {
    std::vector<std::int64_t> counts(grid_.size());
    std::int64_t above = histogram_.back();
    for (std::size_t k = grid_.size(); k-- > 0;) {
      counts[k] = above;
      above += histogram_[k];
    }
    std::fill(histogram_.begin(), histogram_.end(), 0);
    return counts;
  }

 private:
  std::span<const double> grid_;
  std::vector<std::int64_t> histogram_;
};

// One element of the undirected sweep: a unit (head < 0) or an edge tail -> head, present at
// every p below `threshold`.
struct SweepEvent {
  double threshold;
  std::int64_t tail;
  std::int64_t head;
};

// Elements in decreasing threshold; at equal thresholds units come first, so an edge never
// arrives before its end units (its threshold is the minimum of theirs and its own).
std::vector<SweepEvent> sweep_events(const ElementThresholds& t) {
  const Architecture& arch = t.arch;
  std::vector<SweepEvent> events;
  events.reserve(static_cast<std::size_t>(arch.units() + arch.edges()));
  for (std::int64_t u = 0; u < arch.units(); ++u)
    events.push_back({t.units[u], u, -1});
  std::int64_t e = 0;
  for (int g = 0; g < arch.gaps(); ++g) {
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      const std::int64_t head = arch.unit_offset(g + 1) + j;
      for (int i = 0; i < arch.layer_width(g); ++i, ++e) {
        const std::int64_t tail = arch.unit_offset(g) + i;
        const double edge = t.edges.empty() ? kInf : t.edges[e];
        events.push_back({std::min({t.units[tail], edge, t.units[head]}), tail, head});
      }
    }
  }
  std::sort(events.begin(), events.end(), [](const SweepEvent& a, const SweepEvent& b) {
    if (a.threshold != b.threshold) return a.threshold > b.threshold;
    return (a.head < 0) > (b.head < 0);
  });
  return events;
}

class Sweep {
 public:
  explicit Sweep(const ElementThresholds& t)
      : arch_(t.arch),
        events_(sweep_events(t)),
        clusters_(static_cast<std::size_t>(arch_.units())) {}

  // Adds every element with threshold > p.
  void advance_past(double p) {
    while (next_ < events_.size() && events_[next_].threshold > p)
      apply(events_[next_++]);
  }
  // Adds elements until input and output join; returns the threshold at which they did.
  double spanning_threshold() {
    while (!clusters_.spanning() && next_ < events_.size() && events_[next_].threshold > -kInf) {
      apply(events_[next_]);
      if (clusters_.spanning()) return events_[next_].threshold;
      ++next_;
    }
    return clusters_.spanning() ? kInf : -kInf;
  }
  const Clusters& clusters() const { return clusters_; }

 private:
  void apply(const SweepEvent& event) {
    if (event.head >= 0) {
      clusters_.unite(static_cast<std::size_t>(event.tail), static_cast<std::size_t>(event.head));
      return;
    }
    const auto u = static_cast<std::size_t>(event.tail);
    unsigned char side = 0;
    if (event.tail < arch_.input_width) side = Clusters::kInput;
    if (event.tail >= arch_.unit_offset(arch_.output_layer())) side = Clusters::kOutput;
    clusters_.add_unit(u, side);
  }

  Architecture arch_;
  std::vector<SweepEvent> events_;
  std::size_t next_ = 0;
  Clusters clusters_;
};

// Units reached from the input: through a kept edge from a reached unit of the layer below
// (every kept unit of a layer after a non-empty one when every edge is kept), or through a kept
// skip from its block start.
UnitSet reached_from_input(const Mask& mask, const SkipMask* skips) {
  const Architecture& arch = mask.architecture();
  const UnitSet& kept = mask.units();
  UnitSet forward(arch, false);
  std::ranges::copy(kept.layer(0), forward.layer(0).begin());
  for (int g = 0; g < arch.gaps(); ++g) {
    const int h = g + 1;
    auto to = forward.layer(h);
    if (mask.all_edges_kept()) {
      if (forward.any(g)) std::ranges::copy(kept.layer(h), to.begin());
    } else {
      for (int j = 0; j < arch.layer_width(h); ++j) {
        if (mask.unit(h, j) && intersects(forward.layer(g), mask.incoming(g, j))) {
          forward.set(h, j, true);
        }
      }
    }
    if (const int b = skips != nullptr ? skips->block_into(h) : -1; b >= 0) {
      const auto from = forward.layer(skips->tail(b));
      const auto skip = skips->kept(b);
      for (std::size_t w = 0; w < skip.size(); ++w)
        to[w] |= from[w] & skip[w] & kept.layer(h)[w];
    }
  }
  return forward;
}

// Kept units that reach the output through a kept edge or skip into a unit that does, from the
// output down.
UnitSet reaching_output(const Mask& mask, const SkipMask* skips) {
  const Architecture& arch = mask.architecture();
  const UnitSet& kept = mask.units();
  UnitSet backward(arch, false);
  std::ranges::copy(kept.layer(arch.output_layer()), backward.layer(arch.output_layer()).begin());
  for (int g = arch.gaps() - 1; g >= 0; --g) {
    auto into = backward.layer(g);
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      if (!backward.contains(g + 1, j)) continue;
      const auto row = mask.incoming(g, j);
      for (std::size_t w = 0; w < into.size(); ++w)
        into[w] |= row[w];
    }
    if (const int b = skips != nullptr ? skips->block_from(g) : -1; b >= 0) {
      const auto from = backward.layer(skips->head(b));
      const auto skip = skips->kept(b);
      for (std::size_t w = 0; w < skip.size(); ++w)
        into[w] |= from[w] & skip[w];
    }
    for (std::size_t w = 0; w < into.size(); ++w)
      into[w] &= kept.layer(g)[w];
  }
  return backward;
}

// Hidden units and weights on a directed input-output path: a unit in both sets; a weight
// i -> j kept with i reached and j reaching the output (then both ends are on the path).
void count_backbone(const Mask& mask, const UnitSet& forward, const UnitSet& backward,
                    std::int64_t& units, std::int64_t& weights) {
  const Architecture& arch = mask.architecture();
  for (int k = 1; k <= arch.depth(); ++k)
    units += common_count(forward.layer(k), backward.layer(k));
  for (int g = 0; g < arch.gaps(); ++g) {
    if (mask.all_edges_kept()) {
      weights += std::int64_t{forward.count(g)} * backward.count(g + 1);
      continue;
    }
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      if (backward.contains(g + 1, j))
        weights += common_count(forward.layer(g), mask.incoming(g, j));
    }
  }
}

}  // namespace

UnitSet forward_reachable(const Mask& mask) {
  return reached_from_input(mask, nullptr);
}

UnitSet backward_reachable(const Mask& mask) {
  return reaching_output(mask, nullptr);
}

bool directed_spanning(const Mask& mask) {
  const Architecture& arch = mask.architecture();
  if (mask.all_edges_kept()) {
    for (int k = 0; k < arch.layers(); ++k) {
      if (!mask.units().any(k)) return false;
    }
    return true;
  }
  // Only the current layer's reachable set is kept, and the search stops at the first empty one.
  std::vector<std::uint64_t> from(mask.units().layer(0).begin(), mask.units().layer(0).end());
  std::vector<std::uint64_t> to;
  for (int g = 0; g < arch.gaps(); ++g) {
    const int width = arch.layer_width(g + 1);
    to.assign(words_for(width), 0);
    bool any = false;
    for (int j = 0; j < width; ++j) {
      if (mask.unit(g + 1, j) && intersects(from, mask.incoming(g, j))) {
        to[j / 64] |= std::uint64_t{1} << (j % 64);
        any = true;
      }
    }
    if (!any) return false;
    from.swap(to);
  }
  return true;
}

int extinction_depth(std::span<const int> reachable) {
  const int output = static_cast<int>(reachable.size()) - 1;
  for (int k = 1; k < output; ++k) {
    if (reachable[k] == 0) return k;
  }
  return output;
}

Backbone backbone(const Mask& mask) {
  const Architecture& arch = mask.architecture();
  if (!mask.all_edges_kept()) {
    const Observation o = observe(mask, false);
    return {o.directed_spanning, o.backbone_units, o.backbone_weights};
  }
  // Every edge kept: the mask spans iff every layer keeps a unit, and then every kept unit and
  // every edge between kept units is on a path; otherwise nothing is.
  Backbone result;
  std::vector<int> kept(static_cast<std::size_t>(arch.layers()));
  for (int k = 0; k < arch.layers(); ++k) {
    kept[k] = mask.units().count(k);
    if (kept[k] == 0) return result;
  }
  result.directed_spanning = true;
  for (int k = 1; k <= arch.depth(); ++k)
    result.units += kept[k];
  for (int g = 0; g < arch.gaps(); ++g)
    result.weights += std::int64_t{kept[g]} * kept[g + 1];
  return result;
}

Backbone backbone(const Mask& mask, const SkipMask& skips) {
  Backbone result;
  const UnitSet forward = reached_from_input(mask, &skips);
  result.directed_spanning = forward.any(mask.architecture().output_layer());
  if (result.directed_spanning)
    count_backbone(mask, forward, reaching_output(mask, &skips), result.units, result.weights);
  return result;
}

Observation observe(const Mask& mask, bool undirected) {
  const Architecture& arch = mask.architecture();
  const UnitSet forward = forward_reachable(mask);
  const UnitSet backward = backward_reachable(mask);
  Observation result;
  for (int k = 0; k < arch.layers(); ++k)
    result.reachable.push_back(forward.count(k));
  result.directed_spanning = result.reachable.back() > 0;
  result.extinction_depth = extinction_depth(result.reachable);
  count_backbone(mask, forward, backward, result.backbone_units, result.backbone_weights);
  if (undirected) observe_clusters(mask, result);
  return result;
}

PathThresholds path_thresholds(const ElementThresholds& t) {
  const Architecture& arch = t.arch;
  PathThresholds result;
  result.forward.assign(static_cast<std::size_t>(arch.units()), -kInf);
  result.backward.assign(static_cast<std::size_t>(arch.units()), -kInf);
  const double* unit = t.units.data();
  double* forward = result.forward.data();
  double* backward = result.backward.data();

  // b(input) = its own threshold; b(j) = min(t_j, max_i min(b(i), t_ij)) (docs/theory.md §3).
  std::copy_n(unit, arch.input_width, forward);
  for (int g = 0; g < arch.gaps(); ++g) {
    const int tails = arch.layer_width(g);
    const double* b = forward + arch.unit_offset(g);
    const double best_tail = *std::max_element(b, b + tails);
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      double best = best_tail;
      if (!t.edges.empty()) {
        const double* edge = t.edges.data() + arch.gap_edge_offset(g) + std::int64_t{j} * tails;
        best = -kInf;
        for (int i = 0; i < tails; ++i)
          best = std::max(best, std::min(b[i], edge[i]));
      }
      const auto n = arch.unit_offset(g + 1) + j;
      forward[n] = std::min(unit[n], best);
    }
  }
  const auto output = arch.unit_offset(arch.output_layer());
  result.directed = *std::max_element(forward + output, forward + output + arch.output_width);

  // c(output) = its own threshold; c(i) = min(t_i, max_j min(t_ij, c(j))).
  std::copy_n(unit + output, arch.output_width, backward + output);
  std::vector<double> best;
  for (int g = arch.gaps() - 1; g >= 0; --g) {
    const int tails = arch.layer_width(g);
    const double* c = backward + arch.unit_offset(g + 1);
    best.assign(tails, -kInf);
    for (int j = 0; j < arch.layer_width(g + 1); ++j) {
      if (t.edges.empty()) {
        for (int i = 0; i < tails; ++i)
          best[i] = std::max(best[i], c[j]);
        continue;
      }
      const double* edge = t.edges.data() + arch.gap_edge_offset(g) + std::int64_t{j} * tails;
      for (int i = 0; i < tails; ++i)
        best[i] = std::max(best[i], std::min(edge[i], c[j]));
    }
    for (int i = 0; i < tails; ++i) {
      const auto n = arch.unit_offset(g) + i;
      backward[n] = std::min(unit[n], best[i]);
    }
  }
  return result;
}

double undirected_threshold(const ElementThresholds& thresholds) {
  return Sweep(thresholds).spanning_threshold();
}

namespace {

// The widest-path search of spanning_thresholds(): b[n] is the best bottleneck of a path found
// so far from the input to unit n (its own threshold included), raised by relaxing gaps.
class WidestPath {
 public:
  WidestPath(const Architecture& arch, const ScanLine& line, RandomStream& rng, double floor)
      : arch_(arch),
        line_(line),
        rng_(rng),
        start_(rng.position()),
        edges_at_(start_ + (drops_units(line.model) ? arch.hidden_units() : 0)),
        units_(unit_thresholds()),
        b_(units_.size(), -kInf),
        row_(static_cast<std::size_t>(arch.max_width())),
        floor_(drops_edges(line.model) ? floor : kInf) {}

  SpanningThresholds run(bool undirected) {
    for (int i = 0; i < arch_.input_width; ++i)
      b_[i] = units_[i];
    for (int g = 0; g < arch_.gaps(); ++g)
      relax_forward(g);
    const double directed = layer_max(arch_.output_layer());
    if (!undirected) return {directed, std::numeric_limits<double>::quiet_NaN()};
    return {directed, widest(directed)};
  }

 private:
  // The widest path by Dijkstra's search with max-min labels: units leave the queue in
  // decreasing order of their final value, so the first output unit to leave it holds the answer
  // (docs/theory.md §4). The directed threshold is a path's value, so the answer is at least
  // `directed`: only edges above it can raise it, labels at or below it are never queued, and an
  // empty queue means the answer is `directed` itself.
  double widest(double directed) {
    std::fill(b_.begin() + arch_.input_width, b_.end(), -kInf);
    std::priority_queue<std::pair<double, std::int64_t>> queue;
    for (std::int64_t i = 0; i < arch_.input_width; ++i) {
      if (b_[i] > directed) queue.push({b_[i], i});
    }
    // The edges listed during the forward pass hold every edge above D if its floor was at or
    // below D; else one more pass lists them.
    const Adjacency* wide =
        floor_ <= directed ? adjacency(listed_, directed) : edges_above(directed);
    const std::int64_t first_output = arch_.unit_offset(arch_.output_layer());
    while (!queue.empty()) {
      // Named, not structured bindings: the lambda below captures them (Clang 14 cannot).
      const double value = queue.top().first;
      const std::int64_t n = queue.top().second;
      queue.pop();
      if (value < b_[n]) continue;  // a stale entry
      if (n >= first_output) return value;
      auto offer = [&](std::int64_t m, double edge) {
        const double candidate = std::min({value, edge, units_[m]});
        if (candidate > b_[m] && candidate > directed) {
          b_[m] = candidate;
          queue.push({candidate, m});
        }
      };
      if (wide) {
        for (std::int64_t k = wide->start[n]; k < wide->start[n + 1]; ++k)
          offer(wide->to[k].first, wide->to[k].second);
      } else {
        draw_neighbours(n, offer);
      }
    }
    return directed;
  }

  struct Edge {
    std::int64_t tail, head;
    double value;
  };
  struct Adjacency {
    std::vector<std::int64_t> start;                  // unit n's edges: [start[n], start[n+1])
    std::vector<std::pair<std::int64_t, double>> to;  // (the other end, the edge's threshold)
    std::vector<std::int64_t> next;                   // where the next edge of each unit goes
  };
  // The listed edges and the adjacency, kept per thread from one call to the next: fresh pages
  // for every sample cost more than the search itself (docs/performance.md).
  struct Reused {
    std::vector<Edge> edges;
    Adjacency adjacency;
  };
  static Reused& reused() {
    thread_local Reused buffers;
    buffers.edges.clear();
    return buffers;
  }
  // The edges above `floor` whose ends are above it too, listed under both ends, from one more
  // run over the stream: in a sample near its threshold a small fraction of all edges. Null when
  // they are more than an eighth of the edges (or the model keeps every edge), so that memory
  // stays a fraction of what storing every edge would take.
  const Adjacency* edges_above(double floor) {
    if (!drops_edges(line_.model)) return nullptr;
    listed_.clear();
    rng_.seek(edges_at_);
    for (int g = 0; g < arch_.gaps(); ++g) {
      const ThresholdRule rule = edge_rule(line_, g);
      const std::int64_t tails = arch_.unit_offset(g), tail_count = arch_.layer_width(g);
      for (int j = 0; j < arch_.layer_width(g + 1); ++j) {
        const std::int64_t head = arch_.unit_offset(g + 1) + j;
        for (std::int64_t i = 0; i < tail_count; ++i)
          row_[i] = rule(rng_.uniform());
        for (std::int64_t i = 0; i < tail_count; ++i) {
          if (row_[i] > floor) [[unlikely]] {
            if (units_[head] <= floor || units_[tails + i] <= floor) continue;
            if (static_cast<std::int64_t>(listed_.size()) == cap_) return nullptr;
            listed_.push_back({tails + i, head, row_[i]});
          }
        }
      }
    }
    return adjacency(listed_, floor);
  }

  // The edges of `edges` above `floor`, with both ends above it, listed under both ends.
  const Adjacency* adjacency(const std::vector<Edge>& edges, double floor) {
    Adjacency& a = reused_.adjacency;
    a.start.assign(static_cast<std::size_t>(arch_.units()) + 1, 0);
    auto wide = [&](const Edge& e) {
      return e.value > floor && units_[e.tail] > floor && units_[e.head] > floor;
    };
    for (const Edge& e : edges) {
      if (!wide(e)) continue;
      ++a.start[e.tail + 1];
      ++a.start[e.head + 1];
    }
    std::partial_sum(a.start.begin(), a.start.end(), a.start.begin());
    a.to.resize(static_cast<std::size_t>(a.start.back()));
    a.next.assign(a.start.begin(), a.start.end() - 1);
    for (const Edge& e : edges) {
      if (!wide(e)) continue;
      a.to[a.next[e.tail]++] = {e.head, e.value};
      a.to[a.next[e.head]++] = {e.tail, e.value};
    }
    return &a;
  }

  // Offers every neighbour of unit n through its edge, drawn from the stream: the incoming row
  // in one run, the outgoing edges one by one.
  template <class Offer>
  void draw_neighbours(std::int64_t n, Offer& offer) {
    const bool drawn = drops_edges(line_.model);
    const int layer = layer_of(n);
    const int i = static_cast<int>(n - arch_.unit_offset(layer));
    if (layer > 0) {  // the incoming row of head i of gap layer - 1
      const int tails = arch_.layer_width(layer - 1);
      if (drawn) rng_.seek(edges_at_ + arch_.gap_edge_offset(layer - 1) + std::int64_t{i} * tails);
      const ThresholdRule rule = edge_rule(line_, layer - 1);
      for (int t = 0; t < tails; ++t)
        offer(arch_.unit_offset(layer - 1) + t, drawn ? rule(rng_.uniform()) : kInf);
    }
    const int tails = arch_.layer_width(layer);
    const ThresholdRule rule = edge_rule(line_, layer);
    for (int h = 0; h < arch_.layer_width(layer + 1); ++h) {  // outgoing, tail i of gap layer
      if (drawn) rng_.seek(edges_at_ + arch_.gap_edge_offset(layer) + std::int64_t{h} * tails + i);
      offer(arch_.unit_offset(layer + 1) + h, drawn ? rule(rng_.uniform()) : kInf);
    }
  }

  // The layer of unit n: the last layer whose first unit is at or before n.
  int layer_of(std::int64_t n) const {
    int low = 0, high = arch_.output_layer();
    while (low < high) {
      const int middle = low + (high - low + 1) / 2;
      if (arch_.unit_offset(middle) <= n) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return low;
  }

  // element_thresholds' unit thresholds: inputs by the input dropout, hidden units by the line,
  // outputs kept.
  std::vector<double> unit_thresholds() {
    std::vector<double> t(static_cast<std::size_t>(arch_.units()), kInf);
    if (drops_units(line_.model)) {
      rng_.seek(start_);
      for (int k = 1; k <= arch_.depth(); ++k) {
        const ThresholdRule rule = unit_rule(line_, k);
        double* layer = t.data() + arch_.unit_offset(k);
        for (int i = 0; i < arch_.layer_width(k); ++i)
          layer[i] = rule(rng_.uniform());
      }
    }
    if (line_.fixed_p_input > 0.0) {
      rng_.seek(edges_at_ + (drops_edges(line_.model) ? arch_.edges() : 0));
      const ThresholdRule rule = unit_rule(line_, 0);
      for (int i = 0; i < arch_.input_width; ++i)
        t[i] = rule(rng_.uniform());
    }
    return t;
  }

  double layer_max(int layer) const {
    const double* v = b_.data() + arch_.unit_offset(layer);
    return *std::max_element(v, v + arch_.layer_width(layer));
  }
  // The best directed path to each unit of layer g + 1 through gap g (path_thresholds' forward
  // recursion, docs/theory.md §3), the gap's uniforms drawn in one run of the stream.
  void relax_forward(int g) {
    const int tails = arch_.layer_width(g), heads = arch_.layer_width(g + 1);
    const bool drawn = drops_edges(line_.model);
    const ThresholdRule rule = edge_rule(line_, g);
    if (drawn) rng_.seek(edges_at_ + arch_.gap_edge_offset(g));
    const double* tail = b_.data() + arch_.unit_offset(g);
    double* head = b_.data() + arch_.unit_offset(g + 1);
    const double* head_t = units_.data() + arch_.unit_offset(g + 1);
    for (int j = 0; j < heads; ++j) {
      double best = -kInf;
      for (int i = 0; i < tails; ++i) {
        row_[i] = drawn ? rule(rng_.uniform()) : kInf;
        best = std::max(best, std::min(tail[i], row_[i]));
      }
      head[j] = std::min(best, head_t[j]);
      // Apart from the draws, so that the stream's state stays in registers there.
      for (int i = 0; i < tails; ++i) {
        if (row_[i] > floor_) [[unlikely]]
          list({arch_.unit_offset(g) + i, arch_.unit_offset(g + 1) + j, row_[i]});
      }
    }
  }

  // Keeps an edge above the floor for the widest-path search; more than an eighth of the edges
  // and listing stops (the floor was too low to save anything).
  void list(const Edge& e) {
    if (units_[e.tail] <= floor_ || units_[e.head] <= floor_) return;
    if (static_cast<std::int64_t>(listed_.size()) < cap_) {
      listed_.push_back(e);
    } else {
      floor_ = kInf;
      listed_.clear();
    }
  }

  const Architecture& arch_;
  const ScanLine& line_;
  RandomStream& rng_;
  std::uint64_t start_, edges_at_;
  std::vector<double> units_, b_, row_;   // row_: one head's incoming edges
  double floor_;                          // edges above it are listed during the forward pass
  std::int64_t cap_ = arch_.edges() / 8;  // listing stops beyond it
  Reused& reused_ = reused();
  std::vector<Edge>& listed_ = reused_.edges;
};

}  // namespace

SpanningThresholds spanning_thresholds(const Architecture& arch, const ScanLine& line,
                                       RandomStream& rng, bool undirected, double floor) {
  return WidestPath(arch, line, rng, undirected ? floor : kInf).run(undirected);
}

std::vector<Observation> observe_on_grid(const ElementThresholds& t, std::span<const double> grid,
                                         bool undirected) {
  assert(std::is_sorted(grid.begin(), grid.end()));
  const Architecture& arch = t.arch;
  const std::size_t points = grid.size();
  const PathThresholds path = path_thresholds(t);
  std::vector<Observation> result(points);
  CountAbove count(grid);

  for (std::size_t k = 0; k < points; ++k)
    result[k].directed_spanning = grid[k] < path.directed;

  // Reachable units of layer l at p: forward > p.
  for (int l = 0; l < arch.layers(); ++l) {
    const double* b = path.forward.data() + arch.unit_offset(l);
    for (int i = 0; i < arch.layer_width(l); ++i)
      count.add(b[i]);
    const auto reachable = count.take();
    for (std::size_t k = 0; k < points; ++k) {
      result[k].reachable.push_back(static_cast<int>(reachable[k]));
    }
  }
  // Extinction depth at p: 1 + the number of leading hidden layers with a reachable unit,
  // i.e. 1 + #{l in 1..L : min over layers 1..l of (max forward in the layer) > p}.
  double running = kInf;
  for (int l = 1; l <= arch.depth(); ++l) {
    const double* b = path.forward.data() + arch.unit_offset(l);
    running = std::min(running, *std::max_element(b, b + arch.layer_width(l)));
    count.add(running);
  }
  const auto alive = count.take();
  for (std::size_t k = 0; k < points; ++k) {
    result[k].extinction_depth = 1 + static_cast<int>(alive[k]);
  }

  // Backbone unit at p: forward > p and backward > p.
  auto on_path = [&](std::int64_t n) { return std::min(path.forward[n], path.backward[n]); };
  for (std::int64_t n = arch.unit_offset(1); n < arch.unit_offset(arch.output_layer()); ++n) {
    count.add(on_path(n));
  }
  const auto units = count.take();
  // Backbone edge i -> j at p: min(forward(i), t_ij, backward(j)) > p. With every edge kept
  // that factorises: (#tails with forward > p) x (#heads with backward > p).
  std::vector<std::int64_t> weights(points, 0);
  for (int g = 0; g < arch.gaps(); ++g) {
    const double* b = path.forward.data() + arch.unit_offset(g);
    const double* c = path.backward.data() + arch.unit_offset(g + 1);
    const int tails = arch.layer_width(g);
    const int heads = arch.layer_width(g + 1);
    if (t.edges.empty()) {
      for (int i = 0; i < tails; ++i)
        count.add(b[i]);
      const auto tail_counts = count.take();
      for (int j = 0; j < heads; ++j)
        count.add(c[j]);
      const auto head_counts = count.take();
      for (std::size_t k = 0; k < points; ++k)
        weights[k] += tail_counts[k] * head_counts[k];
      continue;
    }
    const double* edge = t.edges.data() + arch.gap_edge_offset(g);
    for (int j = 0; j < heads; ++j) {
      for (int i = 0; i < tails; ++i)
        count.add(std::min({b[i], edge[j * tails + i], c[j]}));
    }
    const auto gap_counts = count.take();
    for (std::size_t k = 0; k < points; ++k)
      weights[k] += gap_counts[k];
  }
  for (std::size_t k = 0; k < points; ++k) {
    result[k].backbone_units = units[k];
    result[k].backbone_weights = weights[k];
  }

  if (undirected) {
    Sweep sweep(t);
    for (std::size_t k = points; k-- > 0;) {
      sweep.advance_past(grid[k]);
      result[k].undirected_spanning = sweep.clusters().spanning();
      result[k].largest_cluster = sweep.clusters().largest();
      result[k].mean_other_cluster_size = sweep.clusters().mean_other_size();
    }
  }
  return result;
}

double directed_threshold(const Architecture& arch, DropoutModel model, RandomStream& rng) {
  // Hidden-unit thresholds come first in the canonical order (+inf when units are not dropped).
  std::vector<double> unit(static_cast<std::size_t>(arch.hidden_units()), kInf);
  if (drops_units(model)) {
    for (double& u : unit)
      u = rng.uniform();
  }
  if (!drops_edges(model)) {
    // Site: p* = min over hidden layers of the max over the layer's units (docs/theory.md §2).
    double threshold = kInf;
    for (int l = 1; l <= arch.depth(); ++l) {
      const auto layer = unit.begin() + (arch.unit_offset(l) - arch.input_width);
      threshold = std::min(threshold, *std::max_element(layer, layer + arch.layer_width(l)));
    }
    return threshold;
  }
  // Bottleneck path (docs/theory.md §3), one layer of b at a time; a row of uniforms is drawn
  // before it is used so that the min/max loop vectorises.
  std::vector<double> b(arch.input_width, kInf);
  std::vector<double> next;
  std::vector<double> row;
  for (int g = 0; g < arch.gaps(); ++g) {
    const int tails = arch.layer_width(g);
    const int heads = arch.layer_width(g + 1);
    next.assign(heads, -kInf);
    row.resize(tails);
    const auto head_units = unit.begin() + (arch.unit_offset(g + 1) - arch.input_width);
    for (int j = 0; j < heads; ++j) {
      for (double& u : row)
        u = rng.uniform();
      double best = -kInf;
      for (int i = 0; i < tails; ++i)
        best = std::max(best, std::min(b[i], row[i]));
      next[j] = arch.is_hidden(g + 1) ? std::min(head_units[j], best) : best;
    }
    b.swap(next);
  }
  return *std::max_element(b.begin(), b.end());
}

}  // namespace dropperc
