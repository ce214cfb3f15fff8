#include "dropperc/core/theory.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <tuple>

#include "binomial_tables.hpp"
#include <boost/math/tools/roots.hpp>

namespace dropperc {

namespace {

using detail::binomial_row;
using detail::CompensatedSum;
using detail::log_choose;
using detail::transition;

// theta = (1 - p_in^W_in) prod_k (1 - p_k^W_k), = (1 - p^W)^L when uniform without input dropout
// or per-layer probabilities: the input and every hidden layer keep a unit (docs/theory.md §2).
SpanningProbability site_closed_form(const Architecture& arch, const Dropout& dropout) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double log_theta = 0.0;
  if (arch.is_uniform() && dropout.site_layers.empty()) {
    log_theta =
        arch.depth() * std::log1p(-std::pow(dropout.p_site, arch.width()));  // -inf at p = 1
  } else {
    CompensatedSum sum;  // of finite terms: a layer that drops every unit ends it (theta = 0)
    for (int k = 1; k <= arch.depth(); ++k) {
      if (dropout.site_at(k) == 1.0) return {0.0, 1.0, -kInf};
      sum.add(std::log1p(-std::pow(dropout.site_at(k), arch.layer_width(k))));
    }
    log_theta = sum.value();
  }
  if (dropout.p_input > 0.0) log_theta += std::log1p(-std::pow(dropout.p_input, arch.input_width));
  return SpanningProbability::from_log(log_theta);
}

}  // namespace

SpanningProbability SpanningProbability::from_log(double log_theta) {
  return {std::exp(log_theta), -std::expm1(log_theta), log_theta};
}

SpanningProbability site_spanning_probability(const Architecture& arch, double p_site,
                                              double p_input) {
  return site_closed_form(arch, {DropoutModel::site, p_site, 0.0, p_input});
}

ReachableChain reachable_chain(const Architecture& arch, const Dropout& dropout) {
  ReachableChain result;
  result.expected_reachable.assign(arch.layers(), 0.0);
  result.survival.assign(arch.layers(), 0.0);
  // pi[n] = P(N_k = n | N_k >= 1); log_survival = log P(N_k >= 1).
  std::vector<double> pi;
  CompensatedSum log_survival;
  if (dropout.p_input == 1.0) {  // no input unit is ever kept
    result.spanning = {0.0, 1.0, -std::numeric_limits<double>::infinity()};
    result.expected_extinction_depth = 1.0;
    return result;
  }
  if (dropout.p_input > 0.0) {
    // N_0 ~ Binomial(W_in, 1 - p_input), conditioned on N_0 >= 1 (docs/theory.md §3); the
    // survival P(N_0 >= 1) = 1 - p_input^W_in in the form exact at both ends.
    const double q = 1.0 - dropout.p_input;
    const double log_none = arch.input_width * std::log(dropout.p_input);
    const double kept = -std::expm1(log_none);
    pi.assign(arch.input_width + 1, 0.0);
    binomial_row(log_choose(arch.input_width), std::log(q), std::log(dropout.p_input), pi.data());
    pi[0] = 0.0;
    for (double& x : pi)
      x /= kept;
    log_survival.add(log_none < -std::numbers::ln2 ? std::log1p(-std::exp(log_none))
                                                   : std::log(kept));
    result.expected_reachable[0] = arch.input_width * q;
  } else {
    pi.assign(arch.input_width + 1, 0.0);
    pi[arch.input_width] = 1.0;
    result.expected_reachable[0] = arch.input_width;
  }
  result.survival[0] = std::exp(log_survival.value());
  double expected_depth = 1.0;  // P(D >= 1) = 1
  // The last gap's table, reused while consecutive gaps have the same shape and probabilities
  // (every hidden -> hidden gap of a uniform network).
  std::vector<double> table;
  std::tuple<int, int, bool, double, double> shape{-1, -1, false, -1.0, -1.0};
  std::vector<double> next;

  for (int g = 0; g < arch.gaps(); ++g) {
    const int tails = arch.layer_width(g);
    const int heads = arch.layer_width(g + 1);
    const bool hidden_target = arch.is_hidden(g + 1);
    const Dropout gap = dropout.of_gap(g, arch);
    if (shape != std::tuple{tails, heads, hidden_target, gap.p_site, gap.p_bond}) {
      table = transition(gap, tails, heads, hidden_target);
      shape = {tails, heads, hidden_target, gap.p_site, gap.p_bond};
    }

    next.assign(heads + 1, 0.0);
    for (int n = 1; n <= tails; ++n) {
      if (pi[n] == 0.0) continue;
      const double* row = table.data() + std::size_t(n) * (heads + 1);
      for (int m = 0; m <= heads; ++m)
        next[m] += pi[n] * row[m];
    }
    // P(N_{k+1} = 0 | N_k >= 1) and its complement, each summed from positive terms.
    const double absorbed = next[0];
    double survived = 0.0;
    for (int m = 1; m <= heads; ++m)
      survived += next[m];
    if (survived == 0.0) {
      result.spanning = {0.0, 1.0, -std::numeric_limits<double>::infinity()};
      result.expected_extinction_depth = expected_depth;
      return result;
    }
    log_survival.add(absorbed < 0.5 ? std::log1p(-absorbed) : std::log(survived));
    double mean = 0.0;
    for (int m = 1; m <= heads; ++m) {
      next[m] /= survived;
      mean += m * next[m];
    }
    next[0] = 0.0;
    pi.swap(next);
    const double survival = std::exp(log_survival.value());
    result.expected_reachable[g + 1] = survival * mean;
    result.survival[g + 1] = survival;
    if (g + 1 <= arch.depth()) expected_depth += survival;
  }
  const double log_theta = log_survival.value();
  result.spanning = SpanningProbability::from_log(log_theta);
  result.expected_extinction_depth = expected_depth;
  return result;
}

