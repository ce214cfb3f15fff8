#include "dropperc/training/training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "dropperc/core/budget.hpp"
#include "dropperc/core/percolation.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

// The memory budget of a run (core/budget.hpp) counts this much per step: a record and an
// evaluation, twice over for the growth of their vectors.
static_assert(2 * (sizeof(StepRecord) + sizeof(Evaluation)) <= kTrainingRecordBytes);

namespace {

constexpr Eigen::Index kEvaluationChunk = 4096;  // samples per prediction batch

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Loss and accuracy of a whole data set without dropout, in chunks to bound memory.
template <class Scalar>
std::pair<double, double> assess(const MlpSpec& spec, const Parameters<Scalar>& params,
                                 const Dataset& data) {
  double loss_sum = 0.0;
  std::int64_t correct = 0;
  Matrix<Scalar> x;
  BatchTargets<Scalar> targets;
  std::vector<std::int64_t> indices;
  for (Eigen::Index first = 0; first < data.size(); first += kEvaluationChunk) {
    const Eigen::Index last = std::min(data.size(), first + kEvaluationChunk);
    indices.resize(static_cast<std::size_t>(last - first));
    std::iota(indices.begin(), indices.end(), first);
    data.batch<Scalar>(indices, x, targets);
    const Matrix<Scalar> output = predict(spec, params, x);
    loss_sum += loss_value(data.loss(), output, targets) * static_cast<double>(last - first);
    if (data.task != LearningTask::classification) continue;
    for (Eigen::Index b = 0; b < output.cols(); ++b) {
      Eigen::Index top = 0;
      output.col(b).maxCoeff(&top);
      correct += top == targets.labels[static_cast<std::size_t>(b)];
    }
  }
  const auto n = static_cast<double>(data.size());
  const double accuracy = data.task == LearningTask::classification
                              ? static_cast<double>(correct) / n
                              : std::numeric_limits<double>::quiet_NaN();
  return {loss_sum / n, accuracy};
}

// Whether every weight and bias is finite (a float overflow makes infinities before NaN).
template <class Scalar>
bool all_finite(const Parameters<Scalar>& p) {
  return std::ranges::all_of(p.weights, [](const auto& w) { return w.allFinite(); }) &&
         std::ranges::all_of(p.biases, [](const auto& b) { return b.allFinite(); });
}

// v <- momentum v + g; p <- p - rate v, for every weight matrix and bias vector.
template <class Scalar>
void sgd_update(const TrainingConfig& config, const Parameters<Scalar>& gradient,
                TrainingState<Scalar>& state) {
  const auto momentum = static_cast<Scalar>(config.momentum);
  const auto rate = static_cast<Scalar>(config.learning_rate);
  for (std::size_t g = 0; g < gradient.weights.size(); ++g) {
    state.velocity.weights[g] = momentum * state.velocity.weights[g] + gradient.weights[g];
    state.params.weights[g] -= rate * state.velocity.weights[g];
    if (!config.network.bias) continue;
    state.velocity.biases[g] = momentum * state.velocity.biases[g] + gradient.biases[g];
    state.params.biases[g] -= rate * state.velocity.biases[g];
  }
}

template <class Scalar>
using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class Scalar>
void write_parameters(h5::Group group, const Parameters<Scalar>& p) {
  for (std::size_t g = 0; g < p.weights.size(); ++g) {
    const RowMajor<Scalar> w = p.weights[g];
    const std::string index = std::to_string(g);
    group.write<Scalar>(
        std::string(schema::kWeights) + "/" + index,
        std::span<const Scalar>(w.data(), static_cast<std::size_t>(w.size())),
        {static_cast<std::uint64_t>(w.rows()), static_cast<std::uint64_t>(w.cols())});
    group.write<Scalar>(
        std::string(schema::kBiases) + "/" + index,
        std::span<const Scalar>(p.biases[g].data(), static_cast<std::size_t>(p.biases[g].size())),
        {static_cast<std::uint64_t>(p.biases[g].size())});
  }
}

template <class Scalar>
Parameters<Scalar> read_parameters(const h5::Group& group, const Architecture& arch) {
  Parameters<Scalar> p = Parameters<Scalar>::zeros(arch);
  for (std::size_t g = 0; g < p.weights.size(); ++g) {
    const std::string index = std::to_string(g);
    const std::string weights = std::string(schema::kWeights) + "/" + index;
    const h5::Shape shape = group.shape(weights);
    if (shape != h5::Shape{static_cast<std::uint64_t>(p.weights[g].rows()),
                           static_cast<std::uint64_t>(p.weights[g].cols())}) {
      throw h5::Error(group.file_name() + ": " + group.path() + "/" + weights +
                      ": shape does not match the network " + std::to_string(p.weights[g].rows()) +
                      " x " + std::to_string(p.weights[g].cols()));
    }
    const auto w = group.read<Scalar>(weights);
    p.weights[g] =
        Eigen::Map<const RowMajor<Scalar>>(w.data(), p.weights[g].rows(), p.weights[g].cols());
    const auto b = group.read<Scalar>(std::string(schema::kBiases) + "/" + index);
    p.biases[g] = Eigen::Map<const Vector<Scalar>>(b.data(), p.biases[g].size());
  }
  return p;
}

// One column of a record table.
template <class Record, class Field>
std::vector<Field> column(const std::vector<Record>& records, Field Record::*field) {
  std::vector<Field> values;
  values.reserve(records.size());
  for (const Record& r : records)
    values.push_back(r.*field);
  return values;
}

template <class Record, class Field, class Stored>
void fill(std::vector<Record>& records, Field Record::*field, const std::vector<Stored>& values) {
  records.resize(values.size());
  for (std::size_t k = 0; k < values.size(); ++k)
    records[k].*field = static_cast<Field>(values[k]);
}

template <class Scalar>
const char* precision_name() {
  return sizeof(Scalar) == sizeof(float) ? "float32" : "float64";
}

}  // namespace

