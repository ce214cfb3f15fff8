#include "dropperc/core/fast_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// 1/k for k = 0..n (entry 0 unused): the inner loops multiply instead of divide.
std::vector<double> reciprocals(int n) {
  std::vector<double> inverse(n + 1, kInf);
  for (int k = 1; k <= n; ++k)
    inverse[k] = 1.0 / k;
  return inverse;
}

// The number of input units kept: W_in without input dropout (and no draw, so that such networks
// draw what they drew before it existed), else one Binomial(W_in, 1 - p_input) draw.
int kept_inputs(const Architecture& arch, double p_input, RandomStream& rng) {
  if (p_input == 0.0) return arch.input_width;
  return draw_binomial(rng, arch.input_width, 1.0 - p_input, p_input);
}

// In log space Y = -ln b, with the previous layer's values sorted, Y_(1) <= ... <= Y_(n), a
// unit of the next layer has Y' = g(E) = min over m of max(Y_(m), E/m) with E ~ Exp(1)
// (docs/theory.md §7.2). Because m Y_(m) is nondecreasing, g(E) = min(E/m*, Y_(m*+1)) where
// m* = #{m : m Y_(m) <= E}, and g is nondecreasing in E.
class BottleneckLayer {
 public:
  // The value g(e) for nondecreasing successive e: m* only moves forward.
  double next_value(std::span<const double> y, double e, std::span<const double> inverse) {
    while (m_ < y.size() && static_cast<double>(m_ + 1) * y[m_] <= e)
      ++m_;
    const double above = m_ < y.size() ? y[m_] : kInf;
    return m_ == 0 ? above : std::min(above, e * inverse[m_]);
  }

 private:
  std::size_t m_ = 0;
};

// Fills `next` with the next layer's `width` values, ascending: ascending exponentials
// E_(r) = sum_{s <= r} X_s / (width - s + 1) (Renyi), mapped through the monotone g. The X_s
// are drawn first, all together, so that their logarithms overlap in the pipeline.
void draw_next_layer(std::span<const double> y, int width, std::span<const double> inverse,
                     std::vector<double>& next, RandomStream& rng) {
  next.resize(width);
  for (int r = 0; r < width; ++r)
    next[r] = draw_exponential(rng) * inverse[width - r];
  BottleneckLayer layer;
  double e = 0.0;
  for (int r = 0; r < width; ++r) {
    e += next[r];
    next[r] = layer.next_value(y, e, inverse);
  }
}

// Bond-model sample: propagates the hidden layers and returns min Y over the output layer,
// calling on_layer(k, min Y of hidden layer k) for k = 1..L.
template <class OnLayer>
double output_min_log_threshold(const Architecture& arch, double p_input, RandomStream& rng,
                                OnLayer on_layer) {
  const std::vector<double> inverse = reciprocals(arch.max_width());
  // b = 1 at the kept inputs; with none kept every later layer is empty (Y = +inf).
  std::vector<double> y(kept_inputs(arch, p_input, rng), 0.0);
  std::vector<double> next;
  for (int k = 1; k <= arch.depth(); ++k) {
    draw_next_layer(y, arch.layer_width(k), inverse, next, rng);
    on_layer(k, next.front());
    y.swap(next);
  }
  // Only the smallest of the W_out output values matters: E_(1) = X / W_out.
  return BottleneckLayer{}.next_value(y, draw_exponential(rng) * inverse[arch.output_width],
                                      inverse);
}

}  // namespace

ExtinctionThresholds fast_site_thresholds(const Architecture& arch, RandomStream& rng,
                                          double p_input) {
  ExtinctionThresholds result;
  result.alive.resize(arch.depth());
  // No input kept: nothing is reached at any p.
  double alive = kept_inputs(arch, p_input, rng) > 0 ? kInf : -kInf;
  for (int k = 1; k <= arch.depth(); ++k) {
    // max of W_k uniforms ~ u^(1/W_k): P(max <= x) = x^W_k (docs/theory.md §7.1).
    alive = std::min(alive, std::pow(rng.uniform(), 1.0 / arch.layer_width(k)));
    result.alive[k - 1] = alive;
  }
  result.directed = alive;
  return result;
}

ExtinctionThresholds fast_bond_thresholds(const Architecture& arch, RandomStream& rng,
                                          double p_input) {
  ExtinctionThresholds result;
  result.alive.resize(arch.depth());
  // b never grows along a path, so a layer's max b is already the running min over layers.
  const double y_out = output_min_log_threshold(
      arch, p_input, rng, [&](int k, double y_min) { result.alive[k - 1] = std::exp(-y_min); });
  result.directed = std::exp(-y_out);
  return result;
}

double fast_bond_threshold(const Architecture& arch, RandomStream& rng, double p_input) {
  return std::exp(-output_min_log_threshold(arch, p_input, rng, [](int, double) {}));
}

std::vector<int> sample_reachable_chain(const Architecture& arch, const Dropout& dropout,
                                        RandomStream& rng) {
  std::vector<int> reachable(arch.layers(), 0);
  reachable[0] = kept_inputs(arch, dropout.p_input, rng);
  for (int k = 1; k < arch.layers() && reachable[k - 1] > 0; ++k) {
    const auto [success, failure] =
        reach_probability(dropout.of_gap(k - 1, arch), reachable[k - 1], arch.is_hidden(k));
    reachable[k] = draw_binomial(rng, arch.layer_width(k), success, failure);
  }
  return reachable;
}

}  // namespace dropperc
