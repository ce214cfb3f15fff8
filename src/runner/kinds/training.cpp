// Training tasks: independently trained replicas at one grid point (docs/training.md). A unit
// is one replica, run to its last step from a checkpoint if it has one; its unit file holds the
// final training state; the merged task holds per-step and per-evaluation curves of every
// replica and their summaries.

#include <algorithm>
#include <chrono>
#include <functional>

#include "datasets.hpp"
#include "kinds.hpp"
#include "network_blocks.hpp"

#include "dropperc/core/budget.hpp"
#include "dropperc/core/rng.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A stored replica's architecture: its hidden layers from its task, W_in and W_out (the data's)
// from the shapes of its first and last weight matrices; read_state then checks every shape.
Architecture replica_arch_of(const h5::Group& state, const Task& task) {
  const h5::Group weights =
      state.group(std::string(schema::kParameters) + "/" + std::string(schema::kWeights));
  const h5::Shape first = weights.shape("0");
  const h5::Shape last = weights.shape(std::to_string(task.arch.depth()));
  if (first.size() != 2 || last.size() != 2) {
    throw h5::Error(state.file_name() + ": " + weights.path() + ": weights are not matrices");
  }
  return task.arch.with_ends(static_cast<int>(first[1]), static_cast<int>(last[0]));
}

}  // namespace