void validate(const TrainingConfig& c, const DataSplit& data) {
  validate(c.network);
  validate(c.dropout, c.network.arch);
  require(c.steps >= 1, "steps = " + std::to_string(c.steps) + ": must be at least 1");
  require(c.batch >= 1, "batch = " + std::to_string(c.batch) + ": must be at least 1");
  require(std::isfinite(c.learning_rate) && c.learning_rate > 0,
          "learning rate = " + std::to_string(c.learning_rate) + ": must be positive");
  require(c.momentum >= 0 && c.momentum < 1,
          "momentum = " + std::to_string(c.momentum) + ": must lie in [0, 1)");
  require(c.eval_interval >= 1,
          "evaluation interval = " + std::to_string(c.eval_interval) + ": must be at least 1");
  require(c.stream < (std::uint64_t{1} << 48), "stream id must be below 2^48");
  require(data.train.size() >= 1 && data.test.size() >= 1, "the data set has an empty part");
  require(c.network.arch.input_width == data.train.features(),
          "input width = " + std::to_string(c.network.arch.input_width) + ": the data have " +
              std::to_string(data.train.features()) + " features");
  require(c.network.arch.output_width == data.train.outputs(),
          "output width = " + std::to_string(c.network.arch.output_width) + ": the data have " +
              std::to_string(data.train.outputs()) + " " +
              (data.train.task == LearningTask::classification ? "classes" : "target components"));
}

template <class Scalar>
Trainer<Scalar>::Trainer(const TrainingConfig& config, const DataSplit& data)
    : config_(config), data_(&data) {
  validate(config, data);
  RandomStream rng({config.seed, stream_id(StreamDomain::training_init, config.stream), 0, 0});
  state_.params = initial_parameters<Scalar>(config.network, rng);
  state_.velocity = Parameters<Scalar>::zeros(config.network.arch);
}

template <class Scalar>
Trainer<Scalar>::Trainer(const TrainingConfig& config, const DataSplit& data,
                         TrainingState<Scalar> state)
    : config_(config), data_(&data), state_(std::move(state)) {
  validate(config, data);
}

template <class Scalar>
std::vector<std::int64_t> Trainer<Scalar>::batch_indices(std::int64_t step) {
  const std::int64_t n = data_->train.size();
  std::vector<std::int64_t> indices;
  for (std::int64_t b = 0; b < config_.batch; ++b) {
    const std::int64_t position = step * config_.batch + b;
    if (position / n != epoch_) {
      epoch_ = position / n;
      order_.resize(static_cast<std::size_t>(n));
      std::iota(order_.begin(), order_.end(), 0);
      RandomStream rng({config_.seed, stream_id(StreamDomain::training_batches, config_.stream),
                        static_cast<std::uint64_t>(epoch_), 0});
      for (std::int64_t i = n - 1; i > 0; --i) {
        std::swap(order_[i], order_[draw_below(rng, static_cast<std::uint64_t>(i + 1))]);
      }
    }
    indices.push_back(order_[static_cast<std::size_t>(position % n)]);
  }
  return indices;
}