SpanningProbability spanning_probability(const Architecture& arch, const Dropout& dropout) {
  if (dropout.model == DropoutModel::site) return site_closed_form(arch, dropout);
  return reachable_chain(arch, dropout).spanning;
}

namespace {

// Whether theta `s` reaches `level`: theta >= value, or 1 - theta <= value.
bool reaches(const SpanningProbability& s, ThetaLevel level) {
  return level.complement ? s.one_minus_theta <= level.value : s.theta >= level.value;
}

// The log of the side of theta the level is stated on, made finite at theta = 0 or 1 so that
// the root search keeps finite brackets (every such point is far from any level in (0, 1)).
double log_side(const SpanningProbability& s, bool complement) {
  constexpr double kFloor = -1e300;
  const double v = complement ? std::log(s.one_minus_theta) : s.log_theta;
  return std::max(v, kFloor);
}

// The p in [0, 1] where `excess`, nondecreasing in p (theta is nonincreasing on a scan line),
// changes sign, by TOMS 748 root bracketing; std::domain_error "<what> for p in [0, 1] ..." if
// it does not.
template <class Excess>
double root_in_unit_interval(Excess excess, const char* what) {
  const double at_zero = excess(0.0);
  const double at_one = excess(1.0);
  if (at_zero > 0.0 || at_one < 0.0)
    throw std::domain_error(std::string(what) + " for p in [0, 1] on this scan line");
  if (at_zero == 0.0) return 0.0;
  if (at_one == 0.0) return 1.0;
  std::uintmax_t iterations = 200;
  const auto [low, high] = boost::math::tools::toms748_solve(
      excess, 0.0, 1.0, at_zero, at_one, boost::math::tools::eps_tolerance<double>(), iterations);
  return 0.5 * (low + high);
}

}  // namespace

double solve_p(const Architecture& arch, const ScanLine& line, ThetaLevel level) {
  if (!(level.value > 0.0 && level.value < 1.0))
    throw std::invalid_argument("a level of theta must lie in (0, 1)");
  // Increasing in p: log(1 - theta) - log value; otherwise log value - log theta.
  const double log_value = std::log(level.value);
  return root_in_unit_interval(
      [&](double p) {
        const double side = log_side(spanning_probability(arch, line.at(p)), level.complement);
        return level.complement ? side - log_value : log_value - side;
      },
      level.complement ? "1 - theta does not reach the level" : "theta does not reach the level");
}

DepthSolution solve_depth(Architecture arch, const Dropout& dropout, ThetaLevel level,
                          int max_depth) {
  if (!(level.value > 0.0 && level.value < 1.0))
    throw std::invalid_argument("a level of theta must lie in (0, 1)");
  if (max_depth < 1) throw std::invalid_argument("the largest depth must be at least 1");
  if (!arch.is_uniform()) {
    throw std::invalid_argument("solving for the depth needs a uniform network (one hidden width)");
  }
  if (dropout.model != DropoutModel::site && arch.output_width != arch.width()) {
    throw std::invalid_argument(
        "theta need not decrease with the depth when W_out != W (docs/theory.md §5.1): solve for "
        "the depth only with W_out = W or site dropout");
  }
  auto holds = [&](int depth) {
    arch = arch.with_depth(depth);
    return reaches(spanning_probability(arch, dropout), level);
  };
  if (!holds(1)) throw std::domain_error("theta is below the level already at L = 1");
  if (holds(max_depth)) return {max_depth, true};
  int good = 1, bad = max_depth;  // holds(good), !holds(bad)
  while (bad - good > 1) {
    const int middle = good + (bad - good) / 2;
    (holds(middle) ? good : bad) = middle;
  }
  return {good, false};
}

double p_half(const Architecture& arch, const ScanLine& line) {
  return root_in_unit_interval(
      [&](double p) { return 0.5 - spanning_probability(arch, line.at(p)).theta; },
      "theta does not cross 1/2");
}

}  // namespace dropperc