TrainingConfig replica_config(const JobSpec& job, const Task& task, const DataSplit& data,
                              std::int64_t index) {
  const TrainingSpec& spec = *job.training;
  TrainingConfig c;
  c.network.arch = task.arch.with_ends(data.train.features(), data.train.outputs());
  c.network.activation = task.activation;
  c.network.bias = task.bias;
  c.network.initialisation = spec.initialisation;
  c.network.residual = task.topology.residual;
  c.network.residual_dropout = task.topology.residual_dropout;
  c.dropout = ScanLine::of(task.model, task.p_input).at(task.p);
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

namespace kinds {

double Training::cost(const JobSpec& job, const Task& task, std::int64_t) {
  const TrainingSpec& t = *job.training;
  return training_seconds(task.arch, task.model, task.p, t.shared_mask,
                          static_cast<double>(t.steps), t.batch);
}

double Training::memory(const JobSpec& job, const Task& task) {
  // A teacher's data are generated per replica; a file's were read (and checked) at parse time.
  const TrainingSpec& t = *job.training;
  const double steps = static_cast<double>(t.steps);
  if (t.dataset) return training_bytes(task.arch, t.batch, 0.0, steps);
  const double examples = static_cast<double>(t.teacher.train_size + t.teacher.test_size);
  return training_bytes(task.arch, t.batch, examples, steps) +
         teacher_data_bytes(t.teacher.architecture(), examples);
}

Settings Training::settings(const JobSpec& job, const Task& task) {
  Settings s = {
      {"kind", std::string(name(task.kind))},   {"model", std::string(name(task.model))},
      {"width", hidden_widths_text(task.arch)}, {"depth", std::to_string(task.arch.depth())},
      {"seed", std::to_string(job.seed)},       {"p", canonical_number(task.p)}};
  const TrainingSpec& t = *job.training;
  s.insert({{"bias", task.bias ? "true" : "false"},
            {"activation", std::string(name(task.activation))},
            {"batch", std::to_string(t.batch)},
            {"learning_rate", canonical_number(t.learning_rate)},
            {"momentum", canonical_number(t.momentum)},
            {"eval_interval", std::to_string(t.eval_interval)},
            {"target_loss", t.target_loss ? canonical_number(*t.target_loss) : "none"},
            {"shared_mask", t.shared_mask ? "true" : "false"},
            {"init", std::string(name(t.initialisation))}});
  if (task.p_input > 0.0) s["input_dropout"] = canonical_number(task.p_input);
  add_topology_setting(task, s);
  if (t.dataset) {
    s.insert(
        {{"dataset", t.dataset->string()}, {"test_fraction", canonical_number(t.test_fraction)}});
  } else {
    const TeacherSpec& teacher = t.teacher;
    s.insert(
        {{"dataset", "teacher-student"},
         {"teacher",
          std::string(name(teacher.task)) + " features=" + std::to_string(teacher.input_width) +
              " outputs=" + std::to_string(teacher.outputs) + " width=" +
              std::to_string(teacher.width) + " depth=" + std::to_string(teacher.depth) +
              " train=" + std::to_string(teacher.train_size) + " test=" +
              std::to_string(teacher.test_size) + " noise=" + canonical_number(teacher.noise)}});
  }
  return s;
}

std::optional<UnitResult> Training::run(const UnitContext& c, std::int64_t index,
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

bool Training::complete(const h5::Group& unit, const JobSpec& job, const Task&, std::int64_t) {
  // Fewer steps: the job now asks for more, and the replica continues from this state; unless it
  // diverged, which ends it for good.
  const h5::Group state = unit.group(schema::kState);
  if (state.has_attribute(schema::kDivergedAt) &&
      state.integer_attribute(schema::kDivergedAt) > 0) {
    return true;
  }
  return state.integer_attribute(schema::kStep) == job.training->steps;
}

void Training::save(h5::Group& unit, const Result& replica) {
  h5::Group state = unit.create_group(schema::kState);
  write_state(state, replica.state);
}

TrainingReplica Training::load(const h5::Group& unit, const JobSpec&, const Task& task,
                               std::int64_t) {
  const h5::Group state = unit.group(schema::kState);
  return TrainingReplica{read_state<float>(state, replica_arch_of(state, task))};
}

SummaryRow Training::merge(h5::Group& g, h5::Group& timing, const JobSpec& job, const Task& task,
                           const std::vector<Result>& replicas) {
  write_network_parameters(g, task, true);
  g.set_attribute(schema::kBias, std::int64_t{task.bias});
  g.set_attribute(schema::kActivation, name(task.activation));
  std::vector<std::vector<double>> loss, spanning, backbone, gradient, zeros, train_loss,
      train_accuracy, test_loss, test_accuracy;
  std::vector<double> final_test_loss, final_test_accuracy, final_train_loss, zero_fraction,
      span_fraction, to_target, seconds, throughput, steps, evaluation_steps, diverged_at;
  const TrainingSpec& spec = *job.training;
  for (const TrainingReplica& replica : replicas) {
    const TrainingState<float>& s = replica.state;
    auto column = [&](auto field) {
      std::vector<double> values;
      for (const StepRecord& r : s.steps)
        values.push_back(static_cast<double>(r.*field));
      return values;
    };
    // Evaluations on the schedule (every eval_interval steps and at the end): a diverged
    // replica's last one, at the step it diverged, belongs to no column.
    auto scheduled = [&](const Evaluation& e) {
      return e.step % spec.eval_interval == 0 || e.step == spec.steps;
    };
    auto evaluation = [&](auto field) {
      std::vector<double> values;
      for (const Evaluation& e : s.evaluations) {
        if (scheduled(e)) values.push_back(e.*field);
      }
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
    diverged_at.push_back(static_cast<double>(s.diverged_at));
    // The columns' steps: those of the longest replica (a diverged one stopped early; its rows
    // are padded with NaN).
    if (s.steps.size() > steps.size()) {
      steps.clear();
      for (const StepRecord& r : s.steps)
        steps.push_back(static_cast<double>(r.step));
    }
    if (const auto count =
            static_cast<std::size_t>(std::ranges::count_if(s.evaluations, scheduled));
        count > evaluation_steps.size()) {
      evaluation_steps.clear();
      for (const Evaluation& e : s.evaluations) {
        if (scheduled(e)) evaluation_steps.push_back(static_cast<double>(e.step));
      }
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
  vector(g, schema::kDivergedAt, diverged_at,
         "step at which the replica diverged: the first whose loss, gradient or parameters were "
         "not finite; its curves end there, padded with NaN (0: never), per replica",
         "steps");
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
  SummaryRow row = network_row(task, true);
  row.bias = task.bias;
  row.activation = std::string(name(task.activation));
  row.test_loss = mean(final_test_loss);
  row.test_accuracy = mean(final_test_accuracy);
  row.spanning_fraction = mean(span_fraction);
  row.zero_gradient_fraction = mean(zero_fraction);
  return row;
}

}  // namespace kinds

}  // namespace dropperc