template <class Scalar>
const StepRecord& Trainer<Scalar>::step() {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t t = state_.step;
  data_->train.batch<Scalar>(batch_indices(t), x_, targets_);

  const Architecture& arch = config_.network.arch;
  const int count = config_.shared_mask ? 1 : config_.batch;
  masks_.dropout = config_.dropout;
  const MlpSpec& spec = config_.network;
  if (masks_.masks.size() != static_cast<std::size_t>(count)) {
    masks_.masks.assign(static_cast<std::size_t>(count), Mask(arch));
    masks_.skips.clear();
    if (spec.residual > 0) {
      masks_.skips.assign(static_cast<std::size_t>(count),
                          SkipMask(arch, spec.residual, spec.residual_dropout));
    }
  }
  StepRecord record;
  for (int b = 0; b < count; ++b) {
    RandomStream rng({config_.seed, stream_id(StreamDomain::training_masks, config_.stream),
                      static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(b)});
    Mask& mask = masks_.masks[static_cast<std::size_t>(b)];
    if (spec.residual > 0) {
      mask.redraw(config_.dropout, masks_.skips[static_cast<std::size_t>(b)], rng,
                  MaskDraw::packed);
    } else {
      mask.redraw(config_.dropout, rng, MaskDraw::packed);
    }
    if (!config_.instrument) continue;
    const Backbone path = spec.residual > 0
                              ? backbone(mask, masks_.skips[static_cast<std::size_t>(b)])
                              : backbone(mask);
    record.spanning_fraction += path.directed_spanning;
    record.backbone_weight_fraction += static_cast<double>(path.weights);
  }
  record.spanning_fraction /= count;
  record.backbone_weight_fraction /= static_cast<double>(count) * static_cast<double>(arch.edges());

  const BatchGradient<Scalar>& result =
      backpropagation_.run(config_.network, state_.params, x_, targets_, data_->train.loss(),
                           masks_, config_.instrument);
  sgd_update(config_, result.gradient, state_);
  record.step = ++state_.step;
  record.loss = result.loss;
  record.gradient_norm = result.gradient.norm();
  record.zero_gradient_samples =
      static_cast<int>(std::count(result.zero_gradient.begin(), result.zero_gradient.end(), 1));
  if (!std::isfinite(record.loss) || !std::isfinite(record.gradient_norm) ||
      !all_finite(state_.params)) {
    state_.diverged_at = record.step;
  }
  state_.training_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state_.steps.push_back(record);
  return state_.steps.back();
}

template <class Scalar>
const Evaluation& Trainer<Scalar>::evaluate() {
  Evaluation e;
  e.step = state_.step;
  std::tie(e.train_loss, e.train_accuracy) = assess(config_.network, state_.params, data_->train);
  std::tie(e.test_loss, e.test_accuracy) = assess(config_.network, state_.params, data_->test);
  state_.evaluations.push_back(e);
  return state_.evaluations.back();
}

std::string_view divergence_cause(const StepRecord& record) {
  if (!std::isfinite(record.loss)) return "loss";
  return std::isfinite(record.gradient_norm) ? "parameters" : "gradient";
}

template <class Scalar>
TrainingSummary Trainer<Scalar>::summary() const {
  TrainingSummary s;
  s.steps = state_.step;
  s.diverged_at = state_.diverged_at;
  if (!state_.evaluations.empty()) s.final = state_.evaluations.back();
  double spans = 0.0, zeros = 0.0;
  for (const StepRecord& r : state_.steps) {
    spans += r.spanning_fraction;
    zeros += r.zero_gradient_samples;
  }
  const auto records = static_cast<double>(state_.steps.size());
  if (records > 0) {
    s.spanning_fraction = spans / records;
    s.zero_gradient_fraction = zeros / (records * config_.batch);
  }
  if (config_.target_loss) {
    for (const Evaluation& e : state_.evaluations) {
      if (e.test_loss <= *config_.target_loss) {
        s.steps_to_target = e.step;
        break;
      }
    }
  }
  if (state_.training_seconds > 0) {
    s.samples_per_second = records * config_.batch / state_.training_seconds;
  }
  return s;
}

