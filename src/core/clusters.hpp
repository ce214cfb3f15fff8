#pragma once
// Union-find over the units of one mask, shared by the dense engine (percolation.cpp) and the
// one for any layered graph (graph_percolation.cpp). Internal to src/core.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "dropperc/core/network.hpp"

namespace dropperc::detail {

// Union-find with union by size and path halving. Tracks what the cluster observables need:
// the size of each cluster and whether it touches the input or the output layer.
class Clusters {
 public:
  explicit Clusters(std::size_t n) : parent_(n), size_(n, 1), touches_(n, 0) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }

  std::size_t find(std::size_t a) {
    while (parent_[a] != a)
      a = parent_[a] = parent_[parent_[a]];
    return a;
  }

  // Marks a present unit; `side` is kInput, kOutput or 0.
  void add_unit(std::size_t a, unsigned char side) {
    touches_[a] = side;
    ++present_;
    sum_squares_ += 1;
    largest_ = std::max<std::int64_t>(largest_, 1);
    spanning_ = spanning_ || side == (kInput | kOutput);
  }

  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (size_[a] < size_[b]) std::swap(a, b);
    // sum of s^2 over clusters: (s_a + s_b)^2 replaces s_a^2 + s_b^2.
    sum_squares_ += 2 * size_[a] * size_[b];
    parent_[b] = a;
    size_[a] += size_[b];
    touches_[a] |= touches_[b];
    largest_ = std::max(largest_, size_[a]);
    spanning_ = spanning_ || touches_[a] == (kInput | kOutput);
  }

  bool spanning() const { return spanning_; }
  std::int64_t largest() const { return largest_; }
  // sum s^2 / sum s over all clusters but one largest (docs/theory.md §4).
  double mean_other_size() const {
    const std::int64_t others = present_ - largest_;
    if (others == 0) return 0.0;
    return static_cast<double>(sum_squares_ - largest_ * largest_) / static_cast<double>(others);
  }

  static constexpr unsigned char kInput = 1;
  static constexpr unsigned char kOutput = 2;

 private:
  std::vector<std::size_t> parent_;
  std::vector<std::int64_t> size_;
  std::vector<unsigned char> touches_;
  std::int64_t present_ = 0;
  std::int64_t sum_squares_ = 0;
  std::int64_t largest_ = 0;
  bool spanning_ = false;
};

// The side a unit of `layer` marks in Clusters: input, output, or neither.
inline unsigned char side_of(const Architecture& arch, int layer) {
  if (layer == 0) return Clusters::kInput;
  return layer == arch.output_layer() ? Clusters::kOutput : 0;
}

}  // namespace dropperc::detail
