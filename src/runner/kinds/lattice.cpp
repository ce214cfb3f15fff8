// Lattice tasks: per-sample spanning thresholds q* of one 2D square lattice (model, size), in
// blocks of samples, for validating the analysis (lattice.hpp). A unit file holds the block's
// thresholds; the merged task holds them all and theta(q) on the job's q grid.

#include "dropperc/core/lattice.hpp"

#include "blocks.hpp"
#include "datasets.hpp"
#include "kinds.hpp"

#include "dropperc/core/rng.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::kinds {

namespace {

std::pair<std::int64_t, std::int64_t> lattice_block(const JobSpec& job, std::int64_t index) {
  return block_of(job.lattice->samples, job.lattice->block, index);
}

}  // namespace

double Lattice::cost(const JobSpec& job, const Task& task, std::int64_t index) {
  // A Newman-Ziff sweep over every element of the lattice: bucket sort and union-find. Measured
  // with `dropperc run` at L = 32..512: 22-27 ns per bond, 28-32 per site (an occupied site looks
  // at four neighbours, a bond at two ends).
  const double per_element = task.lattice_model == LatticeModel::bond ? 25.0 : 30.0;
  const double per_sample =
      per_element * static_cast<double>(lattice_elements(task.lattice_model, task.lattice_size));
  const auto [first, last] = lattice_block(job, index);
  return 1e-9 * static_cast<double>(last - first) * per_sample;
}

double Lattice::memory(const JobSpec&, const Task& task) {
  // Newman-Ziff: the elements in a random order and a union-find forest over the sites.
  return 16.0 * static_cast<double>(lattice_elements(task.lattice_model, task.lattice_size));
}

// Everything of [lattice] but `samples`, which may grow, and `block` (a unit file records its
// samples). The q grid counts as a setting like the rest, though only the merged curves depend
// on it.
Settings Lattice::settings(const JobSpec& job, const Task& task) {
  const LatticeSpec& lattice = *job.lattice;
  std::string q;
  for (double v : lattice.q)
    q += (q.empty() ? "" : ", ") + canonical_number(v);
  return {{"kind", std::string(name(task.kind))},
          {"model", std::string(name(task.lattice_model))},
          {"size", std::to_string(task.lattice_size)},
          {"seed", std::to_string(job.seed)},
          {"q", q}};
}

std::optional<UnitResult> Lattice::run(const UnitContext& c, std::int64_t index,
                                       const UnitControl& control,
                                       std::optional<TrainingState<float>>) {
  const Task& task = *c.task;
  const auto [first, last] = lattice_block(*c.job, index);
  StopCheck stop(control.stop);
  std::vector<double> thresholds =
      spanning_thresholds(task.lattice_model, task.lattice_size, c.job->seed,
                          name_stream(task.name), first, last, &stop);
  if (stop.stopped()) return std::nullopt;
  return LatticeBlock{first, last, std::move(thresholds)};
}

bool Lattice::complete(const h5::Group& unit, const JobSpec& job, const Task&, std::int64_t index) {
  const auto [first, last] = lattice_block(job, index);
  return holds_range(unit, first, last);
}

void Lattice::save(h5::Group& unit, const Result& block) {
  write_range(unit, block.first, block.last);
  unit.write(schema::kOccupationThresholds, block.thresholds);
}

LatticeBlock Lattice::load(const h5::Group& unit, const JobSpec& job, const Task&,
                           std::int64_t index) {
  const auto [first, last] = lattice_block(job, index);
  LatticeBlock block{first, last, unit.read<double>(schema::kOccupationThresholds)};
  check_length(unit, block.thresholds.size(), first, last);
  check_probabilities(unit, block.thresholds, "occupation threshold");
  return block;
}

SummaryRow Lattice::merge(h5::Group& g, h5::Group&, const JobSpec& job, const Task& task,
                          const std::vector<Result>& blocks) {
  g.set_attribute(schema::kLatticeSize, std::int64_t{task.lattice_size});
  std::vector<double> thresholds;
  for (const LatticeBlock& b : blocks)
    thresholds.insert(thresholds.end(), b.thresholds.begin(), b.thresholds.end());
  vector(g, schema::kOccupationThresholds, thresholds,
         "per-sample occupation threshold q*: the sample spans top to bottom iff q > q*", "1");
  vector(g, schema::kCurveQ, job.lattice->q, "occupation probabilities of the job's q grid", "1");
  write_curve(g, schema::kDirectedCurve, thresholds, job.lattice->q, SpansWhen::above,
              "fraction of samples spanning top to bottom (q > q*), at curve_q");
  SummaryRow row;
  row.model = std::string(name(task.lattice_model));
  row.width = task.lattice_size;  // the summary's width column holds the lattice size
  return row;
}

}  // namespace dropperc::kinds
