#include "dropperc/merge.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include "dropperc/h5.hpp"
#include "dropperc/schema.hpp"
#include "dropperc/version.hpp"

namespace dropperc {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A dataset name made of schema parts, e.g. "curve_" "theta" "_low".
std::string joined(std::string_view a, std::string_view b, std::string_view c = {}) {
  return std::string(a).append(b).append(c);
}

// One number as a scalar dataset with its description and units.
void scalar(h5::Group& g, std::string_view name, double value, std::string_view description,
            std::string_view units = "1") {
  g.write<double>(name, std::span<const double>(&value, 1), {}, {description, units});
}

void vector(h5::Group& g, std::string_view name, const std::vector<double>& values,
            std::string_view description, std::string_view units = "1") {
  g.write<double>(name, values, h5::Meta{description, units});
}

// Rows of equal length as a [rows, columns] dataset; short rows are padded with NaN.
void matrix(h5::Group& g, std::string_view name, const std::vector<std::vector<double>>& rows,
            std::string_view description, std::string_view units = "1") {
  std::size_t columns = 0;
  for (const auto& r : rows)
    columns = std::max(columns, r.size());
  std::vector<double> flat;
  for (const auto& r : rows) {
    flat.insert(flat.end(), r.begin(), r.end());
    flat.insert(flat.end(), columns - r.size(), kNaN);
  }
  g.write<double>(name, flat, {rows.size(), columns}, {description, units});
}

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

void set_parameters(h5::Group& g, const Task& t) {
  g.set_attribute(schema::kKind, name(t.kind));
  g.set_attribute(schema::kModel, model_name(t));
  g.set_attribute(schema::kWorkUnits, t.units);
  if (t.kind == TaskKind::lattice) {
    g.set_attribute(schema::kLatticeSize, std::int64_t{t.lattice_size});
    return;
  }
  g.set_attribute(schema::kWidth, std::int64_t{t.arch.width});
  g.set_attribute(schema::kDepth, std::int64_t{t.arch.depth});
  g.set_attribute(schema::kInputWidth, std::int64_t{t.arch.input_width});
  g.set_attribute(schema::kOutputWidth, std::int64_t{t.arch.output_width});
  if (!std::isnan(t.depth_scale)) g.set_attribute(schema::kDepthScale, t.depth_scale);
  if (t.kind == TaskKind::thresholds) return;
  g.set_attribute(schema::kP, t.p);
  if (!std::isnan(t.keep)) g.set_attribute(schema::kKeepScale, t.keep);
  if (t.kind != TaskKind::training) return;
  g.set_attribute(schema::kBias, std::int64_t{t.bias});
  g.set_attribute(schema::kActivation, name(t.activation));
}

// The summary row of a task: headline numbers, NaN where they do not apply.
struct Headline {
  double theta = kNaN, theta_low = kNaN, theta_high = kNaN;
  double test_loss = kNaN, test_accuracy = kNaN, spanning_fraction = kNaN,
         zero_gradient_fraction = kNaN;
};

Headline write_percolation(h5::Group& g, const JobSpec& job, const std::vector<UnitResult>& units) {
  std::vector<PointEstimate> merged = {std::get<PercolationBlock>(units.front()).estimate};
  for (std::size_t u = 1; u < units.size(); ++u)
    merge(merged, {std::get<PercolationBlock>(units[u]).estimate});
  const PointEstimate& e = merged.front();
  const PercolationSpec& spec = *job.percolation;
  scalar(g, schema::kSampleCount, static_cast<double>(e.samples), "masks sampled", "1");
  Headline h;
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
      if (o == Observable::directed_spanning) h = {m.mean(), ci.low, ci.high};
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
  return h;
}

// Where a sample spans relative to its threshold: at p < p* for dropout's drop probability p,
// at q > q* for a lattice's occupation probability q.
enum class SpansWhen { below, above };

// theta on a grid from per-sample thresholds: the fraction of samples spanning at each value,
// with Clopper-Pearson intervals. `description` says what theta is.
void write_curve(h5::Group& g, std::string_view prefix, const std::vector<double>& thresholds,
                 const std::vector<double>& grid, SpansWhen when, std::string_view description) {
  std::vector<double> theta, low, high;
  const auto n = static_cast<std::int64_t>(thresholds.size());
  for (double x : grid) {
    const auto spans = std::count_if(thresholds.begin(), thresholds.end(), [&](double t) {
      return when == SpansWhen::below ? x < t : x > t;
    });
    const Interval ci = clopper_pearson(spans, n);
    theta.push_back(static_cast<double>(spans) / static_cast<double>(n));
    low.push_back(ci.low);
    high.push_back(ci.high);
  }
  vector(g, joined(prefix, schema::kTheta), theta, description);
  vector(g, joined(prefix, schema::kTheta, schema::kLowSuffix), low,
         "lower end of the 95% Clopper-Pearson interval");
  vector(g, joined(prefix, schema::kTheta, schema::kHighSuffix), high,
         "upper end of the 95% Clopper-Pearson interval");
}

void write_thresholds(h5::Group& g, const JobSpec& job, const Task& task,
                      const std::vector<UnitResult>& units) {
  std::vector<double> grid_p, keep;  // the task's width may tie p to W (a keep law)
  for (const GridValue& p : p_at(job.grid, task.arch.width)) {
    grid_p.push_back(p.value);
    keep.push_back(p.scale);
  }
  std::vector<double> directed, undirected;
  for (const UnitResult& u : units) {
    const auto& b = std::get<ThresholdBlock>(u);
    directed.insert(directed.end(), b.directed.begin(), b.directed.end());
    undirected.insert(undirected.end(), b.undirected.begin(), b.undirected.end());
  }
  vector(g, schema::kDirectedThresholds, directed,
         "per-sample p*: the sample spans (directed) iff p < p*", "1");
  vector(g, schema::kCurveP, grid_p, "drop probabilities of the job's grid at this width", "1");
  if (job.grid.keep_law) {
    vector(g, schema::kCurveKeep, keep, "keep scale c of each curve_p: p = 1 - c W^power", "1");
  }
  const std::string_view description = "fraction of samples whose threshold exceeds p, at curve_p";
  write_curve(g, schema::kDirectedCurve, directed, grid_p, SpansWhen::below, description);
  if (undirected.empty()) return;
  vector(g, schema::kUndirectedThresholds, undirected, "per-sample undirected threshold", "1");
  write_curve(g, schema::kUndirectedCurve, undirected, grid_p, SpansWhen::below, description);
}

void write_lattice(h5::Group& g, const JobSpec& job, const std::vector<UnitResult>& units) {
  std::vector<double> thresholds;
  for (const UnitResult& u : units) {
    const auto& b = std::get<LatticeBlock>(u);
    thresholds.insert(thresholds.end(), b.thresholds.begin(), b.thresholds.end());
  }
  vector(g, schema::kOccupationThresholds, thresholds,
         "per-sample occupation threshold q*: the sample spans top to bottom iff q > q*", "1");
  vector(g, schema::kCurveQ, job.lattice->q, "occupation probabilities of the job's q grid", "1");
  write_curve(g, schema::kDirectedCurve, thresholds, job.lattice->q, SpansWhen::above,
              "fraction of samples spanning top to bottom (q > q*), at curve_q");
}

Headline write_training(h5::Group& g, h5::Group& timing, const JobSpec& job,
                        const std::vector<UnitResult>& units) {
  std::vector<std::vector<double>> loss, spanning, backbone, gradient, zeros, train_loss,
      train_accuracy, test_loss, test_accuracy;
  std::vector<double> final_test_loss, final_test_accuracy, final_train_loss, zero_fraction,
      span_fraction, to_target, seconds, throughput, steps, evaluation_steps;
  const TrainingSpec& spec = *job.training;
  for (const UnitResult& u : units) {
    const TrainingState<float>& s = std::get<TrainingReplica>(u).state;
    auto column = [&](auto field) {
      std::vector<double> values;
      for (const StepRecord& r : s.steps)
        values.push_back(static_cast<double>(r.*field));
      return values;
    };
    auto evaluation = [&](auto field) {
      std::vector<double> values;
      for (const Evaluation& e : s.evaluations)
        values.push_back(e.*field);
      return values;
    };
    loss.push_back(column(&StepRecord::loss));
    spanning.push_back(column(&StepRecord::spanning_fraction));
    backbone.push_back(column(&StepRecord::backbone_weight_fraction));
    gradient.push_back(column(&StepRecord::gradient_norm));
    zeros.push_back(column(&StepRecord::zero_gradient_samples));
    train_loss.push_back(evaluation(&Evaluation::train_loss));
    train_accuracy.push_back(evaluation(&Evaluation::train_accuracy));
    test_loss.push_back(evaluation(&Evaluation::test_loss));
    test_accuracy.push_back(evaluation(&Evaluation::test_accuracy));
    const Evaluation& last = s.evaluations.back();
    final_test_loss.push_back(last.test_loss);
    final_test_accuracy.push_back(last.test_accuracy);
    final_train_loss.push_back(last.train_loss);
    double z = 0.0, sp = 0.0;
    for (const StepRecord& r : s.steps) {
      z += r.zero_gradient_samples;
      sp += r.spanning_fraction;
    }
    zero_fraction.push_back(z / (static_cast<double>(s.steps.size()) * spec.batch));
    span_fraction.push_back(sp / static_cast<double>(s.steps.size()));
    double target = -1.0;
    for (const Evaluation& e : s.evaluations) {
      if (spec.target_loss && e.test_loss <= *spec.target_loss) {
        target = static_cast<double>(e.step);
        break;
      }
    }
    to_target.push_back(target);
    seconds.push_back(s.training_seconds);
    throughput.push_back(static_cast<double>(s.steps.size()) * spec.batch / s.training_seconds);
    if (steps.empty()) {
      for (const StepRecord& r : s.steps)
        steps.push_back(static_cast<double>(r.step));
      for (const Evaluation& e : s.evaluations)
        evaluation_steps.push_back(static_cast<double>(e.step));
    }
  }
  vector(g, schema::kStep, steps, "SGD step of each column of the per-step curves (1-based)",
         "steps");
  matrix(g, schema::kLoss, loss, "batch loss under dropout, [replica, step]");
  matrix(g, schema::kSpanningFraction, spanning,
         "fraction of the batch's masks with a directed path, [replica, step]");
  matrix(g, schema::kBackboneWeightFraction, backbone,
         "mean backbone weight fraction of the batch's masks, [replica, step]");
  matrix(g, schema::kGradientNorm, gradient, "norm of the batch gradient, [replica, step]");
  matrix(g, schema::kZeroGradientSamples, zeros,
         "samples whose gradient is exactly zero, [replica, step]", "samples");
  vector(g, schema::kEvaluationStep, evaluation_steps,
         "step of each evaluation (0: before training)", "steps");
  matrix(g, schema::kTrainLoss, train_loss,
         "training-set loss without dropout, [replica, evaluation]");
  matrix(g, schema::kTrainAccuracy, train_accuracy,
         "training-set accuracy without dropout (NaN: regression), [replica, evaluation]");
  matrix(g, schema::kTestLoss, test_loss, "test-set loss without dropout, [replica, evaluation]");
  matrix(g, schema::kTestAccuracy, test_accuracy,
         "test-set accuracy without dropout (NaN: regression), [replica, evaluation]");
  vector(g, schema::kFinalTestLoss, final_test_loss, "test loss after the last step, per replica");
  vector(g, schema::kFinalTestAccuracy, final_test_accuracy,
         "test accuracy after the last step, per replica");
  vector(g, schema::kFinalTrainLoss, final_train_loss,
         "training loss after the last step, per replica");
  vector(g, schema::kZeroGradientFraction, zero_fraction,
         "fraction of samples with exactly zero gradient, per replica");
  vector(g, schema::kSpanningFractionMean, span_fraction,
         "mean spanning fraction over all steps, per replica");
  vector(g, schema::kStepsToTarget, to_target,
         "first evaluated step with test loss <= target_loss (-1: never), per replica", "steps");
  vector(timing, schema::kTrainingSeconds, seconds,
         "time spent in SGD steps, per replica (measured)", "s");
  vector(timing, schema::kSamplesPerSecond, throughput,
         "training throughput, per replica (measured)", "1/s");
  auto mean = [](const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v)
      s += x;
    return s / static_cast<double>(v.size());
  };
  Headline h;
  h.test_loss = mean(final_test_loss);
  h.test_accuracy = mean(final_test_accuracy);
  h.spanning_fraction = mean(span_fraction);
  h.zero_gradient_fraction = mean(zero_fraction);
  return h;
}

