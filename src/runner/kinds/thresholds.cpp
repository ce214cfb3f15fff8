// Thresholds tasks: per-sample path thresholds p* of one network (model, W, L), in blocks of
// samples (docs/theory.md §7). A unit file holds the block's thresholds; the merged task holds
// them all and theta(p) on the job's p grid at the task's width.

#include <algorithm>
#include <functional>
#include <limits>

#include "blocks.hpp"
#include "datasets.hpp"
#include "kinds.hpp"
#include "network_blocks.hpp"

#include "dropperc/core/budget.hpp"
#include "dropperc/core/sampling.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::kinds {

namespace {

// The task's survival depths, none without survival_per_decade.
std::vector<int> depths(const JobSpec& job, const Task& task) {
  const int per_decade = job.percolation->survival_per_decade;
  return per_decade > 0 ? survival_depths(per_decade, task.arch.depth()) : std::vector<int>{};
}

// B_t at the survival depths, row by row: probabilities, falling with t (a sample reaching layer
// t reached every layer before it) and at least the spanning threshold.
void check_survival(const h5::Group& unit, ThresholdBlock& block, std::size_t depths) {
  if (depths == 0) return;
  if (!unit.contains(schema::kSurvivalThresholds)) {
    throw h5::Error(unit.file_name() + ": no " + std::string(schema::kSurvivalThresholds) +
                    " although the job asks for survival depths");
  }
  block.survival = unit.read<double>(schema::kSurvivalThresholds);
  check_length(unit, block.survival.size() / depths, block.first, block.last);
  if (block.survival.size() % depths != 0) {
    throw h5::Error(unit.file_name() + ": " + std::string(schema::kSurvivalThresholds) +
                    " is not a whole number of samples");
  }
  check_probabilities(unit, block.survival, "survival threshold", true);
  for (std::size_t k = 0; k < block.directed.size(); ++k) {
    const double* row = block.survival.data() + k * depths;
    const bool falling = std::is_sorted(row, row + depths, std::greater<>());
    if (!falling || row[depths - 1] < block.directed[k]) {
      throw h5::Error(unit.file_name() + ": sample " +
                      std::to_string(block.first + static_cast<std::int64_t>(k)) +
                      ": survival thresholds rise with depth or fall below the spanning one");
    }
  }
}

}  // namespace

double Thresholds::cost(const JobSpec& job, const Task& task, std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  return static_cast<double>(last - first) * network_sample_seconds(job, task, true);
}

double Thresholds::memory(const JobSpec& job, const Task& task) {
  // One sample's arrays, and the block's thresholds (directed, undirected and survival).
  const auto [first, last] = network_block(job, 0);
  return network_sample_bytes(job, task, true) +
         8.0 * static_cast<double>(2 + depths(job, task).size()) *
             static_cast<double>(last - first);
}

Settings Thresholds::settings(const JobSpec& job, const Task& task) {
  return network_block_settings(job, task);
}

std::optional<UnitResult> Thresholds::run(const UnitContext& c, std::int64_t index,
                                          const UnitControl& control,
                                          std::optional<TrainingState<float>>) {
  const auto [first, last] = network_block(*c.job, index);
  StopCheck stop(control.stop);
  SampleThresholds t = sample_thresholds(plan_for(*c.job, *c.task), first, last, &stop);
  if (stop.stopped()) return std::nullopt;
  return ThresholdBlock{first, last, std::move(t.directed), std::move(t.undirected),
                        std::move(t.survival)};
}

bool Thresholds::complete(const h5::Group& unit, const JobSpec& job, const Task&,
                          std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  return holds_range(unit, first, last);
}

void Thresholds::save(h5::Group& unit, const Result& block) {
  write_range(unit, block.first, block.last);
  unit.write(schema::kDirectedThresholds, block.directed);
  unit.write(schema::kUndirectedThresholds, block.undirected);
  if (!block.survival.empty()) unit.write(schema::kSurvivalThresholds, block.survival);
}

ThresholdBlock Thresholds::load(const h5::Group& unit, const JobSpec& job, const Task& task,
                                std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  ThresholdBlock block{first, last, unit.read<double>(schema::kDirectedThresholds),
                       unit.read<double>(schema::kUndirectedThresholds)};
  check_length(unit, block.directed.size(), first, last);
  check_probabilities(unit, block.directed, "directed threshold", true);
  check_probabilities(unit, block.undirected, "undirected threshold", true);
  check_survival(unit, block, depths(job, task).size());
  if (block.undirected.empty()) return block;
  check_length(unit, block.undirected.size(), first, last);
  // A directed path joins input and output undirected too: p*_undirected >= p*_directed.
  for (std::size_t k = 0; k < block.directed.size(); ++k) {
    if (block.undirected[k] < block.directed[k]) {
      throw h5::Error(unit.file_name() + ": sample " + std::to_string(first + k) +
                      ": undirected threshold below the directed one");
    }
  }
  return block;
}

SummaryRow Thresholds::merge(h5::Group& g, h5::Group&, const JobSpec& job, const Task& task,
                             const std::vector<Result>& blocks) {
  write_network_parameters(g, task, false);
  // The task's width may tie p to W (a keep law, which layered networks do not take).
  std::vector<double> grid_p, keep;
  for (const GridValue& p : p_at(job.grid, task.arch.is_uniform() ? task.arch.width() : 0)) {
    grid_p.push_back(p.value);
    keep.push_back(p.scale);
  }
  std::vector<double> directed, undirected, survival;
  for (const ThresholdBlock& b : blocks) {
    directed.insert(directed.end(), b.directed.begin(), b.directed.end());
    undirected.insert(undirected.end(), b.undirected.begin(), b.undirected.end());
    survival.insert(survival.end(), b.survival.begin(), b.survival.end());
  }
  const PercolationSpec& spec = *job.percolation;
  if (spec.floor > -std::numeric_limits<double>::infinity())
    g.set_attribute(schema::kFloor, spec.floor);
  if (const std::vector<int> t = depths(job, task); !t.empty()) {
    vector(g, schema::kSurvivalDepths, {t.begin(), t.end()},
           "hidden layers t of the columns of survival_thresholds", "1");
    g.write<double>(schema::kSurvivalThresholds, survival, {directed.size(), t.size()},
                    {"per-sample B_t: the sample reaches hidden layer t iff p < B_t (0: B_t <= "
                     "floor where the task has one)",
                     "1"});
  }
  vector(g, schema::kDirectedThresholds, directed,
         "per-sample p*: the sample spans (directed) iff p < p*", "1");
  vector(g, schema::kCurveP, grid_p, "drop probabilities of the job's grid at this width", "1");
  if (job.grid.keep_law) {
    vector(g, schema::kCurveKeep, keep, "keep scale c of each curve_p: p = 1 - c W^power", "1");
  }
  const std::string_view description = "fraction of samples whose threshold exceeds p, at curve_p";
  write_curve(g, schema::kDirectedCurve, directed, grid_p, SpansWhen::below, description);
  if (!undirected.empty()) {
    vector(g, schema::kUndirectedThresholds, undirected, "per-sample undirected threshold", "1");
    write_curve(g, schema::kUndirectedCurve, undirected, grid_p, SpansWhen::below, description);
  }
  return network_row(task, false);
}

}  // namespace dropperc::kinds
