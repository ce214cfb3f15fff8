#pragma once
// Samplers that are exact in distribution but draw no per-edge randomness (docs/theory.md §7).
// They give the same laws as masks drawn element by element, at a fraction of the cost, for
// the observables that depend only on those laws: theta(p) for all p at once, extinction
// depths and reachable counts.

#include <vector>

#include "dropperc/core/mask.hpp"

namespace dropperc {

/// Thresholds of one sample along the scan line of the whole model (every probability = p).
struct ExtinctionThresholds {
  double directed = 0.0;      ///< p*: the sample spans iff p < directed
  std::vector<double> alive;  ///< alive[k-1], k = 1..L: hidden layers 1..k all keep a
                              ///< forward-reachable unit iff p < alive[k-1]
};

/// Input dropout `p_input` (fixed, not scanned) is drawn first, as the number of kept inputs:
/// none kept gives thresholds 0 or -inf, so that the sample spans at no p.

/// Site model. A layer's max of W_k uniforms is distributed as u^(1/W_k), so a sample costs L
/// uniforms: O(L). docs/theory.md §7.1.
ExtinctionThresholds fast_site_thresholds(const Architecture& arch, RandomStream& rng,
                                          double p_input = 0.0);

/// Bond model, directed. Propagates each layer's bottleneck values as a sorted list, drawing
/// the next layer's W values from their exact conditional law through sorted exponentials:
/// O(W) per layer, O(L W) per sample, no sorting. docs/theory.md §7.2.
ExtinctionThresholds fast_bond_thresholds(const Architecture& arch, RandomStream& rng,
                                          double p_input = 0.0);

/// As fast_bond_thresholds().directed, without recording the layers (the benchmark's kernel).
double fast_bond_threshold(const Architecture& arch, RandomStream& rng, double p_input = 0.0);

/// Forward-reachable counts N_k, k = 0..L+1, at one dropout setting, from the Markov chain
/// N_{k+1} | N_k = n ~ Binomial(W_{k+1}, success(n)) (reach_probability): L + 1 Binomial draws
/// instead of a mask (one more for N_0 with input dropout). Any model. docs/theory.md §7.3.
std::vector<int> sample_reachable_chain(const Architecture& arch, const Dropout& dropout,
                                        RandomStream& rng);

}  // namespace dropperc
