#include "dropperc/training/settings.hpp"

namespace dropperc {

std::string_view name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::identity:
      return "identity";
  }
  return "?";
}

std::optional<Activation> parse_activation(std::string_view text) {
  for (auto a : {Activation::relu, Activation::tanh, Activation::identity}) {
    if (text == name(a)) return a;
  }
  return std::nullopt;
}

std::string_view name(Initialisation initialisation) {
  return initialisation == Initialisation::he ? "he" : "glorot";
}

std::optional<Initialisation> parse_initialisation(std::string_view text) {
  for (auto i : {Initialisation::he, Initialisation::glorot}) {
    if (text == name(i)) return i;
  }
  return std::nullopt;
}

std::string_view name(LearningTask task) {
  return task == LearningTask::classification ? "classification" : "regression";
}

}  // namespace dropperc
