#pragma once
// Binomial pmf tables of the reachable-count chains (docs/theory.md §3), shared by theory.cpp
// and topology_theory.cpp. Internal to src/core.

#include <cmath>
#include <cstddef>
#include <vector>

#include "dropperc/core/mask.hpp"

namespace dropperc::detail {

// Compensated (Neumaier) sum: the log survival probability adds up to 10^6 small terms.
class CompensatedSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    compensation_ += std::abs(sum_) >= std::abs(x) ? (sum_ - t) + x : (x - t) + sum_;
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

// m log x, with 0 log 0 = 0.
inline double times_log(int m, double log_x) {
  return m == 0 ? 0.0 : m * log_x;
}

// log C(heads, m) for m = 0..heads.
inline std::vector<double> log_choose(int heads) {
  std::vector<double> result(heads + 1, 0.0);
  for (int m = 1; m <= heads; ++m)
    result[m] = result[m - 1] + std::log(static_cast<double>(heads - m + 1) / m);
  return result;
}

// The Binomial(heads, success) pmf into row[0..heads], from log C and the logs of the success and
// failure probabilities. Evaluated in log space, so entries far below 1e-308 underflow to 0
// without disturbing the others.
inline void binomial_row(const std::vector<double>& log_choose, double log_success,
                         double log_failure, double* row) {
  const int heads = static_cast<int>(log_choose.size()) - 1;
  for (int m = 0; m <= heads; ++m) {
    row[m] =
        std::exp(log_choose[m] + times_log(m, log_success) + times_log(heads - m, log_failure));
  }
}

// T[n][m] = P(N_{k+1} = m | N_k = n) for n = 1..tails, m = 0..heads, as a dense row-major
// (tails + 1) x (heads + 1) table (row 0 unused).
inline std::vector<double> transition(const Dropout& dropout, int tails, int heads,
                                      bool hidden_target) {
  const std::vector<double> choose = log_choose(heads);
  std::vector<double> table(static_cast<std::size_t>(tails + 1) * (heads + 1), 0.0);
  for (int n = 1; n <= tails; ++n) {
    const auto [success, failure] = reach_probability(dropout, n, hidden_target);
    binomial_row(choose, std::log(success), std::log(failure),
                 table.data() + std::size_t(n) * (heads + 1));
  }
  return table;
}

}  // namespace dropperc::detail
