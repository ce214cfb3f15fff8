#pragma once
// A multilayer perceptron W_in -> W_1 -> ... -> W_L -> W_out in Eigen, trained with
// dropout masks from the percolation engine (docs/training.md; docs/theory.md §6).
//
// Layout: a batch is a matrix with one column per sample. weights[k] (W_{k+1} x W_k) and
// biases[k] (W_{k+1}) belong to gap k, from layer k to layer k+1, as in network.hpp. The output
// layer is linear; the losses act on its values (logits for classification).
//
// Dropout (inverted): a kept hidden unit's activation is scaled by 1/(1 - p_site), a kept input
// by 1/(1 - p_input), a kept weight by 1/(1 - p_bond); dropped ones contribute 0. Masks are
// per sample (one Mask per column, the standard) or one Mask shared by the whole batch.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"
#include "dropperc/core/rng.hpp"
#include "dropperc/training/settings.hpp"

namespace dropperc {

struct MlpSpec {
  Architecture arch;
  Activation activation = Activation::relu;
  bool bias = false;
  Initialisation initialisation = Initialisation::he;
  /// Residual blocks of S layers (0: none): the identity skip of unit i from layer k = 0, S, 2S,
  /// ... to layer k + S (i below both widths) adds k's value, after its dropout, to the
  /// pre-activation of k + S: h_{k+S} = sigma(W h_{k+S-1} + b + h_k), the block of He et al.
  /// (2016); at the output, which is linear, z_out = W h_L + b + h_{L+1-S}. The skips of
  /// geometry.hpp's Topology::residual, so theta is topology_theory's.
  int residual = 0;
  /// Whether DropConnect drops skips (a kept one is then scaled by 1 / (1 - p), as a weight).
  bool residual_dropout = true;

  /// The network's Topology: dense layers, with the skips.
  Topology topology() const { return Topology{}.with_skips(residual, residual_dropout); }
};

/// Throws std::invalid_argument naming the field if the architecture or the skip step (0, or 1
/// to L + 1) is invalid.
void validate(const MlpSpec& spec);

template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// Parameters of the network; copyable, so a whole model can be saved and compared.
template <class Scalar>
struct Parameters {
  std::vector<Matrix<Scalar>> weights;  ///< gap k: W_{k+1} x W_k
  std::vector<Vector<Scalar>> biases;   ///< gap k: W_{k+1}; all zero and unused without biases

  /// All zero, shaped for `arch`.
  static Parameters zeros(const Architecture& arch);
  /// sqrt of the sum of squares of every entry.
  double norm() const;
  friend bool operator==(const Parameters&, const Parameters&) = default;
};

/// He: N(0, 2 / fan_in); Glorot: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); biases 0. Drawn
/// from the stream, gap by gap, row-major within a matrix (docs/theory.md §8).
template <class Scalar>
Parameters<Scalar> initial_parameters(const MlpSpec& spec, RandomStream& rng);

/// The masks of one batch: one per sample, or a single one shared by every sample.
struct BatchMasks {
  Dropout dropout;
  std::vector<Mask> masks;  ///< size 1 when shared, else one per column of the batch
  /// A residual network's skips, one per mask (empty: every skip kept, unscaled).
  std::vector<SkipMask> skips = {};
  bool shared() const { return masks.size() == 1; }
  const Mask& of(std::size_t sample) const { return masks[shared() ? 0 : sample]; }
  const SkipMask& skips_of(std::size_t sample) const { return skips[shared() ? 0 : sample]; }
};

/// Targets of a batch: class labels (cross entropy) or values, W_out x batch (MSE).
template <class Scalar>
struct BatchTargets {
  std::vector<int> labels;
  Matrix<Scalar> values;
};

/// The result of one forward and backward pass over a batch.
template <class Scalar>
struct BatchGradient {
  double loss = 0.0;            ///< the batch loss (mean over samples)
  Parameters<Scalar> gradient;  ///< of the batch loss
  Matrix<Scalar> output;        ///< W_out x batch
  /// Per sample: its own gradient (its term of the batch loss) is exactly zero, every weight
  /// and bias. For a bias-free network this happens iff its mask has no directed
  /// input-output path (docs/theory.md §6), barring exact cancellations. Empty unless asked for.
  std::vector<char> zero_gradient;
};

/// Forward and backward passes that keep their buffers from one batch to the next, so a training
/// loop allocates nothing per step. run() returns a reference valid until the next run().
template <class Scalar>
class Backpropagation {
 public:
  const BatchGradient<Scalar>& run(const MlpSpec& spec, const Parameters<Scalar>& params,
                                   const Matrix<Scalar>& x, const BatchTargets<Scalar>& targets,
                                   Loss loss, const BatchMasks& masks,
                                   bool flag_zero_gradients = true);

 private:
  void forward_gap_per_sample(int gap, const Parameters<Scalar>& params, const BatchMasks& masks,
                              Scalar scale);
  void backward_gap_per_sample(int gap, const BatchMasks& masks, Scalar scale);
  void add_skips(const MlpSpec& spec, const BatchMasks& masks, int layer);
  void save_skip_error(const MlpSpec& spec, int layer);
  void add_skip_error(const MlpSpec& spec, int layer);

  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  std::vector<Matrix<Scalar>> h_, z_, unit_mask_;
  std::vector<RowMajor> rows_;  // per-sample DropConnect: weights with contiguous rows
  RowMajor grad_rows_;
  std::vector<Scalar> multipliers_;
  std::vector<std::uint64_t> tails_;
  Matrix<Scalar> edges_, delta_, back_;
  std::vector<Matrix<Scalar>> skip_multipliers_, skip_delta_;  // per skip block
  BatchGradient<Scalar> result_;
};

/// Output for a batch without dropout (evaluation).
template <class Scalar>
Matrix<Scalar> predict(const MlpSpec& spec, const Parameters<Scalar>& params,
                       const Matrix<Scalar>& x);

/// Loss of outputs against targets, mean over samples (see Loss).
template <class Scalar>
double loss_value(Loss loss, const Matrix<Scalar>& output, const BatchTargets<Scalar>& targets);

/// Forward and backward pass of a batch x (W_in x B) under dropout masks (masks.masks empty:
/// no dropout). Costs O(B sum_k W_k W_{k+1}): dense products for site dropout and shared masks;
/// per-sample DropConnect applies each sample's own weight mask, O(W_k W_{k+1}) per sample and
/// gap, in forward and backward alike. `flag_zero_gradients` fills zero_gradient, at a cost of
/// O(B sum_k W_{k+1} W_k / 64) word operations.
template <class Scalar>
BatchGradient<Scalar> forward_backward(const MlpSpec& spec, const Parameters<Scalar>& params,
                                       const Matrix<Scalar>& x, const BatchTargets<Scalar>& targets,
                                       Loss loss, const BatchMasks& masks,
                                       bool flag_zero_gradients = true);

}  // namespace dropperc
