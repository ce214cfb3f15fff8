#pragma once
// Exact expectations over every mask of a tiny network: the ground truth that theory and every
// Monte Carlo method are tested against.

#include <vector>

#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"

namespace dropperc::testing {

/// First and second moment of an observable under the mask distribution.
struct Moments {
  double mean = 0.0;
  double second = 0.0;
  double variance() const { return second - mean * mean; }
  void add(double weight, double x) {
    mean += weight * x;
    second += weight * x * x;
  }
};

struct ExactObservables {
  Moments directed_spanning;
  Moments undirected_spanning;
  Moments extinction_depth;
  Moments backbone_units;
  Moments backbone_weights;
  Moments largest_cluster;
  Moments mean_other_cluster_size;
  std::vector<Moments> reachable;  ///< per layer
};

/// Number of random elements (hidden units if the model drops units, weights if it drops edges,
/// input units with input dropout).
int random_elements(const Architecture& arch, const Dropout& dropout);

/// Sums observe(mask) over all 2^n masks weighted by their probabilities. n must be <= 22.
ExactObservables enumerate_masks(const Architecture& arch, const Dropout& dropout);

}  // namespace dropperc::testing
