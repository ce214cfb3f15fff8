// Percolation tasks: the observables of one grid point (model, W, L, p), in blocks of samples.
// A unit file holds the block's mergeable estimate (counts and mean accumulators); the merged
// task holds every observable's mean with its interval or standard error.

#include <algorithm>
#include <cmath>

#include "blocks.hpp"
#include "datasets.hpp"
#include "kinds.hpp"
#include "network_blocks.hpp"

#include "dropperc/core/budget.hpp"
#include "dropperc/core/sampling.hpp"
#include "dropperc/core/statistics.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::kinds {

namespace {

std::string_view description_of(Observable o) {
  switch (o) {
    case Observable::directed_spanning:
      return "theta: fraction of masks with a directed input-output path";
    case Observable::undirected_spanning:
      return "fraction of masks whose input and output share a cluster";
    case Observable::extinction_depth:
      return "mean first layer without a forward-reachable unit (L+1 if none)";
    case Observable::reachable_fraction:
      return "mean fraction of hidden units reachable from the input";
    case Observable::backbone_units:
      return "mean number of hidden units on a directed input-output path";
    case Observable::backbone_unit_fraction:
      return "mean backbone units / (L W)";
    case Observable::backbone_weights:
      return "mean number of weights on a directed input-output path";
    case Observable::backbone_weight_fraction:
      return "mean backbone weights / all weights";
    case Observable::largest_cluster:
      return "mean size of the largest undirected cluster";
    case Observable::mean_other_cluster_size:
      return "mean of sum s^2 / sum s over the other clusters";
  }
  return "";
}

// Mean accumulators as three columns: counts, means and sums of squared deviations.
template <class Iterator>
void write_accumulators(h5::Group& group, Iterator first, Iterator last,
                        std::string_view count_name, std::string_view value_name,
                        std::string_view squares_name) {
  std::vector<std::int64_t> counts;
  std::vector<double> means, squares;
  for (auto it = first; it != last; ++it) {
    const MeanAccumulator::State s = it->state();
    counts.push_back(s.count);
    means.push_back(s.mean);
    squares.push_back(s.squares);
  }
  group.write(count_name, counts);
  group.write(value_name, means);
  group.write(squares_name, squares);
}

std::vector<MeanAccumulator> read_accumulators(const h5::Group& group, std::string_view count_name,
                                               std::string_view value_name,
                                               std::string_view squares_name) {
  const auto counts = group.read<std::int64_t>(count_name);
  const auto means = group.read<double>(value_name);
  const auto squares = group.read<double>(squares_name);
  if (means.size() != counts.size() || squares.size() != counts.size()) {
    throw h5::Error(group.file_name() + ": " + group.path() +
                    ": accumulator columns differ in length");
  }
  std::vector<MeanAccumulator> result;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    result.push_back(MeanAccumulator::from_state({counts[k], means[k], squares[k]}));
  }
  return result;
}

void write_estimate(h5::Group& group, const PointEstimate& e) {
  group.set_attribute(schema::kSamples, e.samples);
  group.set_attribute(schema::kDirectedSpans, e.directed_spans);
  group.set_attribute(schema::kUndirectedSpans, e.undirected_spans);
  write_accumulators(group, e.means.begin(), e.means.end(), schema::kMeanCount, schema::kMeanValue,
                     schema::kMeanSquares);
  write_accumulators(group, e.reachable.begin(), e.reachable.end(), schema::kReachableCount,
                     schema::kReachableValue, schema::kReachableSquares);
}

// Throws h5::Error unless the estimate is one of `samples` samples: span counts in [0, samples],
// accumulators of at most that many values with finite means and sums of squares >= 0.
void check_estimate(const h5::Group& group, const PointEstimate& e, std::int64_t samples) {
  auto fail = [&](const std::string& what) {
    throw h5::Error(group.file_name() + ": " + group.path() + ": " + what);
  };
  if (e.samples != samples)
    fail(std::to_string(e.samples) + " samples, not " + std::to_string(samples));
  for (std::int64_t spans : {e.directed_spans, e.undirected_spans}) {
    if (spans < 0 || spans > samples) fail("span count " + std::to_string(spans) + " out of range");
  }
  auto check = [&](const MeanAccumulator& m) {
    const MeanAccumulator::State s = m.state();
    if (s.count < 0 || s.count > samples || !std::isfinite(s.mean) || !std::isfinite(s.squares) ||
        s.squares < 0)
      fail("an accumulator holds impossible values");
  };
  std::for_each(e.means.begin(), e.means.end(), check);
  std::for_each(e.reachable.begin(), e.reachable.end(), check);
}

