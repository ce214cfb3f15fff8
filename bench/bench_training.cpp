// Training throughput of dropperc (docs/performance.md, "Training"): samples per second of full
// SGD steps (batch gathering, mask drawing, instrumentation, forward, backward, update) on the
// comparison network W_in = 64 -> 4 hidden layers of width W -> W_out = 10, batch 64, relu,
// cross-entropy, float32, one thread. bench/torch_training.py measures PyTorch on the same task.
//
//   training/<model>/<W>/<instrumented>   model 0 = site p = 0.5, 1 = per-sample DropConnect p =
//   0.5 gemm_peak/<n>                          Eigen's float GEMM n x n times n x n, the machine's
//   peak
//
// Counters: samples_per_second, and gflops (useful floating-point work of the step: forward
// 2 n_in n_out, weight gradient 2 n_in n_out, back-propagation 2 n_in n_out except into the input,
// per sample and gap), which against gemm_peak says how much of the core the step uses.

#include <benchmark/benchmark.h>

#include "dropperc/training/training.hpp"

namespace dropperc {
namespace {

constexpr int kInputs = 64;
constexpr int kClasses = 10;
constexpr int kDepth = 4;
constexpr int kBatch = 64;

double useful_flops_per_sample(const Architecture& arch) {
  double flops = 0.0;
  for (int g = 0; g < arch.gaps(); ++g) {
    flops += (g == 0 ? 4.0 : 6.0) * static_cast<double>(arch.gap_edges(g));
  }
  return flops;
}

const DataSplit& data() {
  static const DataSplit split =
      teacher_student({LearningTask::classification, kInputs, kClasses, 32, 1, 8192, 64, 0.0}, 1);
  return split;
}

void training(benchmark::State& state) {
  const auto model = state.range(0) == 0 ? DropoutModel::site : DropoutModel::bond;
  const Architecture arch{kInputs, static_cast<int>(state.range(1)), kDepth, kClasses};
  TrainingConfig config;
  config.network = {arch, Activation::relu, false, Initialisation::he};
  config.dropout = Dropout::of(model, 0.5);
  config.instrument = state.range(2) != 0;
  config.steps = std::int64_t{1} << 40;
  config.batch = kBatch;
  config.learning_rate = 0.01;
  set_threads(1);
  Trainer<float> trainer(config, data());
  for (auto _ : state)
    benchmark::DoNotOptimize(trainer.step());
  const double samples = static_cast<double>(state.iterations()) * kBatch;
  state.counters["samples_per_second"] = benchmark::Counter(samples, benchmark::Counter::kIsRate);
  state.counters["gflops"] = benchmark::Counter(samples * useful_flops_per_sample(arch) * 1e-9,
                                                benchmark::Counter::kIsRate);
}

void gemm_peak(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  set_threads(1);
  const Matrix<float> a = Matrix<float>::Random(n, n), b = Matrix<float>::Random(n, n);
  Matrix<float> c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["gflops"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * static_cast<double>(n * n * n) * 1e-9,
      benchmark::Counter::kIsRate);
}

BENCHMARK(training)
    ->ArgNames({"model", "W", "instrumented"})
    ->Args({0, 32, 1})
    ->Args({0, 128, 1})
    ->Args({0, 128, 0})
    ->Args({0, 512, 1})
    ->Args({1, 32, 1})
    ->Args({1, 128, 1})
    ->Args({1, 128, 0})
    ->Args({1, 512, 1})
    ->MinTime(1.0);
BENCHMARK(gemm_peak)->Arg(512)->Arg(1024)->MinTime(1.0);

}  // namespace
}  // namespace dropperc

BENCHMARK_MAIN();
