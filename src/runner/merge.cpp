#include "dropperc/runner/merge.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include "kinds/datasets.hpp"
#include "kinds/kinds.hpp"

#include "dropperc/io/h5.hpp"
#include "dropperc/io/provenance.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

void write_summary(h5::Group& root, const std::vector<Task>& tasks,
                   const std::vector<kinds::SummaryRow>& rows) {
  std::vector<std::string> names, kind_names, models, activations;
  std::vector<std::int64_t> widths, depths, biases;
  std::vector<double> p, theta, low, high, test_loss, test_accuracy, spanning, zeros;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const Task& task = tasks[t];
    names.push_back(task.name);
    kind_names.emplace_back(name(task.kind));
    models.push_back(rows[t].model);
    widths.push_back(rows[t].width);
    depths.push_back(rows[t].depth);
    p.push_back(rows[t].p);
    biases.push_back(rows[t].bias);
    activations.push_back(rows[t].activation);
    theta.push_back(rows[t].theta);
    low.push_back(rows[t].theta_low);
    high.push_back(rows[t].theta_high);
    test_loss.push_back(rows[t].test_loss);
    test_accuracy.push_back(rows[t].test_accuracy);
    spanning.push_back(rows[t].spanning_fraction);
    zeros.push_back(rows[t].zero_gradient_fraction);
  }
  root.write_table(
      schema::kSummary,
      {{std::string(schema::kTaskName), names},
       {std::string(schema::kKind), kind_names},
       {std::string(schema::kModel), models},
       {std::string(schema::kWidth), widths},
       {std::string(schema::kDepth), depths},
       {std::string(schema::kP), p},
       {std::string(schema::kBias), biases},
       {std::string(schema::kActivation), activations},
       {std::string(schema::kTheta), theta},
       {kinds::joined(schema::kTheta, schema::kLowSuffix), low},
       {kinds::joined(schema::kTheta, schema::kHighSuffix), high},
       {std::string(schema::kTestLoss), test_loss},
       {std::string(schema::kTestAccuracy), test_accuracy},
       {std::string(schema::kSpanningFraction), spanning},
       {std::string(schema::kZeroGradientFraction), zeros}},
      {"one row per task: parameters (bias -1, p NaN where they do not apply; lattice tasks: "
       "width = lattice size, depth -1) and headline results (NaN where they do not apply; "
       "training: means over replicas)",
       "1"});
}

void write_job(h5::Group& root, const JobSpec& job, const RunInfo& info) {
  h5::Group g = root.create_group(schema::kJob);
  g.set_attribute(schema::kJobName, std::string_view(job.name));
  g.set_attribute(schema::kJobSeed, static_cast<std::int64_t>(job.seed));
  g.set_attribute(schema::kJobFile, std::string_view(job.text));
  g.set_attribute(schema::kJobFilePath, std::string_view(job.file.string()));
  g.set_attribute(schema::kDroppercVersion, kVersion);
  g.set_attribute(schema::kGitRevision, git_revision());
  g.set_attribute(schema::kBuild, build_description());
  g.set_attribute(schema::kStarted, std::string_view(info.started));
  g.set_attribute(schema::kFinished, std::string_view(info.finished));
  g.set_attribute(schema::kRanks, std::int64_t{info.ranks});
}

}  // namespace

std::filesystem::path merge_job(const Store& store, const JobSpec& job, const RunInfo& info) {
  const std::vector<Task>& tasks = store.tasks();
  std::vector<std::string> missing;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    for (std::int64_t u = 0; u < tasks[t].units; ++u) {
      if (!store.complete(t, u)) missing.push_back(tasks[t].name + " unit " + std::to_string(u));
    }
  }
  if (!missing.empty()) {
    std::string message =
        "cannot merge: " + std::to_string(missing.size()) + " units are not complete";
    for (std::size_t k = 0; k < missing.size() && k < 10; ++k)
      message += "\n  " + missing[k];
    throw StoreError(message);
  }
  const std::filesystem::path target = store.directory() / (job.name + ".h5");
  const std::filesystem::path temporary = temporary_path(target);
  try {
    h5::File file = h5::File::create(temporary);
    h5::Group root = file.root();
    root.set_attribute(schema::kFormatVersionAttribute, schema::kFormatVersion);
    write_job(root, job, info);
    h5::Group all = root.create_group(schema::kTasks);
    std::vector<kinds::SummaryRow> rows;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const Task& task = tasks[t];
      h5::Group g = all.create_group(task.name);
      g.set_attribute(schema::kKind, name(task.kind));
      g.set_attribute(schema::kModel, model_name(task));
      g.set_attribute(schema::kWorkUnits, task.units);
      h5::Group timing = g.create_group(schema::kTiming);
      std::vector<double> seconds;
      for (std::int64_t u = 0; u < task.units; ++u)
        seconds.push_back(store.seconds(t, u));
      kinds::vector(timing, schema::kComputeSeconds, seconds,
                    "compute time of each work unit (measured; a unit resumed from a checkpoint "
                    "counts its last attempt only)",
                    "s");
      rows.push_back(kinds::visit_kind(task.kind, [&](auto kind) {
        using Kind = decltype(kind);
        std::vector<typename Kind::Result> units;
        for (std::int64_t u = 0; u < task.units; ++u) {
          auto result = store.load(t, u);
          if (!result)
            throw StoreError("unit " + std::to_string(u) + " of " + task.name +
                             " became unreadable");
          units.push_back(std::get<typename Kind::Result>(std::move(*result)));
        }
        return Kind::merge(g, timing, job, task, units);
      }));
    }
    write_summary(root, tasks, rows);
    file.close();
  } catch (...) {
    std::error_code ignored;  // a full disk, say: leave no half-written file behind
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  std::filesystem::rename(temporary, target);
  return target;
}

}  // namespace dropperc
