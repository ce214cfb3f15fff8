#include <cmath>
#include <map>
#include <stdexcept>

#include <gtest/gtest.h>

#include "dropperc/core/theory.hpp"
#include "dropperc/training/training.hpp"

namespace dropperc {
namespace {

DataSplit classification_data(int features, int classes, std::int64_t train = 512) {
  return teacher_student({LearningTask::classification, features, classes, 12, 1, train, 256, 0.0},
                         17);
}

TrainingConfig config_for(const Architecture& arch, const Dropout& dropout, std::int64_t steps) {
  TrainingConfig c;
  c.network = {arch, Activation::relu, false, Initialisation::he};
  c.dropout = dropout;
  c.steps = steps;
  c.batch = 16;
  c.learning_rate = 0.05;
  c.momentum = 0.5;
  c.eval_interval = 10;
  c.seed = 3;
  return c;
}

template <class Scalar>
void expect_same_state(const TrainingState<Scalar>& a, const TrainingState<Scalar>& b) {
  EXPECT_EQ(a.step, b.step);
  EXPECT_TRUE(a.params == b.params);
  EXPECT_TRUE(a.velocity == b.velocity);
  ASSERT_EQ(a.steps.size(), b.steps.size());
  for (std::size_t k = 0; k < a.steps.size(); ++k) {
    EXPECT_EQ(a.steps[k].loss, b.steps[k].loss);
    EXPECT_EQ(a.steps[k].gradient_norm, b.steps[k].gradient_norm);
    EXPECT_EQ(a.steps[k].spanning_fraction, b.steps[k].spanning_fraction);
    EXPECT_EQ(a.steps[k].zero_gradient_samples, b.steps[k].zero_gradient_samples);
  }
  ASSERT_EQ(a.evaluations.size(), b.evaluations.size());
  for (std::size_t k = 0; k < a.evaluations.size(); ++k) {
    EXPECT_EQ(a.evaluations[k].test_loss, b.evaluations[k].test_loss);
  }
}

// N steps straight equal N/2 steps, checkpoint to HDF5, resume in a new trainer, N/2 steps:
// bit for bit, for every dropout model, per-sample and shared masks, float and double.
template <class Scalar>
void check_exact_resume(const Dropout& dropout, bool shared) {
  const DataSplit data = classification_data(6, 3);
  TrainingConfig config = config_for({6, 10, 3, 3}, dropout, 40);
  config.shared_mask = shared;
  Trainer<Scalar> straight(config, data);
  straight.run([](const Evaluation&) {});

  Trainer<Scalar> first(config, data);
  first.run([](const Evaluation&) {}, 20);
  const auto path = std::filesystem::path(::testing::TempDir()) / "dropperc_checkpoint.h5";
  {
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    h5::Group state = root.create_group("state");
    write_state(state, first.state());
    file.close();
  }
  const h5::File file = h5::File::open(path);
  Trainer<Scalar> resumed(config, data,
                          read_state<Scalar>(file.root().group("state"), config.network.arch));
  resumed.run([](const Evaluation&) {});
  expect_same_state(straight.state(), resumed.state());
}

TEST(Training, ResumeFromCheckpointIsBitForBit) {
  for (Dropout d : {Dropout::of(DropoutModel::site, 0.3), Dropout::of(DropoutModel::bond, 0.4),
                    Dropout{DropoutModel::site_bond, 0.2, 0.3, 0.1}}) {
    check_exact_resume<float>(d, false);
    check_exact_resume<float>(d, true);
    check_exact_resume<double>(d, false);
  }
}

// docs/theory.md §6: bias-free, sigma(0) = 0 (tanh has no dead units), masks independent of
// the weights: each sample's gradient is exactly zero iff its mask does not span, so every
// step has zero_gradient_samples = B (1 - spanning fraction), and the fraction over many steps
// equals 1 - theta within 4 sigma.
TEST(Training, ZeroGradientFractionIsOneMinusTheta) {
  struct Case {
    Architecture arch;
    Dropout dropout;
  };
  for (const Case& c : {Case{{6, 4, 6, 3}, Dropout::of(DropoutModel::site, 0.5)},
                        Case{{6, 3, 6, 3}, Dropout::of(DropoutModel::bond, 0.6)}}) {
    const DataSplit data = classification_data(6, 3);
    TrainingConfig config = config_for(c.arch, c.dropout, 400);
    config.network.activation = Activation::tanh;
    config.batch = 32;
    config.eval_interval = 400;
    Trainer<double> trainer(config, data);
    trainer.run([](const Evaluation&) {});
    std::int64_t zeros = 0;
    for (const StepRecord& r : trainer.state().steps) {
      EXPECT_EQ(r.zero_gradient_samples, std::lround(config.batch * (1 - r.spanning_fraction)));
      zeros += r.zero_gradient_samples;
    }
    const double n = 400.0 * config.batch;
    const double theta = spanning_probability(c.arch, c.dropout).theta;
    EXPECT_NEAR(zeros / n, 1 - theta, 4 * std::sqrt(theta * (1 - theta) / n))
        << name(c.dropout.model);
    EXPECT_NEAR(trainer.summary().zero_gradient_fraction, zeros / n, 1e-12);
  }
}

TEST(Training, EveryEpochVisitsEverySampleOnce) {
  const DataSplit data = classification_data(4, 2, 96);
  TrainingConfig config = config_for({4, 5, 2, 2}, Dropout{}, 10);
  config.batch = 40;  // batches straddle epoch boundaries
  Trainer<float> trainer(config, data);
  std::map<std::int64_t, int> visits;
  for (std::int64_t t = 0; t < 12; ++t) {  // 480 positions = 5 epochs of 96
    for (std::int64_t s : trainer.batch_indices(t))
      ++visits[s];
  }
  ASSERT_EQ(visits.size(), 96u);
  for (const auto& [sample, count] : visits)
    EXPECT_EQ(count, 5) << "sample " << sample;
  EXPECT_NE(trainer.batch_indices(0), trainer.batch_indices(3));  // epochs differ in order
}

TEST(Training, SharedMaskMakesWholeStepsNull) {
  const DataSplit data = classification_data(5, 2);
  TrainingConfig config = config_for({5, 3, 5, 2}, Dropout::of(DropoutModel::site, 0.6), 60);
  config.network.activation = Activation::tanh;
  config.shared_mask = true;
  Trainer<double> trainer(config, data);
  trainer.run([](const Evaluation&) {});
  int null_steps = 0;
  for (const StepRecord& r : trainer.state().steps) {
    EXPECT_TRUE(r.spanning_fraction == 0.0 || r.spanning_fraction == 1.0);
    EXPECT_EQ(r.zero_gradient_samples, r.spanning_fraction == 0.0 ? config.batch : 0);
    EXPECT_EQ(r.gradient_norm == 0.0, r.spanning_fraction == 0.0);
    null_steps += r.spanning_fraction == 0.0;
  }
  EXPECT_GT(null_steps, 0);
}

// Without dropout a small network learns a teacher: the test loss falls well below its start
// and the accuracy beats always guessing the most common class.
TEST(Training, LearnsTheTeacher) {
  const DataSplit data = classification_data(8, 2, 2048);
  TrainingConfig config = config_for({8, 32, 2, 2}, Dropout{}, 600);
  config.batch = 32;
  config.eval_interval = 100;
  config.target_loss = 0.45;
  Trainer<float> trainer(config, data);
  std::vector<Evaluation> seen;
  trainer.run([&](const Evaluation& e) { seen.push_back(e); });
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front().step, 0);
  EXPECT_EQ(seen.back().step, 600);
  const auto first = trainer.state().evaluations.front();
  const auto last = trainer.summary().final;
  EXPECT_LT(last.test_loss, 0.7 * first.test_loss);
  int ones = 0;
  for (int label : data.test.labels)
    ones += label;
  const double majority = std::max(ones, static_cast<int>(data.test.labels.size()) - ones) /
                          static_cast<double>(data.test.labels.size());
  EXPECT_GT(last.test_accuracy, majority + 0.1);
  ASSERT_TRUE(trainer.summary().steps_to_target.has_value());
  EXPECT_EQ(*trainer.summary().steps_to_target % 100, 0);
  EXPECT_GT(trainer.summary().samples_per_second, 0.0);
}

TEST(Training, ValidateNamesTheMismatch) {
  const DataSplit data = classification_data(5, 3);
  auto message = [&](TrainingConfig c) {
    try {
      validate(c, data);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const TrainingConfig good = config_for({5, 4, 2, 3}, Dropout{}, 10);
  EXPECT_EQ(message(good), "no error");
  TrainingConfig c = good;
  c.network.arch.input_width = 7;
  EXPECT_NE(message(c).find("5 features"), std::string::npos) << message(c);
  c = good;
  c.network.arch.output_width = 2;
  EXPECT_NE(message(c).find("3 classes"), std::string::npos) << message(c);
  c = good;
  c.learning_rate = -1;
  EXPECT_NE(message(c).find("learning rate"), std::string::npos);
  c = good;
  c.momentum = 1.0;
  EXPECT_NE(message(c).find("momentum"), std::string::npos);
  c = good;
  c.batch = 0;
  EXPECT_NE(message(c).find("batch"), std::string::npos);
}

TEST(Training, ReadStateRefusesTheOtherPrecision) {
  const DataSplit data = classification_data(4, 2);
  const TrainingConfig config = config_for({4, 3, 2, 2}, Dropout{}, 5);
  Trainer<float> trainer(config, data);
  trainer.run([](const Evaluation&) {});
  const auto path = std::filesystem::path(::testing::TempDir()) / "dropperc_precision.h5";
  h5::File file = h5::File::create(path);
  h5::Group root = file.root();
  write_state(root, trainer.state());
  EXPECT_THROW(read_state<double>(root, config.network.arch), h5::Error);
  EXPECT_NO_THROW(read_state<float>(root, config.network.arch));
}

// A learning rate far too large: the run stops at the first step whose loss, gradient or
// parameters are not finite, records that step, and the state keeps it through HDF5.
TEST(Training, DivergenceStopsTheRunAndIsRecorded) {
  const DataSplit data = classification_data(4, 2);
  TrainingConfig config = config_for({4, 8, 3, 2}, Dropout{}, 5000);
  config.learning_rate = 1e30;
  Trainer<float> trainer(config, data);
  trainer.run([](const Evaluation&) {});
  const TrainingState<float>& state = trainer.state();
  ASSERT_GT(state.diverged_at, 0);
  EXPECT_LT(state.diverged_at, config.steps);
  EXPECT_TRUE(trainer.done());
  EXPECT_EQ(state.step, state.diverged_at);
  ASSERT_EQ(state.steps.size(), static_cast<std::size_t>(state.diverged_at));
  for (std::size_t k = 0; k + 1 < state.steps.size(); ++k) {
    EXPECT_TRUE(std::isfinite(state.steps[k].loss)) << k;
    EXPECT_TRUE(std::isfinite(state.steps[k].gradient_norm)) << k;
  }
  const StepRecord& last = state.steps.back();
  const std::string_view cause = divergence_cause(last);
  EXPECT_TRUE(cause == "loss"       ? !std::isfinite(last.loss)
              : cause == "gradient" ? !std::isfinite(last.gradient_norm)
                                    : std::isfinite(last.loss))
      << cause;
  EXPECT_EQ(trainer.summary().diverged_at, state.diverged_at);
  const auto path = std::filesystem::path(::testing::TempDir()) / "dropperc_diverged.h5";
  {
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    write_state(root, state);
  }
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(read_state<float>(file.root(), config.network.arch).diverged_at, state.diverged_at);
  // A run that does not diverge records 0.
  config.learning_rate = 0.05;
  config.steps = 20;
  Trainer<float> calm(config, data);
  calm.run([](const Evaluation&) {});
  EXPECT_EQ(calm.state().diverged_at, 0);
  EXPECT_EQ(calm.state().step, 20);
}

}  // namespace
}  // namespace dropperc
