#pragma once
// The choices that describe a training run, without the Eigen machinery that carries it out:
// what a job file names (activation, initialisation, task, teacher), so that reading a job needs
// no matrix type. mlp.hpp and dataset.hpp give them their meaning.

#include <cstdint>
#include <optional>
#include <string_view>

#include "dropperc/core/network.hpp"

namespace dropperc {

enum class Activation { relu, tanh, identity };  ///< all have sigma(0) = 0
enum class Initialisation { he, glorot };
enum class Loss {
  mse,            ///< mean over samples and outputs of (output - target)^2 (PyTorch MSELoss)
  cross_entropy,  ///< mean over samples of -log softmax(output)[label] (PyTorch CrossEntropyLoss)
};
enum class LearningTask {
  classification,  ///< integer labels in [0, classes), cross-entropy loss
  regression,      ///< float targets, MSE loss
};

std::string_view name(Activation activation);
std::optional<Activation> parse_activation(std::string_view text);
std::string_view name(Initialisation initialisation);
std::optional<Initialisation> parse_initialisation(std::string_view text);
std::string_view name(LearningTask task);

/// Teacher-student data (dataset.hpp, teacher_student): inputs i.i.d. N(0, 1); a teacher MLP
/// (its own width, depth, tanh activation, no biases, He initialisation) maps them to outputs;
/// classification labels are the argmax of the teacher's outputs, regression targets the
/// outputs plus N(0, noise^2).
struct TeacherSpec {
  LearningTask task = LearningTask::classification;
  int input_width = 16;
  int outputs = 2;  ///< classes, or target components
  int width = 16;   ///< the teacher's hidden width
  int depth = 1;    ///< the teacher's hidden layers
  std::int64_t train_size = 4096;
  std::int64_t test_size = 1024;
  double noise = 0.0;  ///< regression only

  /// The teacher's network: W_in = input_width, its hidden layers, W_out = outputs.
  Architecture architecture() const { return {input_width, width, depth, outputs}; }
};

}  // namespace dropperc