template <class Scalar>
void write_state(h5::Group& group, const TrainingState<Scalar>& state) {
  group.set_attribute(schema::kStep, state.step);
  group.set_attribute(schema::kPrecision, std::string_view(precision_name<Scalar>()));
  group.set_attribute(schema::kTrainingSeconds, state.training_seconds);
  group.set_attribute(schema::kDivergedAt, state.diverged_at);
  write_parameters(group.create_group(schema::kParameters), state.params);
  write_parameters(group.create_group(schema::kVelocity), state.velocity);
  h5::Group steps = group.create_group(schema::kStepRecords);
  steps.write(schema::kStep, column(state.steps, &StepRecord::step));
  steps.write(schema::kLoss, column(state.steps, &StepRecord::loss));
  steps.write(schema::kSpanningFraction, column(state.steps, &StepRecord::spanning_fraction));
  steps.write(schema::kBackboneWeightFraction,
              column(state.steps, &StepRecord::backbone_weight_fraction));
  steps.write(schema::kGradientNorm, column(state.steps, &StepRecord::gradient_norm));
  steps.write(schema::kZeroGradientSamples,
              column(state.steps, &StepRecord::zero_gradient_samples));
  h5::Group evaluations = group.create_group(schema::kEvaluations);
  evaluations.write(schema::kStep, column(state.evaluations, &Evaluation::step));
  evaluations.write(schema::kTrainLoss, column(state.evaluations, &Evaluation::train_loss));
  evaluations.write(schema::kTrainAccuracy, column(state.evaluations, &Evaluation::train_accuracy));
  evaluations.write(schema::kTestLoss, column(state.evaluations, &Evaluation::test_loss));
  evaluations.write(schema::kTestAccuracy, column(state.evaluations, &Evaluation::test_accuracy));
}

template <class Scalar>
TrainingState<Scalar> read_state(const h5::Group& group, const Architecture& arch) {
  const std::string precision = group.string_attribute(schema::kPrecision);
  if (precision != precision_name<Scalar>()) {
    throw h5::Error(group.file_name() + ": " + group.path() + ": the state was saved in " +
                    precision + ", not " + precision_name<Scalar>());
  }
  TrainingState<Scalar> state;
  state.step = group.integer_attribute(schema::kStep);
  state.training_seconds = group.number_attribute(schema::kTrainingSeconds);
  // Absent from states written before divergence stopped a run: those ran to their last step.
  if (group.has_attribute(schema::kDivergedAt))
    state.diverged_at = group.integer_attribute(schema::kDivergedAt);
  state.params = read_parameters<Scalar>(group.group(schema::kParameters), arch);
  state.velocity = read_parameters<Scalar>(group.group(schema::kVelocity), arch);
  const h5::Group steps = group.group(schema::kStepRecords);
  fill(state.steps, &StepRecord::step, steps.read<std::int64_t>(schema::kStep));
  fill(state.steps, &StepRecord::loss, steps.read<double>(schema::kLoss));
  fill(state.steps, &StepRecord::spanning_fraction, steps.read<double>(schema::kSpanningFraction));
  fill(state.steps, &StepRecord::backbone_weight_fraction,
       steps.read<double>(schema::kBackboneWeightFraction));
  fill(state.steps, &StepRecord::gradient_norm, steps.read<double>(schema::kGradientNorm));
  fill(state.steps, &StepRecord::zero_gradient_samples,
       steps.read<std::int32_t>(schema::kZeroGradientSamples));
  const h5::Group evaluations = group.group(schema::kEvaluations);
  fill(state.evaluations, &Evaluation::step, evaluations.read<std::int64_t>(schema::kStep));
  fill(state.evaluations, &Evaluation::train_loss, evaluations.read<double>(schema::kTrainLoss));
  fill(state.evaluations, &Evaluation::train_accuracy,
       evaluations.read<double>(schema::kTrainAccuracy));
  fill(state.evaluations, &Evaluation::test_loss, evaluations.read<double>(schema::kTestLoss));
  fill(state.evaluations, &Evaluation::test_accuracy,
       evaluations.read<double>(schema::kTestAccuracy));
  return state;
}

void set_threads(int threads) {
  Eigen::setNbThreads(threads);
}

template class Trainer<float>;
template class Trainer<double>;
template void write_state(h5::Group&, const TrainingState<float>&);
template void write_state(h5::Group&, const TrainingState<double>&);
template TrainingState<float> read_state(const h5::Group&, const Architecture&);
template TrainingState<double> read_state(const h5::Group&, const Architecture&);

}  // namespace dropperc
