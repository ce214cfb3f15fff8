#include "network_blocks.hpp"

#include "blocks.hpp"

#include "dropperc/core/budget.hpp"
#include "dropperc/core/local_percolation.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc::kinds {

SamplingPlan plan_for(const JobSpec& job, const Task& task) {
  const PercolationSpec& spec = *job.percolation;
  SamplingPlan plan;
  plan.arch = task.arch;
  plan.line = ScanLine::of(task.model, task.p_input);
  plan.grid = {task.p};
  plan.method = spec.method;
  plan.samples = spec.samples;
  plan.seed = job.seed;
  plan.stream = name_stream(task.name);
  plan.undirected = spec.undirected;
  plan.topology = task.topology;
  if (task.kind == TaskKind::thresholds) {
    if (spec.survival_per_decade > 0)
      plan.survival_depths = survival_depths(spec.survival_per_decade, task.arch.depth());
    plan.floor = spec.floor;
  }
  return plan;
}

void add_topology_setting(const Task& task, Settings& settings) {
  if (!task.topology.is_dense_mlp()) settings["topology"] = topology_text(task.topology);
}

bool streamed(const JobSpec& job, const Task& task, bool thresholds) {
  return thresholds && streams_locally(task.topology) && !job.percolation->undirected;
}

double network_sample_seconds(const JobSpec& job, const Task& task, bool thresholds) {
  const PercolationSpec& p = *job.percolation;
  if (streamed(job, task, thresholds)) return streamed_threshold_seconds(task.arch, task.topology);
  if (!task.topology.is_dense_mlp())
    return graph_point_seconds(task.arch, task.topology, p.undirected);
  return thresholds ? threshold_sample_seconds(task.arch, task.model, p.method, p.undirected)
                    : sample_seconds(task.arch, task.model, p.method, p.undirected);
}

double network_sample_bytes(const JobSpec& job, const Task& task, bool thresholds) {
  const PercolationSpec& p = *job.percolation;
  if (streamed(job, task, thresholds)) return streamed_threshold_bytes(task.arch, task.topology);
  if (!task.topology.is_dense_mlp())
    return graph_sample_bytes(task.arch, task.topology, p.undirected);
  return thresholds ? threshold_sample_bytes(task.arch, task.model, p.undirected)
                    : sample_bytes(task.arch, task.model, p.method, p.undirected);
}

Settings network_block_settings(const JobSpec& job, const Task& task) {
  const PercolationSpec& p = *job.percolation;
  Settings s = {{"kind", std::string(name(task.kind))},
                {"model", std::string(name(task.model))},
                {"width", hidden_widths_text(task.arch)},
                {"depth", std::to_string(task.arch.depth())},
                {"seed", std::to_string(job.seed)},
                {"input_width", std::to_string(task.arch.input_width)},
                {"output_width", std::to_string(task.arch.output_width)},
                {"method", std::string(name(p.method))},
                {"undirected", p.undirected ? "true" : "false"}};
  if (task.p_input > 0.0) s["input_dropout"] = canonical_number(task.p_input);
  if (task.kind == TaskKind::thresholds && p.survival_per_decade > 0)
    s["survival_per_decade"] = std::to_string(p.survival_per_decade);
  if (task.kind == TaskKind::thresholds && p.floor > -std::numeric_limits<double>::infinity())
    s["floor"] = canonical_number(p.floor);
  add_topology_setting(task, s);
  return s;
}

std::pair<std::int64_t, std::int64_t> network_block(const JobSpec& job, std::int64_t index) {
  return block_of(job.percolation->samples, job.percolation->block, index);
}

}  // namespace dropperc::kinds
