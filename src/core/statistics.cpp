#include "dropperc/core/statistics.hpp"

#include <cassert>
#include <cmath>

#include <boost/math/distributions/beta.hpp>

namespace dropperc {

Interval clopper_pearson(std::int64_t successes, std::int64_t trials, double confidence) {
  assert(trials >= 1 && successes >= 0 && successes <= trials);
  const double tail = 0.5 * (1.0 - confidence);
  const auto k = static_cast<double>(successes);
  const auto n = static_cast<double>(trials);
  Interval interval;
  // low = Beta(k, n - k + 1) quantile at tail; high = Beta(k + 1, n - k) quantile at 1 - tail.
  if (successes > 0) interval.low = quantile(boost::math::beta_distribution<>(k, n - k + 1), tail);
  if (successes < trials) {
    interval.high = quantile(boost::math::beta_distribution<>(k + 1, n - k), 1.0 - tail);
  }
  return interval;
}

void MeanAccumulator::add(double x) {
  ++count_;
  const double delta = x - mean_;
  mean_ += delta / static_cast<double>(count_);
  squares_ += delta * (x - mean_);
}

void MeanAccumulator::merge(const MeanAccumulator& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  const auto n_a = static_cast<double>(count_);
  const auto n_b = static_cast<double>(other.count_);
  const double delta = other.mean_ - mean_;
  count_ += other.count_;
  mean_ += delta * n_b / (n_a + n_b);
  squares_ += other.squares_ + delta * delta * n_a * n_b / (n_a + n_b);
}

double MeanAccumulator::variance() const {
  return count_ < 2 ? 0.0 : squares_ / static_cast<double>(count_ - 1);
}

double MeanAccumulator::standard_error() const {
  return count_ == 0 ? 0.0 : std::sqrt(variance() / static_cast<double>(count_));
}

}  // namespace dropperc
