// dropperc train: one network trained with dropout, instrumented with the percolation
// observables of its masks (docs/training.md).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/core/budget.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/core/topology_theory.hpp"
#include "dropperc/io/schema.hpp"
#include "dropperc/runner/scheduler.hpp"
#include "dropperc/training/training.hpp"

namespace dropperc::cli {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr int kStopped = 3;   // a stop signal: the run so far is in --out
constexpr int kDiverged = 4;  // a loss, gradient or parameter was not finite

struct TrainOptions {
  NetworkOptions network;
  std::string activation = "relu";
  std::string bias = "false";
  std::string initialisation = "he";
  std::string precision = "float32";
  bool shared_mask = false;
  std::int64_t steps = 2000;
  int batch = 32;
  double learning_rate = 0.05;
  double momentum = 0.0;
  std::int64_t eval_interval = 100;
  std::optional<double> target_loss;
  std::uint64_t seed = 1;
  int threads = 1;
  // Data: an HDF5 file, or a teacher.
  std::optional<std::string> dataset;
  double test_fraction = 0.2;
  std::string task = "classification";
  int teacher_width = 16;
  int teacher_depth = 1;
  std::int64_t train_size = 4096;
  std::int64_t test_size = 1024;
  double noise = 0.0;
  // Output.
  std::optional<std::string> out;
  std::int64_t checkpoint_every = 0;
  bool resume = false;
};

// Every setting that determines the run, as text: written to /config of the output file, and
// compared on --resume so that a run never continues under other settings.
using Settings = std::map<std::string, std::string>;
// The settings written only where given, so that runs written before they existed resume.
constexpr const char* kSettingsOnlyWhereGiven[] = {"p_units", "p_weights", "residual",
                                                   "residual_dropout"};

// The exact theta of the trained network's masks (docs/theory.md §2-§3, §11.3), beside the
// measured spanning fraction; nan where the computation would take more than a second (bond on
// wide layers) or where no exact theory exists (skips with unequal widths).
std::string exact_theta(const TrainingConfig& config) {
  const Architecture& arch = config.network.arch;
  const Topology topology = config.network.topology();
  if (topology.is_dense_mlp()) {
    if (drops_edges(config.dropout.model) && chain_seconds(arch) > 1.0) return "nan";
    return number(spanning_probability(arch, config.dropout).theta);
  }
  if (exact_theory_seconds(arch, topology) > 1.0) return "nan";
  try {
    return number(spanning_probability(arch, topology, config.dropout).theta);
  } catch (const std::invalid_argument&) {
    return "nan";  // no exact theory of this network
  }
}

// The lowest weight drop probability of any gap: the most weights kept, the longest step.
double lowest_bond_p(const Dropout& d) {
  return d.bond_layers.empty() ? d.p_bond
                               : *std::min_element(d.bond_layers.begin(), d.bond_layers.end());
}

// A number of the settings: printf "%.15g", as files written by earlier versions hold them.
std::string setting(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.15g", value);
  return buffer;
}

Settings settings_of(const TrainOptions& o, const TrainingConfig& c) {
  std::ostringstream arch;
  arch << c.network.arch;
  Settings s = {{"network", arch.str()},
                {"model", std::string(name(c.dropout.model))},
                {"p_site", setting(c.dropout.p_site)},
                {"p_bond", setting(c.dropout.p_bond)},
                {"p_input", setting(c.dropout.p_input)},
                {"shared_mask", c.shared_mask ? "true" : "false"},
                {"activation", o.activation},
                {"bias", o.bias},
                {"init", o.initialisation},
                {"precision", o.precision},
                {"steps", std::to_string(c.steps)},
                {"batch", std::to_string(c.batch)},
                {"lr", setting(c.learning_rate)},
                {"momentum", setting(c.momentum)},
                {"eval_interval", std::to_string(c.eval_interval)},
                {"target_loss", c.target_loss ? setting(*c.target_loss) : "none"},
                {"seed", std::to_string(c.seed)}};
  // Per-layer probabilities only where given, so that runs written before they existed resume.
  auto layers = [&](const char* key, const std::vector<double>& values) {
    if (values.empty()) return;
    std::string text;
    for (double p : values)
      text += (text.empty() ? "" : ",") + setting(p);
    s[key] = text;
  };
  layers("p_units", c.dropout.site_layers);
  layers("p_weights", c.dropout.bond_layers);
  if (c.network.residual > 0) {  // only where given, as the per-layer probabilities
    s["residual"] = std::to_string(c.network.residual);
    s["residual_dropout"] = c.network.residual_dropout ? "true" : "false";
  }
  if (o.dataset) {
    s.insert({{"dataset", *o.dataset}, {"test_fraction", setting(o.test_fraction)}});
  } else {
    s.insert({{"dataset", "teacher-student"},
              {"task", o.task},
              {"teacher_width", std::to_string(o.teacher_width)},
              {"teacher_depth", std::to_string(o.teacher_depth)},
              {"train_size", std::to_string(o.train_size)},
              {"test_size", std::to_string(o.test_size)},
              {"noise", setting(o.noise)}});
  }
  return s;
}

template <class T>
T require_known(std::optional<T> value, const char* option, const std::string& text,
                const char* expected) {
  if (!value)
    throw UsageError(std::string(option) + ": unknown value '" + text + "' (expected " + expected +
                     ")");
  return *value;
}

DataSplit load_data(const TrainOptions& o, const NetworkOptions& net) {
  if (o.dataset) {
    try {
      return load_dataset(*o.dataset, o.test_fraction, o.seed,
                          limits_of(net.budget, kCommandCoreHours).memory_bytes);
    } catch (const DatasetError& e) {
      throw UsageError(std::string("--dataset: ") + e.what());
    }
  }
  const auto task =
      o.task == "classification" ? LearningTask::classification : LearningTask::regression;
  if (o.train_size < 1 || o.test_size < 1)
    throw UsageError("--train-size and --test-size must be at least 1");
  if (o.teacher_width < 1 || o.teacher_depth < 1) {
    throw UsageError("--teacher-width and --teacher-depth must be at least 1");
  }
  const int outputs = net.output_width.value_or(2);
  if (outputs < (task == LearningTask::classification ? 2 : 1)) {
    throw UsageError("--output-width: " + std::to_string(outputs) + " is too few outputs for " +
                     o.task);
  }
  const TeacherSpec teacher{task,
                            net.input_width.value_or(16),
                            outputs,
                            o.teacher_width,
                            o.teacher_depth,
                            o.train_size,
                            o.test_size,
                            o.noise};
  const double examples = static_cast<double>(o.train_size) + static_cast<double>(o.test_size);
  require_memory(teacher_data_bytes(teacher.architecture(), examples),
                 limits_of(net.budget, kCommandCoreHours), "the teacher-student data");
  return teacher_student(teacher, o.seed);
}

TrainingConfig make_config(const TrainOptions& o, const DataSplit& data) {
  if (o.network.p_grid) throw UsageError("--p-grid: train takes a single drop probability, --p");
  const NetworkRequest request = resolve(o.network);
  TrainingConfig c;
  c.network.arch = request.arch;
  // The network must fit the data: widths not given are the data's.
  if (!o.network.input_width) c.network.arch.input_width = data.train.features();
  if (!o.network.output_width) c.network.arch.output_width = data.train.outputs();
  if (c.network.arch.input_width != data.train.features() ||
      c.network.arch.output_width != data.train.outputs()) {
    throw UsageError("--input-width/--output-width: the network is " +
                     std::to_string(c.network.arch.input_width) + " -> " +
                     std::to_string(c.network.arch.output_width) + " but the data have " +
                     std::to_string(data.train.features()) + " features and " +
                     std::to_string(data.train.outputs()) + " outputs");
  }
  c.network.activation = require_known(parse_activation(o.activation), "--activation", o.activation,
                                       "relu, tanh or identity");
  c.network.bias = o.bias == "true";
  c.network.initialisation = require_known(parse_initialisation(o.initialisation), "--init",
                                           o.initialisation, "he or glorot");
  c.network.residual = request.topology.residual;
  c.network.residual_dropout = request.topology.residual_dropout;
  c.dropout = request.line.at(request.grid[0]);
  c.shared_mask = o.shared_mask;
  c.steps = o.steps;
  c.batch = o.batch;
  c.learning_rate = o.learning_rate;
  c.momentum = o.momentum;
  c.eval_interval = o.eval_interval;
  c.target_loss = o.target_loss;
  c.seed = o.seed;
  try {
    validate(c, data);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return c;
}

// Writes the run to `path` atomically: a temporary file in the same directory, renamed over
// the target once complete, so a crash leaves the old file or the new one.
template <class Scalar>
void save_run(const std::string& path, const Settings& settings, const TrainingState<Scalar>& state,
              const TrainingSummary& summary) {
  const std::string temporary = path + ".tmp";
  {
    h5::File file = h5::File::create(temporary);
    h5::Group root = file.root();
    root.set_attribute(schema::kFormatVersionAttribute, schema::kFormatVersion);
    h5::Group config = root.create_group(schema::kConfig);
    for (const auto& [key, value] : settings)
      config.set_attribute(key, std::string_view(value));
    h5::Group state_group = root.create_group(schema::kState);
    write_state(state_group, state);
    h5::Group s = root.create_group(schema::kSummary);
    s.set_attribute(schema::kStepsDone, summary.steps);
    s.set_attribute(schema::kFinalTrainLoss, summary.final.train_loss);
    s.set_attribute(schema::kFinalTrainAccuracy, summary.final.train_accuracy);
    s.set_attribute(schema::kTestLoss, summary.final.test_loss);
    s.set_attribute(schema::kTestAccuracy, summary.final.test_accuracy);
    s.set_attribute(schema::kSpanningFraction, summary.spanning_fraction);
    s.set_attribute(schema::kZeroGradientFraction, summary.zero_gradient_fraction);
    s.set_attribute(schema::kStepsToTarget, summary.steps_to_target.value_or(-1));
    s.set_attribute(schema::kSamplesPerSecond, summary.samples_per_second);
    s.set_attribute(schema::kDivergedAt, summary.diverged_at);
    file.close();
  }
  std::filesystem::rename(temporary, path);
}

// The state saved in `path`, after checking that it was written under the same settings.
template <class Scalar>
TrainingState<Scalar> resume_from(const std::string& path, const Settings& settings,
                                  const Architecture& arch) {
  try {
    const h5::File file = h5::File::open(path);
    const h5::Group config = file.root().group(schema::kConfig);
    std::string differences;
    for (const auto& [key, value] : settings) {
      const std::string stored =
          config.has_attribute(key) ? config.string_attribute(key) : "(absent)";
      if (stored != value)
        differences += "\n  " + key + ": file has " + stored + ", command line " + value;
    }
    // Settings written only where given: a run that has them is not continued without them.
    for (const char* key : kSettingsOnlyWhereGiven) {
      if (config.has_attribute(key) && !settings.count(key)) {
        differences += "\n  " + std::string(key) + ": file has " + config.string_attribute(key) +
                       ", command line (absent)";
      }
    }
    if (!differences.empty()) {
      throw UsageError("--resume: " + path + " was written with other settings:" + differences);
    }
    return read_state<Scalar>(file.root().group(schema::kState), arch);
  } catch (const h5::Error& e) {
    throw UsageError(std::string("--resume: ") + e.what());
  }
}

std::string show_accuracy(double accuracy) {
  return std::isnan(accuracy) ? std::string("-") : number(accuracy, 4);
}

// The floating options, each finite and within its range (the network's are checked by resolve).
void check_numbers(const TrainOptions& o) {
  require_in(o.learning_rate, "--lr", {0.0, kInfinity, true});
  require_in(o.momentum, "--momentum", {0.0, 1.0, false, true});
  if (o.target_loss) require_in(*o.target_loss, "--target-loss", {0.0, kInfinity});
  require_in(o.test_fraction, "--test-fraction", {0.0, 1.0});
  require_in(o.noise, "--noise", {0.0, kInfinity});
}

template <class Scalar>
int train(const TrainOptions& o) {
  check_numbers(o);
  if (o.threads < 1)
    throw UsageError("--threads: must be at least 1, got " + std::to_string(o.threads));
  if ((o.resume || o.checkpoint_every > 0) && !o.out) {
    throw UsageError(std::string(o.resume ? "--resume" : "--checkpoint-every") +
                     " needs --out FILE");
  }
  set_threads(o.threads);
  const DataSplit data = load_data(o, o.network);
  const TrainingConfig config = make_config(o, data);
  const Limits limits = limits_of(o.network.budget, kCommandCoreHours);
  const Architecture& arch = config.network.arch;
  require_time(
      training_seconds(arch, config.dropout.model, lowest_bond_p(config.dropout),
                       config.shared_mask, static_cast<double>(config.steps), config.batch) /
          3600.0,
      limits, std::to_string(config.steps) + " steps of training this network");
  require_memory(
      training_bytes(arch, config.batch, static_cast<double>(data.train.size() + data.test.size()),
                     static_cast<double>(config.steps), sizeof(Scalar)),
      limits, "training this network");
  const Settings settings = settings_of(o, config);
  Trainer<Scalar> trainer =
      o.resume ? Trainer<Scalar>(config, data,
                                 resume_from<Scalar>(*o.out, settings, config.network.arch))
               : Trainer<Scalar>(config, data);
  const bool csv = o.network.format == "csv";
  if (!csv) {
    // The network trained: its widths come from the data unless given (not theory's defaults).
    std::ostringstream network;
    network << config.network.arch;
    const std::string topology = topology_text(config.network.topology());
    std::printf("# dropperc train: %s dropout, %s%s%s\n",
                std::string(name(config.dropout.model)).c_str(), network.str().c_str(),
                topology.empty() ? "" : ", ", topology.c_str());
  }
  auto report = [&](const Evaluation& e) {
    if (csv) return;
    const auto& steps = trainer.state().steps;
    const bool stepped = !steps.empty();
    std::printf(
        "step %6lld/%lld  loss %-10s spanning %-7s zero-gradient %-4s test loss %-10s test "
        "accuracy %s\n",
        static_cast<long long>(e.step), static_cast<long long>(config.steps),
        stepped ? number(steps.back().loss, 5).c_str() : "-",
        stepped ? number(steps.back().spanning_fraction, 3).c_str() : "-",
        stepped ? std::to_string(steps.back().zero_gradient_samples).c_str() : "-",
        number(e.test_loss, 5).c_str(), show_accuracy(e.test_accuracy).c_str());
    std::fflush(stdout);
  };
  // Step by step, so that a stop signal (SIGTERM, SIGUSR1, SIGINT) is seen within a step: the
  // run written so far is saved to --out (resumable with --resume) and the exit code is 3.
  install_stop_handlers();
  std::int64_t since_checkpoint = 0;
  bool stopped = false;
  while (!trainer.done() && !stopped) {
    trainer.run(report, 1);
    stopped = stop_requested();
    if (o.out && (stopped || trainer.done() || ++since_checkpoint == o.checkpoint_every)) {
      save_run(*o.out, settings, trainer.state(), trainer.summary());
      since_checkpoint = 0;
    }
  }
  const TrainingSummary s = trainer.summary();
  Table table({"steps", "final_train_loss", "final_train_accuracy", "test_loss", "test_accuracy",
               "spanning_fraction", "theta_exact", "zero_gradient_fraction", "steps_to_target",
               "samples_per_second", "diverged_at"});
  table.add_row({std::to_string(s.steps), number(s.final.train_loss),
                 number(s.final.train_accuracy), number(s.final.test_loss),
                 number(s.final.test_accuracy), number(s.spanning_fraction), exact_theta(config),
                 number(s.zero_gradient_fraction),
                 s.steps_to_target ? std::to_string(*s.steps_to_target) : std::string("nan"),
                 number(s.samples_per_second, 6), std::to_string(s.diverged_at)});
  if (!csv) std::printf("\n");
  table.print(stdout, csv);
  if (s.diverged_at > 0) {
    const StepRecord& last = trainer.state().steps.back();
    std::fprintf(stderr,
                 "dropperc train: diverged at step %lld: the %s is not finite (batch loss %s, "
                 "gradient norm %s); try a lower --lr (now %s)%s\n",
                 static_cast<long long>(s.diverged_at), std::string(divergence_cause(last)).c_str(),
                 number(last.loss, 6).c_str(), number(last.gradient_norm, 6).c_str(),
                 setting(o.learning_rate).c_str(), o.momentum > 0 ? " or --momentum" : "");
    return kDiverged;
  }
  if (stopped) {
    std::fprintf(
        stderr, "dropperc train: stopped at step %lld of %lld%s\n", static_cast<long long>(s.steps),
        static_cast<long long>(config.steps),
        o.out ? ("; " + *o.out + " holds the run, continue it with --resume").c_str() : "");
    return kStopped;
  }
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train",
      "Train one MLP with dropout (SGD), recording the percolation observables of its "
      "masks; prints progress and a summary and writes the run to HDF5 (docs/training.md)");
  auto o = std::make_shared<TrainOptions>();
  add_network_options(*command, o->network);
  add_residual_options(*command, o->network.topology);
  auto* c = command;
  c->add_option("--activation", o->activation, "relu, tanh or identity")->capture_default_str();
  c->add_option("--bias", o->bias, "Biases: true or false")
      ->check(CLI::IsMember({"true", "false"}))
      ->capture_default_str();
  c->add_option("--init", o->initialisation, "Initialisation: he or glorot")->capture_default_str();
  c->add_option("--precision", o->precision, "float32 or float64")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str();
  c->add_flag("--shared-mask", o->shared_mask,
              "One mask for the whole batch instead of one per sample");
  c->add_option("--steps", o->steps, "SGD steps")->capture_default_str();
  c->add_option("--batch", o->batch, "Minibatch size")->capture_default_str();
  c->add_option("--lr", o->learning_rate, "Learning rate")->capture_default_str();
  c->add_option("--momentum", o->momentum, "SGD momentum in [0, 1)")->capture_default_str();
  c->add_option("--eval-interval", o->eval_interval,
                "Evaluate without dropout every this many steps")
      ->capture_default_str();
  c->add_option("--target-loss", o->target_loss,
                "Report the first evaluation with test loss <= this");
  add_seed_option(*c, o->seed, "Seed of weights, data, batches and masks");
  c->add_option("--threads", o->threads, "Threads for Eigen's dense products")
      ->capture_default_str();
  c->add_option("--dataset", o->dataset,
                "HDF5 data set (/X, /y, optionally /X_test, /y_test); default: teacher-student");
  c->add_option("--test-fraction", o->test_fraction,
                "Held-out fraction when the file has no test part")
      ->capture_default_str();
  c->add_option("--task", o->task, "Teacher-student: classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  c->add_option("--teacher-width", o->teacher_width, "Teacher-student: the teacher's hidden width")
      ->capture_default_str();
  c->add_option("--teacher-depth", o->teacher_depth, "Teacher-student: the teacher's hidden layers")
      ->capture_default_str();
  c->add_option("--train-size", o->train_size, "Teacher-student: training samples")
      ->capture_default_str();
  c->add_option("--test-size", o->test_size, "Teacher-student: test samples")
      ->capture_default_str();
  c->add_option("--noise", o->noise, "Teacher-student regression: target noise s.d.")
      ->capture_default_str();
  c->add_option("--out", o->out,
                "Write the run (settings, records, final state, summary) to this HDF5 file");
  c->add_option("--checkpoint-every", o->checkpoint_every, "Also write --out every this many steps")
      ->capture_default_str();
  c->add_flag("--resume", o->resume, "Continue the run saved in --out (same settings required)");
  return {command,
          [o] { return o->precision == "float64" ? train<double>(*o) : train<float>(*o); }};
}

}  // namespace dropperc::cli