PointEstimate read_estimate(const h5::Group& group, const Task& task) {
  PointEstimate e;
  e.p = task.p;
  e.dropout = ScanLine::of(task.model, task.p_input).at(task.p);
  e.samples = group.integer_attribute(schema::kSamples);
  e.directed_spans = group.integer_attribute(schema::kDirectedSpans);
  e.undirected_spans = group.integer_attribute(schema::kUndirectedSpans);
  const auto means =
      read_accumulators(group, schema::kMeanCount, schema::kMeanValue, schema::kMeanSquares);
  if (means.size() != e.means.size()) {
    throw h5::Error(group.file_name() + ": " + group.path() + ": expected " +
                    std::to_string(e.means.size()) + " observables, found " +
                    std::to_string(means.size()));
  }
  std::copy(means.begin(), means.end(), e.means.begin());
  e.reachable = read_accumulators(group, schema::kReachableCount, schema::kReachableValue,
                                  schema::kReachableSquares);
  if (e.reachable.size() != static_cast<std::size_t>(task.arch.layers())) {
    throw h5::Error(group.file_name() + ": " + group.path() +
                    ": reachable profile has the wrong number of layers");
  }
  return e;
}

}  // namespace

double Percolation::cost(const JobSpec& job, const Task& task, std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  return static_cast<double>(last - first) * network_sample_seconds(job, task, false);
}

double Percolation::memory(const JobSpec& job, const Task& task) {
  return network_sample_bytes(job, task, false);
}

Settings Percolation::settings(const JobSpec& job, const Task& task) {
  Settings s = network_block_settings(job, task);
  s["p"] = canonical_number(task.p);
  return s;
}

std::optional<UnitResult> Percolation::run(const UnitContext& c, std::int64_t index,
                                           const UnitControl& control,
                                           std::optional<TrainingState<float>>) {
  const auto [first, last] = network_block(*c.job, index);
  StopCheck stop(control.stop);
  auto estimates = run_sampling(plan_for(*c.job, *c.task), first, last, {}, &stop);
  if (stop.stopped()) return std::nullopt;
  return PercolationBlock{first, last, std::move(estimates.front())};
}

bool Percolation::complete(const h5::Group& unit, const JobSpec& job, const Task&,
                           std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  return holds_range(unit, first, last);
}

void Percolation::save(h5::Group& unit, const Result& block) {
  write_range(unit, block.first, block.last);
  h5::Group estimate = unit.create_group(schema::kEstimate);
  write_estimate(estimate, block.estimate);
}

PercolationBlock Percolation::load(const h5::Group& unit, const JobSpec& job, const Task& task,
                                   std::int64_t index) {
  const auto [first, last] = network_block(job, index);
  const h5::Group group = unit.group(schema::kEstimate);
  PercolationBlock block{first, last, read_estimate(group, task)};
  check_estimate(group, block.estimate, last - first);
  return block;
}

SummaryRow Percolation::merge(h5::Group& g, h5::Group&, const JobSpec& job, const Task& task,
                              const std::vector<Result>& blocks) {
  write_network_parameters(g, task, true);
  std::vector<PointEstimate> merged = {blocks.front().estimate};
  for (std::size_t u = 1; u < blocks.size(); ++u)
    merge_estimates(merged, {blocks[u].estimate});
  const PointEstimate& e = merged.front();
  const PercolationSpec& spec = *job.percolation;
  scalar(g, schema::kSampleCount, static_cast<double>(e.samples), "masks sampled", "1");
  SummaryRow row = network_row(task, true);
  for (Observable o : kObservables) {
    if (!measures(spec.method, o, spec.undirected)) continue;
    const std::string base(name(o));
    const MeanAccumulator& m = e.mean(o);
    scalar(g, base, m.mean(), description_of(o));
    if (o == Observable::directed_spanning || o == Observable::undirected_spanning) {
      const auto spans = o == Observable::directed_spanning ? e.directed_spans : e.undirected_spans;
      const Interval ci = clopper_pearson(spans, e.samples);
      scalar(g, joined(base, schema::kLowSuffix), ci.low,
             "lower end of the 95% Clopper-Pearson interval");
      scalar(g, joined(base, schema::kHighSuffix), ci.high,
             "upper end of the 95% Clopper-Pearson interval");
      if (o == Observable::directed_spanning) {
        row.theta = m.mean();
        row.theta_low = ci.low;
        row.theta_high = ci.high;
      }
    } else {
      scalar(g, joined(base, schema::kStderrSuffix), m.standard_error(),
             "standard error of the mean");
    }
  }
  std::vector<double> mean, error;
  for (const MeanAccumulator& m : e.reachable) {
    mean.push_back(m.mean());
    error.push_back(m.standard_error());
  }
  vector(g, schema::kReachable, mean, "mean forward-reachable units per layer, k = 0..L+1",
         "units");
  vector(g, joined(schema::kReachable, schema::kStderrSuffix), error, "standard error of reachable",
         "units");
  return row;
}

}  // namespace dropperc::kinds
