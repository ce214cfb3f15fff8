#pragma once
// Estimators and their error bars.

#include <cstdint>

namespace dropperc {

struct Interval {
  double low = 0.0;
  double high = 1.0;
};

/// The exact (Clopper-Pearson) confidence interval for a binomial proportion: the central
/// interval whose tails each have probability at most (1 - confidence) / 2 for any true value.
/// low = 0 when successes = 0, high = 1 when successes = trials. Requires trials >= 1.
Interval clopper_pearson(std::int64_t successes, std::int64_t trials, double confidence = 0.95);

/// Running mean and variance (Welford), mergeable (Chan et al.) so that partial results from
/// blocks of samples combine into the result of the whole.
class MeanAccumulator {
 public:
  void add(double x);
  void merge(const MeanAccumulator& other);

  /// The complete state, for storage: from_state(a.state()) behaves exactly like a.
  struct State {
    std::int64_t count = 0;
    double mean = 0.0;
    double squares = 0.0;
  };
  State state() const { return {count_, mean_, squares_}; }
  static MeanAccumulator from_state(const State& s) {
    MeanAccumulator a;
    a.count_ = s.count;
    a.mean_ = s.mean;
    a.squares_ = s.squares;
    return a;
  }

  std::int64_t count() const { return count_; }
  double mean() const { return mean_; }
  /// Unbiased sample variance; 0 for fewer than two values.
  double variance() const;
  /// Standard error of the mean, sqrt(variance / count).
  double standard_error() const;

 private:
  std::int64_t count_ = 0;
  double mean_ = 0.0;
  double squares_ = 0.0;  // sum of squared deviations from the mean
};

}  // namespace dropperc
