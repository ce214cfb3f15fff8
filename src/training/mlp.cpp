#include "dropperc/training/mlp.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

namespace dropperc {

namespace {

// Inverted-dropout scale of kept elements; 0 when everything is dropped (p = 1).
template <class Scalar>
Scalar keep_scale(double p) {
  return p < 1.0 ? static_cast<Scalar>(1.0 / (1.0 - p)) : Scalar(0);
}

template <class Scalar>
void activate(Activation activation, Matrix<Scalar>& z) {
  switch (activation) {
    case Activation::relu:
      z = z.cwiseMax(Scalar(0));
      break;
    case Activation::tanh:
      z = z.array().tanh().matrix();
      break;
    case Activation::identity:
      break;
  }
}

// back <- back * sigma'(z), elementwise; relu'(0) = 0 as in PyTorch.
template <class Scalar>
void apply_derivative(Activation activation, const Matrix<Scalar>& z, Matrix<Scalar>& back) {
  switch (activation) {
    case Activation::relu:
      back = (z.array() > Scalar(0)).select(back, Scalar(0));
      break;
    case Activation::tanh:
      back.array() *= Scalar(1) - z.array().tanh().square();
      break;
    case Activation::identity:
      break;
  }
}

bool drops_input(const BatchMasks& m) {
  return !m.masks.empty() && m.dropout.p_input > 0.0;
}
bool drops_hidden(const BatchMasks& m) {
  return !m.masks.empty() && drops_units(m.dropout.model);
}
bool drops_weights(const BatchMasks& m) {
  return !m.masks.empty() && drops_edges(m.dropout.model);
}

// Column b: `scale` for the units of `layer` kept by sample b's mask, 0 for dropped ones.
template <class Scalar>
Matrix<Scalar> unit_multipliers(const BatchMasks& m, int layer, int width, Eigen::Index batch,
                                Scalar scale) {
  Matrix<Scalar> d(width, batch);
  for (Eigen::Index b = 0; b < batch; ++b) {
    const Mask& mask = m.of(static_cast<std::size_t>(b));
    for (int i = 0; i < width; ++i)
      d(i, b) = mask.unit(layer, i) ? scale : Scalar(0);
  }
  return d;
}

// `scale` where gap g of the mask keeps the edge, 0 elsewhere (W_{g+1} x W_g).
template <class Scalar>
void edge_multipliers(const Mask& mask, int gap, Scalar scale, Matrix<Scalar>& e) {
  const Architecture& arch = mask.architecture();
  e.resize(arch.layer_width(gap + 1), arch.layer_width(gap));
  for (int j = 0; j < e.rows(); ++j) {
    const auto row = mask.incoming(gap, j);
    for (int i = 0; i < e.cols(); ++i)
      e(j, i) = (row[i / 64] >> (i % 64)) & 1u ? scale : Scalar(0);
  }
}

// d loss / d output, for the mean-over-samples losses of mlp.hpp.
template <class Scalar>
Matrix<Scalar> loss_gradient(Loss loss, const Matrix<Scalar>& output,
                             const BatchTargets<Scalar>& targets) {
  const auto batch = static_cast<Scalar>(output.cols());
  if (loss == Loss::mse) {
    return (Scalar(2) / (batch * static_cast<Scalar>(output.rows()))) * (output - targets.values);
  }
  // softmax(z) - onehot(label), over the batch size; softmax shifted by the max for stability.
  Matrix<Scalar> g(output.rows(), output.cols());
  for (Eigen::Index b = 0; b < output.cols(); ++b) {
    const auto shifted = (output.col(b).array() - output.col(b).maxCoeff()).exp();
    g.col(b) = (shifted / shifted.sum()).matrix();
    g(targets.labels[static_cast<std::size_t>(b)], b) -= Scalar(1);
  }
  return g / batch;
}

// Whether sample b's own gradient at gap g is nonzero: some present edge i -> j with
// delta_j != 0 and h_i != 0 (the weight gradient delta_j h_i), or delta != 0 with biases.
// `tails` is scratch space for the bitset of the nonzero h_i.
template <class Scalar>
bool gap_gradient_nonzero(const BatchMasks& m, int gap, Eigen::Index b, const Matrix<Scalar>& delta,
                          const Matrix<Scalar>& h, bool bias, std::vector<std::uint64_t>& tails) {
  const bool any_delta = (delta.col(b).array() != Scalar(0)).any();
  if (!any_delta || bias) return any_delta;
  if (!drops_weights(m)) return (h.col(b).array() != Scalar(0)).any();
  tails.assign(words_for(static_cast<int>(h.rows())), 0);
  for (Eigen::Index i = 0; i < h.rows(); ++i) {
    if (h(i, b) != Scalar(0))
      tails[static_cast<std::size_t>(i / 64)] |= std::uint64_t{1} << (i % 64);
  }
  const Mask& mask = m.of(static_cast<std::size_t>(b));
  for (Eigen::Index j = 0; j < delta.rows(); ++j) {
    if (delta(j, b) == Scalar(0)) continue;
    const auto row = mask.incoming(gap, static_cast<int>(j));
    for (std::size_t w = 0; w < tails.size(); ++w) {
      if (row[w] & tails[w]) return true;
    }
  }
  return false;
}

}  // namespace

void validate(const MlpSpec& spec) {
  validate(spec.arch);
  validate(spec.topology(), spec.arch);
}

template <class Scalar>
Parameters<Scalar> Parameters<Scalar>::zeros(const Architecture& arch) {
  Parameters p;
  for (int g = 0; g < arch.gaps(); ++g) {
    p.weights.push_back(Matrix<Scalar>::Zero(arch.layer_width(g + 1), arch.layer_width(g)));
    p.biases.push_back(Vector<Scalar>::Zero(arch.layer_width(g + 1)));
  }
  return p;
}

template <class Scalar>
double Parameters<Scalar>::norm() const {
  double squares = 0.0;
  for (const auto& w : weights)
    squares += w.template cast<double>().squaredNorm();
  for (const auto& b : biases)
    squares += b.template cast<double>().squaredNorm();
  return std::sqrt(squares);
}

template <class Scalar>
Parameters<Scalar> initial_parameters(const MlpSpec& spec, RandomStream& rng) {
  Parameters<Scalar> p = Parameters<Scalar>::zeros(spec.arch);
  for (auto& w : p.weights) {
    const double fan_in = static_cast<double>(w.cols());
    const double fan_out = static_cast<double>(w.rows());
    const double he_sd = std::sqrt(2.0 / fan_in);
    const double glorot_a = std::sqrt(6.0 / (fan_in + fan_out));
    for (Eigen::Index j = 0; j < w.rows(); ++j) {
      for (Eigen::Index i = 0; i < w.cols(); ++i) {
        w(j, i) = static_cast<Scalar>(spec.initialisation == Initialisation::he
                                          ? he_sd * draw_normal(rng)
                                          : glorot_a * (2.0 * rng.uniform() - 1.0));
      }
    }
  }
  return p;
}

template <class Scalar>
Matrix<Scalar> predict(const MlpSpec& spec, const Parameters<Scalar>& params,
                       const Matrix<Scalar>& x) {
  // Blocks do not overlap (block b spans layers bS .. (b + 1) S), so only the value of the
  // last skip tail is kept.
  Matrix<Scalar> h = x, skip_source;
  const int step = spec.residual;
  for (int g = 0; g < spec.arch.gaps(); ++g) {
    if (step > 0 && g % step == 0) skip_source = h;
    Matrix<Scalar> z = params.weights[g] * h;
    if (spec.bias) z.colwise() += params.biases[g];
    if (step > 0 && (g + 1) % step == 0) {
      const auto w = std::min(skip_source.rows(), z.rows());
      z.topRows(w) += skip_source.topRows(w);
    }
    if (g + 1 < spec.arch.gaps()) activate(spec.activation, z);
    h = std::move(z);
  }
  return h;
}

template <class Scalar>
double loss_value(Loss loss, const Matrix<Scalar>& output, const BatchTargets<Scalar>& targets) {
  const Matrix<double> z = output.template cast<double>();
  double total = 0.0;
  if (loss == Loss::mse) {
    total =
        (z - targets.values.template cast<double>()).squaredNorm() / static_cast<double>(z.rows());
  } else {
    for (Eigen::Index b = 0; b < z.cols(); ++b) {
      const double top = z.col(b).maxCoeff();
      const double log_sum = top + std::log((z.col(b).array() - top).exp().sum());
      total += log_sum - z(targets.labels[static_cast<std::size_t>(b)], b);
    }
  }
  return total / static_cast<double>(z.cols());
}

namespace {

// 0/1 multipliers of the 8 bits of every byte: expands a mask row to floats 8 at a time.
template <class Scalar>
const std::array<std::array<Scalar, 8>, 256>& byte_multipliers() {
  static const auto table = [] {
    std::array<std::array<Scalar, 8>, 256> t{};
    for (int byte = 0; byte < 256; ++byte) {
      for (int bit = 0; bit < 8; ++bit)
        t[byte][bit] = static_cast<Scalar>((byte >> bit) & 1);
    }
    return t;
  }();
  return table;
}

// Writes the 0/1 multipliers of the first `n` bits of `row` to out[0 .. n) (out has room for
// n rounded up to 8).
template <class Scalar>
void expand_bits(std::span<const std::uint64_t> row, int n, Scalar* out) {
  const auto& table = byte_multipliers<Scalar>();
  for (int byte = 0; byte * 8 < n; ++byte) {
    const auto bits = static_cast<unsigned>((row[byte / 8] >> (8 * (byte % 8))) & 0xffu);
    std::copy_n(table[bits].data(), 8, out + 8 * byte);
  }
}

}  // namespace

template <class Scalar>
void Backpropagation<Scalar>::forward_gap_per_sample(int g, const Parameters<Scalar>& params,
                                                     const BatchMasks& m, Scalar scale) {
  // z_j = scale sum_i W_ji m_ji h_i for each sample's own mask m: O(W_g W_{g+1}) per sample.
  const Architecture& arch = m.masks[0].architecture();
  const int tails = arch.layer_width(g), heads = arch.layer_width(g + 1);
  rows_[g] = params.weights[g];
  multipliers_.resize(static_cast<std::size_t>((tails + 7) / 8 * 8));
  Matrix<Scalar>& z = z_[g + 1];
  z.resize(heads, h_[g].cols());
  for (Eigen::Index b = 0; b < z.cols(); ++b) {
    const Mask& mask = m.masks[static_cast<std::size_t>(b)];
    const Scalar* h = h_[g].col(b).data();
    for (int j = 0; j < heads; ++j) {
      expand_bits(mask.incoming(g, j), tails, multipliers_.data());
      const Scalar* w = rows_[g].row(j).data();
      Scalar sum = 0;
      for (int i = 0; i < tails; ++i)
        sum += w[i] * h[i] * multipliers_[static_cast<std::size_t>(i)];
      z(j, b) = scale * sum;
    }
  }
}

template <class Scalar>
void Backpropagation<Scalar>::backward_gap_per_sample(int g, const BatchMasks& m, Scalar scale) {
  // grad_ji += scale delta_j m_ji h_i and back_i = scale sum_j W_ji m_ji delta_j per sample,
  // skipping the heads whose error is exactly zero (dropped or dead units).
  const Architecture& arch = m.masks[0].architecture();
  const int tails = arch.layer_width(g), heads = arch.layer_width(g + 1);
  grad_rows_.setZero(heads, tails);
  back_.setZero(tails, delta_.cols());
  for (Eigen::Index b = 0; b < delta_.cols(); ++b) {
    const Mask& mask = m.masks[static_cast<std::size_t>(b)];
    const Scalar* h = h_[g].col(b).data();
    Scalar* back = back_.col(b).data();
    for (int j = 0; j < heads; ++j) {
      const Scalar d = scale * delta_(j, b);
      if (d == Scalar(0)) continue;
      expand_bits(mask.incoming(g, j), tails, multipliers_.data());
      const Scalar* w = rows_[g].row(j).data();
      Scalar* grad = grad_rows_.row(j).data();
      for (int i = 0; i < tails; ++i) {
        const Scalar dm = d * multipliers_[static_cast<std::size_t>(i)];
        grad[i] += dm * h[i];
        back[i] += dm * w[i];
      }
    }
  }
  result_.gradient.weights[g] = grad_rows_;
}

namespace {

// Whether a batch's skips are dropped: DropConnect on droppable skips, with masks.
bool drops_skips(const MlpSpec& spec, const BatchMasks& m) {
  return spec.residual > 0 && drops_weights(m) && spec.residual_dropout;
}

}  // namespace

template <class Scalar>
void Backpropagation<Scalar>::add_skips(const MlpSpec& spec, const BatchMasks& m, int layer) {
  // z_layer(i) += c_i h_tail(i) for the block landing at `layer`: c_i = 1, or under DropConnect
  // the skip's inverted-dropout multiplier (mlp.hpp). h_ holds the tails after their dropout.
  const int step = spec.residual;
  if (step == 0 || layer % step != 0) return;
  const int block = layer / step - 1;
  const Matrix<Scalar>& tail = h_[layer - step];
  Matrix<Scalar>& z = z_[layer];
  const auto width = std::min(tail.rows(), z.rows());
  if (!drops_skips(spec, m)) {
    z.topRows(width) += tail.topRows(width);
    return;
  }
  const Scalar scale = keep_scale<Scalar>(m.dropout.bond_at(layer - 1));
  Matrix<Scalar>& c = skip_multipliers_[static_cast<std::size_t>(block)];
  c.resize(width, z.cols());
  for (Eigen::Index b = 0; b < z.cols(); ++b) {
    const SkipMask& skips = m.skips_of(static_cast<std::size_t>(b));
    for (Eigen::Index i = 0; i < width; ++i)
      c(i, b) = skips.kept(block, static_cast<int>(i)) ? scale : Scalar(0);
  }
  z.topRows(width).array() += c.array() * tail.topRows(width).array();
}

template <class Scalar>
void Backpropagation<Scalar>::save_skip_error(const MlpSpec& spec, int layer) {
  // delta_ = d loss / d z_layer; the skip into `layer` passes c_i delta_i to its tail.
  const int step = spec.residual;
  if (step == 0 || layer % step != 0) return;
  const auto block = static_cast<std::size_t>(layer / step - 1);
  const auto width = std::min(h_[layer - step].rows(), delta_.rows());
  skip_delta_[block] = delta_.topRows(width);
  if (skip_multipliers_[block].size() > 0)
    skip_delta_[block].array() *= skip_multipliers_[block].array();
}

template <class Scalar>
void Backpropagation<Scalar>::add_skip_error(const MlpSpec& spec, int layer) {
  // back_ = d loss / d h_layer gains the error its skip carried back, if a block leaves it.
  const int step = spec.residual;
  if (step == 0 || layer % step != 0 || layer + step >= static_cast<int>(z_.size())) return;
  const Matrix<Scalar>& error = skip_delta_[static_cast<std::size_t>(layer / step)];
  back_.topRows(error.rows()) += error;
}

template <class Scalar>
const BatchGradient<Scalar>& Backpropagation<Scalar>::run(
    const MlpSpec& spec, const Parameters<Scalar>& params, const Matrix<Scalar>& x,
    const BatchTargets<Scalar>& targets, Loss loss, const BatchMasks& m, bool flag_zero_gradients) {
  const Architecture& arch = spec.arch;
  const Eigen::Index batch = x.cols();
  assert(m.masks.empty() || m.shared() || static_cast<Eigen::Index>(m.masks.size()) == batch);
  // Inverted dropout: a kept element is scaled by 1 / (1 - p) of its layer (Dropout::site_at,
  // bond_at).
  auto bond_scale = [&](int g) { return keep_scale<Scalar>(m.dropout.bond_at(g)); };
  const bool per_sample_weights = drops_weights(m) && !m.shared();
  h_.resize(arch.gaps());
  z_.resize(arch.layers());
  unit_mask_.resize(arch.layers());
  rows_.resize(arch.gaps());
  const auto skip_blocks =
      static_cast<std::size_t>(spec.residual > 0 ? arch.output_layer() / spec.residual : 0);
  skip_multipliers_.resize(skip_blocks);
  skip_delta_.resize(skip_blocks);
  if (!drops_skips(spec, m)) {
    for (auto& c : skip_multipliers_)
      c.resize(0, 0);
  }
  assert(!drops_skips(spec, m) || m.skips.size() == m.masks.size());

  // Forward. h_[g] feeds gap g (after dropout); z_[g] is layer g's pre-activation.
  h_[0] = x;
  if (drops_input(m)) {
    unit_mask_[0] =
        unit_multipliers(m, 0, arch.input_width, batch, keep_scale<Scalar>(m.dropout.p_input));
    h_[0].array() *= unit_mask_[0].array();
  }
  for (int g = 0; g < arch.gaps(); ++g) {
    const Matrix<Scalar>& w = params.weights[g];
    Matrix<Scalar>& z = z_[g + 1];
    if (per_sample_weights) {
      forward_gap_per_sample(g, params, m, bond_scale(g));
    } else if (drops_weights(m)) {
      edge_multipliers(m.masks[0], g, bond_scale(g), edges_);
      edges_.array() *= w.array();
      z.noalias() = edges_ * h_[g];
    } else {
      z.noalias() = w * h_[g];
    }
    if (spec.bias) z.colwise() += params.biases[g];
    add_skips(spec, m, g + 1);
    if (g + 1 == arch.gaps()) break;
    h_[g + 1] = z;
    activate(spec.activation, h_[g + 1]);
    if (drops_hidden(m)) {
      unit_mask_[g + 1] = unit_multipliers(m, g + 1, arch.layer_width(g + 1), batch,
                                           keep_scale<Scalar>(m.dropout.site_at(g + 1)));
      h_[g + 1].array() *= unit_mask_[g + 1].array();
    }
  }

  result_.output = z_[arch.output_layer()];
  result_.loss = loss_value(loss, result_.output, targets);
  result_.gradient.weights.resize(arch.gaps());
  result_.gradient.biases.resize(arch.gaps());
  result_.zero_gradient.assign(flag_zero_gradients ? static_cast<std::size_t>(batch) : 0, 1);

  // Backward: delta_ = d loss / d z of the layer above the gap.
  delta_ = loss_gradient(loss, result_.output, targets);
  for (int g = arch.gaps() - 1; g >= 0; --g) {
    const Matrix<Scalar>& w = params.weights[g];
    save_skip_error(spec, g + 1);
    if (per_sample_weights) {
      backward_gap_per_sample(g, m, bond_scale(g));
    } else if (drops_weights(m)) {
      edge_multipliers(m.masks[0], g, bond_scale(g), edges_);
      result_.gradient.weights[g].noalias() = delta_ * h_[g].transpose();
      result_.gradient.weights[g].array() *= edges_.array();
      edges_.array() *= w.array();
      back_.noalias() = edges_.transpose() * delta_;
    } else {
      result_.gradient.weights[g].noalias() = delta_ * h_[g].transpose();
      back_.noalias() = w.transpose() * delta_;
    }
    if (spec.bias) {
      result_.gradient.biases[g] = delta_.rowwise().sum();
    } else {
      result_.gradient.biases[g].setZero(w.rows());
    }
    for (Eigen::Index b = 0; b < batch && flag_zero_gradients; ++b) {
      auto& zero = result_.zero_gradient[static_cast<std::size_t>(b)];
      if (zero && gap_gradient_nonzero(m, g, b, delta_, h_[g], spec.bias, tails_)) zero = 0;
    }
    if (g == 0) break;
    add_skip_error(spec, g);
    apply_derivative(spec.activation, z_[g], back_);
    if (drops_hidden(m)) back_.array() *= unit_mask_[g].array();
    delta_.swap(back_);
  }
  return result_;
}

template <class Scalar>
BatchGradient<Scalar> forward_backward(const MlpSpec& spec, const Parameters<Scalar>& params,
                                       const Matrix<Scalar>& x, const BatchTargets<Scalar>& targets,
                                       Loss loss, const BatchMasks& m, bool flag_zero_gradients) {
  Backpropagation<Scalar> backpropagation;
  return backpropagation.run(spec, params, x, targets, loss, m, flag_zero_gradients);
}

template class Backpropagation<float>;
template class Backpropagation<double>;
template struct Parameters<float>;
template struct Parameters<double>;
template Parameters<float> initial_parameters<float>(const MlpSpec&, RandomStream&);
template Parameters<double> initial_parameters<double>(const MlpSpec&, RandomStream&);
template Matrix<float> predict(const MlpSpec&, const Parameters<float>&, const Matrix<float>&);
template Matrix<double> predict(const MlpSpec&, const Parameters<double>&, const Matrix<double>&);
template double loss_value(Loss, const Matrix<float>&, const BatchTargets<float>&);
template double loss_value(Loss, const Matrix<double>&, const BatchTargets<double>&);
template BatchGradient<float> forward_backward(const MlpSpec&, const Parameters<float>&,
                                               const Matrix<float>&, const BatchTargets<float>&,
                                               Loss, const BatchMasks&, bool);
template BatchGradient<double> forward_backward(const MlpSpec&, const Parameters<double>&,
                                                const Matrix<double>&, const BatchTargets<double>&,
                                                Loss, const BatchMasks&, bool);

}  // namespace dropperc
