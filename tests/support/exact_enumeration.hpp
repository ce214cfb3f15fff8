#pragma once
// Exact expectations over every mask of a tiny network: the ground truth that theory and every
// Monte Carlo method are tested against.

#include <cmath>
#include <vector>

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/percolation.hpp"

namespace dropperc::testing {

/// First and second moment of an observable under the mask distribution, each a compensated
/// (Neumaier) sum: 2^22 terms summed naively lose up to ~1e-10, more than the theory's error.
struct Moments {
  double mean = 0.0;
  double second = 0.0;
  double variance() const { return second - mean * mean; }
  void add(double weight, double x) {
    accumulate(mean, mean_error_, weight * x);
    accumulate(second, second_error_, weight * x * x);
  }
  /// Folds the compensation in; enumerate_masks calls it once at the end.
  void finish() {
    mean += mean_error_;
    second += second_error_;
    mean_error_ = second_error_ = 0.0;
  }

 private:
  static void accumulate(double& sum, double& error, double x) {
    const double t = sum + x;
    error += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  double mean_error_ = 0.0, second_error_ = 0.0;
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

/// The same over every mask of a Graph (local connectivity, skips): elements are the hidden
/// units, the edges DropConnect may drop (skips only if droppable) and, with input dropout, the
/// inputs. Directed spanning is decided by its own search over the edge list, independent of
/// graph_percolation; the other observables come from observe(graph, ...). n must be <= 22.
ExactObservables enumerate_masks(const Graph& graph, const Dropout& dropout);

}  // namespace dropperc::testing