void write_summary(h5::Group& root, const std::vector<Task>& tasks,
                   const std::vector<Headline>& rows) {
  std::vector<std::string> names, kinds, models, activations;
  std::vector<std::int64_t> widths, depths, biases;
  std::vector<double> p, theta, low, high, test_loss, test_accuracy, spanning, zeros;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const Task& task = tasks[t];
    names.push_back(task.name);
    kinds.emplace_back(name(task.kind));
    const bool lattice = task.kind == TaskKind::lattice;
    models.emplace_back(model_name(task));
    widths.push_back(lattice ? task.lattice_size : task.arch.width);
    depths.push_back(lattice ? -1 : task.arch.depth);
    p.push_back(task.kind == TaskKind::thresholds || lattice ? kNaN : task.p);
    biases.push_back(task.kind == TaskKind::training ? std::int64_t{task.bias} : -1);
    activations.emplace_back(task.kind == TaskKind::training ? name(task.activation) : "");
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
       {std::string(schema::kKind), kinds},
       {std::string(schema::kModel), models},
       {std::string(schema::kWidth), widths},
       {std::string(schema::kDepth), depths},
       {std::string(schema::kP), p},
       {std::string(schema::kBias), biases},
       {std::string(schema::kActivation), activations},
       {std::string(schema::kTheta), theta},
       {joined(schema::kTheta, schema::kLowSuffix), low},
       {joined(schema::kTheta, schema::kHighSuffix), high},
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

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::filesystem::path merge(const Store& store, const JobSpec& job, const RunInfo& info) {
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
  {
    h5::File file = h5::File::create(temporary);
    h5::Group root = file.root();
    root.set_attribute(schema::kFormatVersionAttribute, schema::kFormatVersion);
    write_job(root, job, info);
    h5::Group all = root.create_group(schema::kTasks);
    std::vector<Headline> headlines;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      std::vector<UnitResult> units;
      std::vector<double> seconds;
      for (std::int64_t u = 0; u < tasks[t].units; ++u) {
        seconds.push_back(store.seconds(t, u));
        auto result = store.load(t, u);
        if (!result)
          throw StoreError("unit " + std::to_string(u) + " of " + tasks[t].name +
                           " became unreadable");
        units.push_back(std::move(*result));
      }
      h5::Group g = all.create_group(tasks[t].name);
      set_parameters(g, tasks[t]);
      h5::Group timing = g.create_group(schema::kTiming);
      vector(timing, schema::kComputeSeconds, seconds,
             "compute time of each work unit (measured; a unit resumed from a checkpoint counts "
             "its last attempt only)",
             "s");
      switch (tasks[t].kind) {
        case TaskKind::percolation:
          headlines.push_back(write_percolation(g, job, units));
          break;
        case TaskKind::thresholds:
          write_thresholds(g, job, tasks[t], units);
          headlines.emplace_back();
          break;
        case TaskKind::training:
          headlines.push_back(write_training(g, timing, job, units));
          break;
        case TaskKind::lattice:
          write_lattice(g, job, units);
          headlines.emplace_back();
          break;
      }
    }
    write_summary(root, tasks, headlines);
    file.close();
  }
  std::filesystem::rename(temporary, target);
  return target;
}

}  // namespace dropperc
