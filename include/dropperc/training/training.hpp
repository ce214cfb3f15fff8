#pragma once
// SGD training of an MLP under dropout, instrumented with percolation observables of the very
// masks that train it (docs/training.md).
//
// Reproducibility: step t visits the samples at positions tB .. tB + B - 1 of a sequence of
// epochs, each a permutation drawn from (seed, training_batches, epoch); the mask of sample b
// of step t comes from (seed, training_masks + stream, t, b). Nothing random is carried from
// step to step, so TrainingState (parameters, velocity, step, records) is all a resumed run
// needs to continue bit for bit.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dropperc/io/h5.hpp"
#include "dropperc/training/dataset.hpp"
#include "dropperc/training/mlp.hpp"

namespace dropperc {

struct TrainingConfig {
  MlpSpec network;           ///< input and output widths must match the data
  Dropout dropout;           ///< model, probabilities and input dropout
  bool shared_mask = false;  ///< one mask for the whole batch instead of one per sample
  /// Record the masks' spanning and backbone and the samples with zero gradient (the cost is
  /// measured in docs/performance.md; off only for that measurement).
  bool instrument = true;
  std::int64_t steps = 1000;
  int batch = 32;
  double learning_rate = 0.05;
  double momentum = 0.0;  ///< v <- momentum v + g; w <- w - learning_rate v (PyTorch SGD)
  std::int64_t eval_interval = 100;   ///< evaluate every this many steps (and at the end)
  std::optional<double> target_loss;  ///< report the first evaluation with test loss <= target
  std::uint64_t seed = 1;
  std::uint64_t stream = 0;  ///< independent replicas with one seed differ here (< 2^48)
};

/// Throws std::invalid_argument naming the field: sizes, probabilities, learning rate, and a
/// network whose input or output width does not match the data.
void validate(const TrainingConfig& config, const DataSplit& data);

/// One SGD step.
struct StepRecord {
  std::int64_t step = 0;                  ///< 1-based: the state after this many steps
  double loss = 0.0;                      ///< batch loss under dropout
  double spanning_fraction = 0.0;         ///< samples whose mask has a directed path
  double backbone_weight_fraction = 0.0;  ///< mean over the batch's masks
  double gradient_norm = 0.0;             ///< of the batch gradient
  int zero_gradient_samples = 0;          ///< samples whose own gradient is exactly zero
};

/// Loss and accuracy without dropout; accuracies are NaN for regression.
struct Evaluation {
  std::int64_t step = 0;
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  double test_loss = 0.0;
  double test_accuracy = 0.0;
};

template <class Scalar>
struct TrainingState {
  Parameters<Scalar> params;
  Parameters<Scalar> velocity;
  std::int64_t step = 0;
  std::vector<StepRecord> steps;
  std::vector<Evaluation> evaluations;
  double training_seconds = 0.0;  ///< time in steps, evaluation excluded (not reproducible)
  /// The step at which the run diverged: the first whose loss, gradient or updated parameters
  /// were not finite (0: none). A diverged run is done: it stops there (its records end with
  /// that step, and an evaluation of the diverged parameters).
  std::int64_t diverged_at = 0;
};

/// What was not finite at a diverged step: "loss", "gradient" or "parameters".
std::string_view divergence_cause(const StepRecord& record);

struct TrainingSummary {
  std::int64_t steps = 0;
  Evaluation final;                ///< at the last step
  double spanning_fraction = 0.0;  ///< over every sample of every step
  double zero_gradient_fraction = 0.0;
  std::optional<std::int64_t> steps_to_target;
  double samples_per_second = 0.0;  ///< training throughput, evaluation excluded
  std::int64_t diverged_at = 0;     ///< TrainingState::diverged_at
};

template <class Scalar>
class Trainer {
 public:
  /// Fresh parameters from (seed, training_init + stream); validates the config. `data` is
  /// referenced, not copied: it must outlive the trainer.
  Trainer(const TrainingConfig& config, const DataSplit& data);
  /// Continues from a saved state.
  Trainer(const TrainingConfig& config, const DataSplit& data, TrainingState<Scalar> state);

  /// One SGD step; returns (and records) what it measured.
  const StepRecord& step();
  /// Evaluates without dropout and records the result.
  const Evaluation& evaluate();
  /// Steps (evaluating before the first step, every eval_interval steps and at the end) until
  /// config.steps are done, the run diverged, or `stop_after` more steps have run; calls
  /// on_evaluation after each evaluation.
  template <class OnEvaluation>
  void run(OnEvaluation on_evaluation, std::int64_t stop_after = -1);

  /// All steps done, or diverged.
  bool done() const { return state_.step >= config_.steps || state_.diverged_at > 0; }
  const TrainingState<Scalar>& state() const { return state_; }
  TrainingSummary summary() const;
  /// The training samples of step t (0-based): positions tB .. tB + B - 1 of the epochs'
  /// permutations, so every epoch visits every sample once.
  std::vector<std::int64_t> batch_indices(std::int64_t step);

 private:
  TrainingConfig config_;
  const DataSplit* data_;
  TrainingState<Scalar> state_;
  // Reused from step to step: nothing is allocated per step.
  Backpropagation<Scalar> backpropagation_;
  BatchMasks masks_;
  Matrix<Scalar> x_;
  BatchTargets<Scalar> targets_;
  std::int64_t epoch_ = -1;  // the epoch whose permutation order_ holds
  std::vector<std::int64_t> order_;
};

template <class Scalar>
template <class OnEvaluation>
void Trainer<Scalar>::run(OnEvaluation on_evaluation, std::int64_t stop_after) {
  if (state_.step == 0 && state_.evaluations.empty()) on_evaluation(evaluate());
  for (std::int64_t n = 0; !done() && n != stop_after; ++n) {
    step();
    if (state_.step % config_.eval_interval == 0 || done()) on_evaluation(evaluate());
  }
}

/// Writes the state under `group` (schema.hpp names); read_state restores it exactly.
template <class Scalar>
void write_state(h5::Group& group, const TrainingState<Scalar>& state);
template <class Scalar>
TrainingState<Scalar> read_state(const h5::Group& group, const Architecture& arch);

/// Eigen's thread count for the dense products (1 by default).
void set_threads(int threads);

}  // namespace dropperc
