// How fast each method of sampling.hpp produces theta(p) curves (docs/performance.md).
//
// Setting: the bond model on Architecture::uniform(64, 64) (W_in = W = W_out = 64, L = 64,
// 266240 edges) and a grid of 101 equally spaced p in [0, 1]. One benchmark iteration is one
// *curve*: one sample's contribution to theta(p_k) at every grid point. The rate counter
// curves_per_second is what docs/performance.md compares:
//   (a) bond_masks_per_p:   a fresh mask at each of the 101 p, each searched for a path;
//   (b) bond_thresholds:    the sample's directed threshold p* from one uniform per edge;
//   (c) bond_fast:          p* from the exact sampler without per-edge randomness;
//   bound_uniform_per_edge: one uniform per edge from RandomStream and nothing else, the
//                           floor under any method that draws every edge, so (b) is judged
//                           against it.
// Goals: (c) >= 1000 x (a), and (b) >= bound / 2, both in curves per second.
//
// Every iteration builds fresh RandomStreams keyed by an incrementing sample index, as a real
// run does, so nothing is reused between curves. Each benchmark has its own stream tag, and
// starts from sample 0 on every run, so runs repeat the same work. Timing is CPU time.
//
// Besides the rate, each benchmark reports words_per_curve (Philox words drawn per curve) and,
// where it produces a curve, theta_mean: the mean of the estimated theta over the grid. The bond
// methods must agree on it within noise; that shows the three do the same job and that the compiler
// did not drop the work.

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>

#include <Random123/philox.h>
#include <benchmark/benchmark.h>

#include "dropperc/core/fast_sampler.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

constexpr int kWidth = 64;
constexpr int kDepth = 64;
constexpr std::size_t kGridPoints = 101;
constexpr std::uint64_t kSeed = 0x5eed'd20f;

// Stream tags: no two benchmarks draw the same words.
enum class Tag : std::uint64_t {
  bond_masks = 1,
  bond_thresholds,
  bond_fast,
  bound,
  bound_raw,
  site_thresholds,
  site_fast,
};

const Architecture kArch = Architecture::uniform(kWidth, kDepth);

using Grid = std::array<double, kGridPoints>;

// p_k = k / 100, k = 0..100.
const Grid kGrid = [] {
  Grid grid{};
  for (std::size_t k = 0; k < kGridPoints; ++k) {
    grid[k] = static_cast<double>(k) / static_cast<double>(kGridPoints - 1);
  }
  return grid;
}();

StreamKey key(Tag tag, std::uint64_t sample, std::uint64_t sub = 0) {
  return {kSeed, static_cast<std::uint64_t>(tag), sample, sub};
}

// Accumulates theta on the grid from per-sample thresholds: a sample spans at p_k iff
// p_k < p*, i.e. at the first lower_bound(p*) grid points. So each sample costs one
// O(log P) search and one increment; the curve is a suffix sum, formed once at the end.
class ThresholdHistogram {
 public:
  void add(double threshold) {
    ++ends_[static_cast<std::size_t>(std::lower_bound(kGrid.begin(), kGrid.end(), threshold) -
                                     kGrid.begin())];
  }
  // Number of samples spanning at each grid point.
  std::array<std::int64_t, kGridPoints> spans() const {
    std::array<std::int64_t, kGridPoints> counts{};
    std::int64_t above = ends_[kGridPoints];
    for (std::size_t k = kGridPoints; k-- > 0;) {
      counts[k] = above;
      above += ends_[k];
    }
    return counts;
  }

 private:
  std::array<std::int64_t, kGridPoints + 1> ends_{};  // ends_[j]: samples spanning at p_0..p_{j-1}
};

// The counters every benchmark reports. `words` is the total drawn over all iterations.
void report(benchmark::State& state, std::uint64_t words) {
  const auto curves = static_cast<double>(state.iterations());
  state.counters["curves_per_second"] = benchmark::Counter(curves, benchmark::Counter::kIsRate);
  state.counters["words_per_curve"] = static_cast<double>(words) / curves;
}

void report_theta(benchmark::State& state, const std::array<std::int64_t, kGridPoints>& spans) {
  const std::int64_t total = std::accumulate(spans.begin(), spans.end(), std::int64_t{0});
  state.counters["theta_mean"] =
      static_cast<double>(total) /
      (static_cast<double>(kGridPoints) * static_cast<double>(state.iterations()));
}

