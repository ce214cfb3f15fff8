#include "dropperc/unit.hpp"

#include <algorithm>
#include <chrono>
#include <queue>
#include <string>
#include <utility>

#include "dropperc/lattice.hpp"

namespace dropperc {

namespace {

SamplingPlan plan_for(const JobSpec& job, const Task& task) {
  const PercolationSpec& spec = *job.percolation;
  SamplingPlan plan;
  plan.arch = task.arch;
  plan.line = ScanLine::of(task.model);
  plan.grid = {task.p};
  plan.method = spec.method;
  plan.samples = spec.samples;
  plan.seed = job.seed;
  plan.stream = name_stream(task.name);
  plan.undirected = spec.undirected;
  return plan;
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::optional<UnitResult> train_replica(const UnitContext& c, std::int64_t index,
                                        const UnitControl& control,
                                        std::optional<TrainingState<float>> resume) {
  const TrainingConfig config = replica_config(*c.job, *c.task, *c.data, index);
  Trainer<float> trainer = resume ? Trainer<float>(config, *c.data, std::move(*resume))
                                  : Trainer<float>(config, *c.data);
  const auto clock = control.clock ? control.clock : std::function<double()>(seconds_now);
  double saved_at = clock();
  while (!trainer.done()) {
    trainer.run([](const Evaluation&) {}, 1);
    if (control.stop()) {
      control.checkpoint(trainer.state());
      return std::nullopt;
    }
    if (clock() - saved_at >= control.interval && !trainer.done()) {
      control.checkpoint(trainer.state());
      saved_at = clock();
    }
  }
  return TrainingReplica{trainer.state()};
}

// The samples of a block task and its samples per unit: the lattice's or the percolation's.
std::pair<std::int64_t, std::int64_t> samples_and_block(const JobSpec& job, const Task& task) {
  if (task.kind == TaskKind::lattice) return {job.lattice->samples, job.lattice->block};
  return {job.percolation->samples, job.percolation->block};
}

// Cost model of unit_cost (see there), in nanoseconds.
double training_ns(const JobSpec& job, const Task& task) {
  const TrainingSpec& t = *job.training;
  const auto edges = static_cast<double>(task.arch.edges());
  const auto units = static_cast<double>(task.arch.units());
  // Per-sample DropConnect masks cost a kept-weight loop; otherwise GEMMs over every weight.
  const double per_edge =
      drops_edges(task.model) && !t.shared_mask ? 0.3 + 2.5 * (1.0 - task.p) : 0.3;
  return static_cast<double>(t.steps) * t.batch * (edges * per_edge + 15.0 * units);
}

double network_sample_ns(const JobSpec& job, const Task& task) {
  const auto edges = static_cast<double>(task.arch.edges());
  const auto units = static_cast<double>(task.arch.units());
  const bool bond = drops_edges(task.model);
  const PercolationSpec& p = *job.percolation;
  // Undirected spanning from thresholds sorts every edge of the sample (Newman-Ziff).
  const bool sorted =
      p.undirected && (task.kind == TaskKind::thresholds || p.method == Method::thresholds);
  // Thresholds of site+bond come from coupled uniforms even with the fast method
  // (sample_thresholds).
  const bool fast = p.method == Method::fast &&
                    !(task.kind == TaskKind::thresholds && task.model == DropoutModel::site_bond);
  double per_sample = 0.0;
  if (fast) {
    per_sample = (bond ? 20.0 : 2.0) * units;
  } else if (task.kind == TaskKind::thresholds || p.method == Method::thresholds) {
    per_sample = bond ? 10.0 * edges : 35.0 * units;
  } else {
    per_sample = bond ? (p.undirected ? 7.0 : 5.0) * edges : 12.0 * units;
  }
  if (sorted) per_sample += 70.0 * edges;
  return per_sample;
}

// A Newman-Ziff sweep over every element of the lattice: bucket sort and union-find. Measured
// with `dropperc run` at L = 32..512: 22-27 ns per bond, 28-32 per site (an occupied site looks
// at four neighbours, a bond at two ends).
double lattice_sample_ns(const Task& task) {
  const double per_element = task.lattice_model == LatticeModel::bond ? 25.0 : 30.0;
  return per_element * static_cast<double>(lattice_elements(task.lattice_model, task.lattice_size));
}

}  // namespace

std::uint64_t name_stream(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : name)
    hash = (hash ^ c) * 1099511628211ull;
  return (hash ^ (hash >> 46)) & ((std::uint64_t{1} << 46) - 1);
}

std::pair<std::int64_t, std::int64_t> block_range(const JobSpec& job, const Task& task,
                                                  std::int64_t index) {
  const auto [samples, block] = samples_and_block(job, task);
  const std::int64_t first = index * block;
  return {first, std::min(samples, first + block)};
}

TrainingConfig replica_config(const JobSpec& job, const Task& task, const DataSplit& data,
                              std::int64_t index) {
  const TrainingSpec& spec = *job.training;
  TrainingConfig c;
  c.network.arch = {data.train.features(), task.arch.width, task.arch.depth, data.train.outputs()};
  c.network.activation = task.activation;
  c.network.bias = task.bias;
  c.network.initialisation = spec.initialisation;
  c.dropout = Dropout::of(task.model, task.p);
  c.shared_mask = spec.shared_mask;
  c.steps = spec.steps;
  c.batch = spec.batch;
  c.learning_rate = spec.learning_rate;
  c.momentum = spec.momentum;
  c.eval_interval = spec.eval_interval;
  c.target_loss = spec.target_loss;
  c.seed = job.seed;
  c.stream = name_stream(task.name + "#" + std::to_string(index));
  return c;
}

std::optional<UnitResult> run_unit(const UnitContext& c, std::int64_t index,
                                   const UnitControl& control,
                                   std::optional<TrainingState<float>> resume) {
  const Task& task = *c.task;
  if (task.kind == TaskKind::training) return train_replica(c, index, control, std::move(resume));
  const auto [first, last] = block_range(*c.job, task, index);
  if (task.kind == TaskKind::lattice) {
    return LatticeBlock{first, last,
                        spanning_thresholds(task.lattice_model, task.lattice_size, c.job->seed,
                                            name_stream(task.name), first, last)};
  }
  const SamplingPlan plan = plan_for(*c.job, task);
  if (task.kind == TaskKind::percolation) {
    return PercolationBlock{first, last, run_sampling(plan, first, last).front()};
  }
  SampleThresholds t = sample_thresholds(plan, first, last);
  return ThresholdBlock{first, last, std::move(t.directed), std::move(t.undirected)};
}

double unit_cost(const JobSpec& job, const Task& task, std::int64_t index) {
  // Nanoseconds per sample (or per training example and step) on the development machine, fitted to
  // the per-unit times that bench/scheduling.sh prints (docs/performance.md, "Scheduling"); good to
  // a factor of about 2, which is what largest-first ordering and time estimates need.
  if (task.kind == TaskKind::training) return 1e-9 * training_ns(job, task);
  const auto [first, last] = block_range(job, task, index);
  const double per_sample =
      task.kind == TaskKind::lattice ? lattice_sample_ns(task) : network_sample_ns(job, task);
  return 1e-9 * static_cast<double>(last - first) * per_sample;
}

std::vector<std::vector<std::int64_t>> slice_owners(const JobSpec& job,
                                                    const std::vector<Task>& tasks,
                                                    std::int64_t count) {
  struct Weighted {
    double cost;
    std::size_t task;
    std::int64_t index;
  };
  std::vector<Weighted> units;
  std::vector<std::vector<std::int64_t>> owners(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    owners[t].resize(static_cast<std::size_t>(tasks[t].units));
    for (std::int64_t u = 0; u < tasks[t].units; ++u)
      units.push_back({unit_cost(job, tasks[t], u), t, u});
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const Weighted& a, const Weighted& b) { return a.cost > b.cost; });
  // (cost so far, slice): the top is the least loaded slice, the lowest index among equals.
  using Load = std::pair<double, std::int64_t>;
  std::priority_queue<Load, std::vector<Load>, std::greater<>> loads;
  for (std::int64_t k = 0; k < count; ++k)
    loads.push({0.0, k});
  for (const Weighted& w : units) {
    auto [cost, slice] = loads.top();
    loads.pop();
    owners[w.task][static_cast<std::size_t>(w.index)] = slice;
    loads.push({cost + w.cost, slice});
  }
  return owners;
}

}  // namespace dropperc
