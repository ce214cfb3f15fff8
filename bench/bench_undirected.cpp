// Undirected spanning thresholds of one bond sample on Architecture::uniform(64, 4096)
// (W_in = W = W_out = 64, L = 4096, 16.8 M edges), what a thresholds task computes per sample
// with undirected = true (docs/performance.md, "Undirected thresholds"):
//   undirected_sorted: every uniform stored, element thresholds built, every edge sorted and
//                      added in decreasing threshold with union-find (undirected_threshold);
//   undirected_widest: spanning_thresholds: the forward pass (directed threshold D), listing
//                      the edges above a guess at a lower bound of D, and Dijkstra's widest-path
//                      search on the edges above D (docs/theory.md §4);
//   bound_uniform_per_edge: one uniform per edge and nothing else, the floor under any method
//                      that looks at every edge.
// Goals: widest >= 20 x sorted, and widest within 3 x the bound, in samples per second. Both
// methods report threshold_mean, the mean undirected threshold over their samples: over the
// first 4 samples they agree to all digits (they compute the same bits, which
// Percolation.WidestPathThresholdsEqualTheStoredOnes tests).

#include <algorithm>
#include <cstdint>
#include <limits>

#include <benchmark/benchmark.h>

#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

const Architecture kArch = Architecture::uniform(64, 4096);
const ScanLine kLine = ScanLine::of(DropoutModel::bond);
constexpr std::uint64_t kSeed = 0x5eed'0d1e;

void report(benchmark::State& state, double threshold_sum) {
  const auto samples = static_cast<double>(state.iterations());
  state.counters["samples_per_second"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
  state.counters["threshold_mean"] = threshold_sum / samples;
}

void undirected_sorted(benchmark::State& state) {
  std::uint64_t sample = 0;
  double sum = 0.0;
  for (auto _ : state) {
    RandomStream rng({kSeed, 1, sample++, 0});
    sum += undirected_threshold(element_thresholds(kArch, draw_uniforms(kArch, kLine, rng), kLine));
  }
  report(state, sum);
}

// As sample_thresholds calls it: each sample's floor guess is the previous sample's directed
// threshold less its distance to 1 (the first sample of the run has none, and makes a second
// pass over its stream).
void undirected_widest(benchmark::State& state) {
  std::uint64_t sample = 0;
  double sum = 0.0, floor = std::numeric_limits<double>::infinity();
  for (auto _ : state) {
    RandomStream rng({kSeed, 1, sample++, 0});
    const SpanningThresholds t = spanning_thresholds(kArch, kLine, rng, true, floor);
    sum += t.undirected;
    floor = t.directed - (1.0 - t.directed);
  }
  report(state, sum);
}

// For information: the first forward pass alone (the directed threshold), one uniform per edge.
void directed_pass(benchmark::State& state) {
  std::uint64_t sample = 0;
  double sum = 0.0;
  for (auto _ : state) {
    RandomStream rng({kSeed, 1, sample++, 0});
    sum += spanning_thresholds(kArch, kLine, rng, false).directed;
  }
  report(state, sum);
}

void bound_uniform_per_edge(benchmark::State& state) {
  std::uint64_t sample = 0;
  double sum = 0.0;
  for (auto _ : state) {
    RandomStream rng({kSeed, 2, sample++, 0});
    double largest = 0.0;
    for (std::int64_t e = 0; e < kArch.edges(); ++e)
      largest = std::max(largest, rng.uniform());
    benchmark::DoNotOptimize(largest);
    sum += largest;
  }
  report(state, sum);
}

// About 4 s a sample sorted; the widest path runs 16 samples, as a thresholds block runs many:
// its first two pay for fresh pages and for the missing floor guess.
BENCHMARK(undirected_sorted)->Iterations(4)->Unit(benchmark::kMillisecond);
BENCHMARK(undirected_widest)->Iterations(16)->Unit(benchmark::kMillisecond);
BENCHMARK(directed_pass)->Iterations(8)->Unit(benchmark::kMillisecond);
BENCHMARK(bound_uniform_per_edge)->MinTime(1.0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dropperc

BENCHMARK_MAIN();