// (a) For each p_k its own mask from its own stream (sub = k), then the bitset search
// directed_spanning(). Cost: 101 x 266240 Philox words and keep tests, plus the searches.
void bond_masks_per_p(benchmark::State& state) {
  std::array<Dropout, kGridPoints> dropouts{};
  for (std::size_t k = 0; k < kGridPoints; ++k) {
    dropouts[k] = Dropout::of(DropoutModel::bond, kGrid[k]);
  }
  std::array<std::int64_t, kGridPoints> spans{};
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    for (std::size_t k = 0; k < kGridPoints; ++k) {
      RandomStream rng(key(Tag::bond_masks, sample, k));
      const Mask mask = Mask::draw(kArch, dropouts[k], rng);
      spans[k] += directed_spanning(mask) ? 1 : 0;
      words += rng.position();
    }
    benchmark::DoNotOptimize(spans.data());
    ++sample;
  }
  report(state, words);
  report_theta(state, spans);
}

// (b) and the site analogue: the streaming per-sample threshold directed_threshold() (one
// uniform per random element, O(1) work each), then one histogram update.
void thresholds(benchmark::State& state, DropoutModel model, Tag tag) {
  ThresholdHistogram histogram;
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    RandomStream rng(key(tag, sample++));
    const double threshold = directed_threshold(kArch, model, rng);
    benchmark::DoNotOptimize(threshold);
    histogram.add(threshold);
    words += rng.position();
  }
  report(state, words);
  report_theta(state, histogram.spans());
}

void bond_thresholds(benchmark::State& state) {
  thresholds(state, DropoutModel::bond, Tag::bond_thresholds);
}

void site_thresholds(benchmark::State& state) {
  thresholds(state, DropoutModel::site, Tag::site_thresholds);
}

// (c) The exact sampler of docs/theory.md §7.2: L W + 1 sorted exponentials, no per-edge draws.
void bond_fast(benchmark::State& state) {
  ThresholdHistogram histogram;
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    RandomStream rng(key(Tag::bond_fast, sample++));
    const double threshold = fast_bond_threshold(kArch, rng);
    benchmark::DoNotOptimize(threshold);
    histogram.add(threshold);
    words += rng.position();
  }
  report(state, words);
  report_theta(state, histogram.spans());
}

// Site analogue of (c), docs/theory.md §7.1: L uniforms per sample.
void site_fast(benchmark::State& state) {
  ThresholdHistogram histogram;
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    RandomStream rng(key(Tag::site_fast, sample++));
    const ExtinctionThresholds result = fast_site_thresholds(kArch, rng);
    benchmark::DoNotOptimize(result.directed);
    histogram.add(result.directed);
    words += rng.position();
  }
  report(state, words);
  report_theta(state, histogram.spans());
}

// The bound for (b): arch.edges() uniforms from RandomStream::uniform(), folded into a running
// max so the draws cannot be optimised away. Nothing else: no storage, no path logic.
void bound_uniform_per_edge(benchmark::State& state) {
  const std::int64_t edges = kArch.edges();
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    RandomStream rng(key(Tag::bound, sample++));
    double largest = 0.0;
    for (std::int64_t e = 0; e < edges; ++e)
      largest = std::max(largest, rng.uniform());
    benchmark::DoNotOptimize(largest);
    words += rng.position();
  }
  report(state, words);
}

// For information: the same uniforms straight from r123::Philox4x64, four per call, without
// RandomStream's buffer. The gap to bound_uniform_per_edge is the stream wrapper's overhead.
void bound_raw_philox(benchmark::State& state) {
  using Philox = r123::Philox4x64;
  const std::int64_t edges = kArch.edges();
  const Philox::key_type philox_key = {{kSeed, static_cast<std::uint64_t>(Tag::bound_raw)}};
  const Philox philox;
  std::uint64_t sample = 0;
  std::uint64_t words = 0;
  for (auto _ : state) {
    double largest = 0.0;
    const auto blocks = static_cast<std::uint64_t>((edges + 3) / 4);
    for (std::uint64_t block = 0; block < blocks; ++block) {
      const Philox::ctr_type out = philox({{block, sample, 0, 0}}, philox_key);
      for (std::uint64_t word : out)
        largest = std::max(largest, to_uniform(word));
    }
    benchmark::DoNotOptimize(largest);
    words += 4 * blocks;
    ++sample;
  }
  report(state, words);
}

// Minimum times: (a) takes about 0.2 s a curve, so it gets 3 s (about 15 curves); the others
// take at most 1 ms a curve, so 0.5-1 s averages over hundreds of curves or more. The whole
// program runs in about 12-15 s per repetition.
BENCHMARK(bound_uniform_per_edge)->MinTime(1.0);
BENCHMARK(bound_raw_philox)->MinTime(0.5);
BENCHMARK(bond_masks_per_p)->MinTime(3.0);
BENCHMARK(bond_thresholds)->MinTime(1.0);
BENCHMARK(bond_fast)->MinTime(1.0);
BENCHMARK(site_thresholds)->MinTime(0.5);
BENCHMARK(site_fast)->MinTime(0.5);

}  // namespace
}  // namespace dropperc

BENCHMARK_MAIN();
