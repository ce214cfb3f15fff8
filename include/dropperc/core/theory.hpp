#pragma once
// Exact results for layered networks under dropout (docs/theory.md §2-§4).

#include <vector>

#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"

namespace dropperc {

/// theta = P(a directed input-output path survives), with its complement computed directly so
/// that 1 - theta keeps full relative precision down to ~1e-300, and log theta finite even
/// where theta underflows.
struct SpanningProbability {
  double theta = 1.0;
  double one_minus_theta = 0.0;
  double log_theta = 0.0;

  /// From log theta alone: theta = exp, 1 - theta = -expm1 (both precise), log theta itself.
  static SpanningProbability from_log(double log_theta);
};

/// Site model closed form theta = (1 - p_input^W_in) prod_k (1 - p^W_k), whatever W_out
/// (docs/theory.md §2).
SpanningProbability site_spanning_probability(const Architecture& arch, double p_site,
                                              double p_input = 0.0);

/// The Markov chain of forward-reachable counts (docs/theory.md §3, §4):
/// N_0 = W_in (or ~ Binomial(W_in, 1 - p_input) with input dropout),
/// N_{k+1} | N_k = n ~ Binomial(W_{k+1}, reach_probability(n)), 0 absorbing.
struct ReachableChain {
  SpanningProbability spanning;            ///< P(N_{L+1} >= 1)
  std::vector<double> expected_reachable;  ///< E[N_k], k = 0..L+1
  /// s_k = P(N_k >= 1), k = 0..L+1. The extinction depth D has P(D >= 1) = 1 and
  /// P(D >= d) = s_{d-1} for d in [2, L+1], hence E[D] = 1 + sum_{k=1}^{L} s_k
  /// (docs/theory.md §5); s_0 < 1 only with input dropout.
  std::vector<double> survival;
  double expected_extinction_depth = 0;
};
/// Exact for every model in O(L W^2) time and O(W^2) memory (plus the O(L) profile). The
/// distribution is propagated conditioned on survival and the log survival probability is
/// summed separately, so nothing underflows for L up to 10^6 and beyond.
ReachableChain reachable_chain(const Architecture& arch, const Dropout& dropout);

/// Exact theta: the closed form for the site model, the chain otherwise.
SpanningProbability spanning_probability(const Architecture& arch, const Dropout& dropout);

/// The line parameter p at which theta(line.at(p)) = 1/2, by TOMS 748 root bracketing on
/// [0, 1] (theta is nonincreasing in p). Throws std::domain_error if theta does not cross 1/2.
double p_half(const Architecture& arch, const ScanLine& line);

/// A level of theta: theta = value or, with `complement`, 1 - theta = value (a level near 1 such
/// as 1 - theta = 1e-9 keeps its digits so). The value lies in (0, 1).
struct ThetaLevel {
  double value = 0.5;
  bool complement = false;
};

/// The line parameter p at which theta(line.at(p)) reaches `level` (docs/theory.md §5.1): theta
/// is nonincreasing in p, so the root is bracketed on [0, 1] and found by TOMS 748 on
/// log theta - log value (or log(1 - theta) - log value), which keeps relative precision at
/// levels near 0 and near 1. Throws std::domain_error if theta does not reach the level on [0, 1].
double solve_p(const Architecture& arch, const ScanLine& line, ThetaLevel level);

/// The largest depth L in [1, max_depth] at which theta still reaches `level` (theta >= value,
/// or 1 - theta <= value), by bisection over L: theta is nonincreasing in L for site dropout and
/// for networks with W_out = W (docs/theory.md §5.1), and other networks are refused with
/// std::invalid_argument. `capped`: the level holds up to max_depth, so the answer is at least
/// that. Throws std::domain_error if theta is below the level already at L = 1.
struct DepthSolution {
  int depth = 1;
  bool capped = false;
};
DepthSolution solve_depth(Architecture arch, const Dropout& dropout, ThetaLevel level,
                          int max_depth);

}  // namespace dropperc
