// Directed percolation from one seed through local layers (core/local_percolation): the full
// streamed pass against the pass pruned above a floor, bond, K = 2 periodic (the directed square
// lattice), W = 4096, L = 10^4, near its threshold p_c = 0.3553 (docs/performance.md).
//
//   build/release/bench/bench_local --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include "dropperc/core/local_percolation.hpp"

namespace {

using namespace dropperc;

const Architecture kArch{1, 4096, 10000, 4096};
const Topology kLattice = Topology::local(2, Boundary::periodic);

// One sample per iteration; the counter reports nanoseconds per edge of the whole network.
void run(benchmark::State& state, double floor) {
  const ScanLine line = ScanLine::of(DropoutModel::bond);
  const LocalLayers layers(kArch, kLattice, line);
  std::uint64_t sample = 0;
  for (auto _ : state) {
    const RandomStream rng({1, 2, sample++, 0});
    benchmark::DoNotOptimize(layers.thresholds(rng, floor));
  }
  const double edges = 2.0 * 4096 * 10001;
  state.counters["ns_per_edge"] = benchmark::Counter(
      edges * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}

void BM_LayerThresholdsFull(benchmark::State& state) {
  run(state, -std::numeric_limits<double>::infinity());
}
void BM_LayerThresholdsAboveFloor(benchmark::State& state) {
  run(state, static_cast<double>(state.range(0)) / 1000.0);
}

BENCHMARK(BM_LayerThresholdsFull)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayerThresholdsAboveFloor)->Arg(340)->Arg(355)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
