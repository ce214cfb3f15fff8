#pragma once
// What the kinds that sample masks of a network in blocks share (percolation, thresholds): the
// sampling plan of a task and the settings of [percolation] that decide its results.

#include "kinds.hpp"

#include "dropperc/core/sampling.hpp"
#include "dropperc/runner/job.hpp"

namespace dropperc::kinds {

/// The plan of every block of a percolation or thresholds task: sample s of the task draws from
/// the streams of (job seed, name_stream(task name), s), whatever block it is in.
SamplingPlan plan_for(const JobSpec& job, const Task& task);

/// The settings of a network task sampled in blocks, p excepted (and the block size: a unit
/// file records its samples, and a unit whose block changed is computed again).
Settings network_block_settings(const JobSpec& job, const Task& task);

/// The task's topology in its settings, unless it is the dense MLP (whose settings, and so the
/// fingerprints of old jobs, do not change).
void add_topology_setting(const Task& task, Settings& settings);

/// Whether the task's samples are streamed (local_percolation.hpp): directed thresholds of
/// local layers without skips, with `thresholds` (a thresholds task) and undirected = false.
bool streamed(const JobSpec& job, const Task& task, bool thresholds);

/// Estimated seconds and bytes of one sample of the task (docs/performance.md): a percolation
/// sample, or with `thresholds` a threshold sample; the Graph engine's for local and residual
/// networks, the streamed recursion's where it applies.
double network_sample_seconds(const JobSpec& job, const Task& task, bool thresholds);
double network_sample_bytes(const JobSpec& job, const Task& task, bool thresholds);

/// Samples [first, last) of block `index` of the task.
std::pair<std::int64_t, std::int64_t> network_block(const JobSpec& job, std::int64_t index);

}  // namespace dropperc::kinds
