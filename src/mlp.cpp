#include "dropperc/mlp.hpp"

#include <algorithm>
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

// sigma'(z) elementwise; relu'(0) = 0 as in PyTorch.
template <class Scalar>
Matrix<Scalar> derivative(Activation activation, const Matrix<Scalar>& z) {
  switch (activation) {
    case Activation::relu:
      return (z.array() > Scalar(0)).template cast<Scalar>().matrix();
    case Activation::tanh:
      return (Scalar(1) - z.array().tanh().square()).matrix();
    case Activation::identity:
      break;
  }
  return Matrix<Scalar>::Ones(z.rows(), z.cols());
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
template <class Scalar>
bool gap_gradient_nonzero(const BatchMasks& m, int gap, Eigen::Index b, const Matrix<Scalar>& delta,
                          const Matrix<Scalar>& h, bool bias) {
  std::vector<std::uint64_t> tails(words_for(static_cast<int>(h.rows())), 0);
  bool any_tail = false;
  for (Eigen::Index i = 0; i < h.rows(); ++i) {
    if (h(i, b) != Scalar(0)) {
      tails[static_cast<std::size_t>(i / 64)] |= std::uint64_t{1} << (i % 64);
      any_tail = true;
    }
  }
  for (Eigen::Index j = 0; j < delta.rows(); ++j) {
    if (delta(j, b) == Scalar(0)) continue;
    if (bias) return true;
    if (!drops_weights(m)) {
      if (any_tail) return true;
      continue;
    }
    const auto row = m.of(static_cast<std::size_t>(b)).incoming(gap, static_cast<int>(j));
    for (std::size_t w = 0; w < tails.size(); ++w) {
      if (row[w] & tails[w]) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::identity:
      return "identity";
  }
  return "?";
}

std::optional<Activation> parse_activation(std::string_view text) {
  for (auto a : {Activation::relu, Activation::tanh, Activation::identity}) {
    if (text == name(a)) return a;
  }
  return std::nullopt;
}

std::string_view name(Initialisation initialisation) {
  return initialisation == Initialisation::he ? "he" : "glorot";
}

std::optional<Initialisation> parse_initialisation(std::string_view text) {
  for (auto i : {Initialisation::he, Initialisation::glorot}) {
    if (text == name(i)) return i;
  }
  return std::nullopt;
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
  Matrix<Scalar> h = x;
  for (int g = 0; g < spec.arch.gaps(); ++g) {
    Matrix<Scalar> z = params.weights[g] * h;
    if (spec.bias) z.colwise() += params.biases[g];
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

template <class Scalar>
BatchGradient<Scalar> forward_backward(const MlpSpec& spec, const Parameters<Scalar>& params,
                                       const Matrix<Scalar>& x, const BatchTargets<Scalar>& targets,
                                       Loss loss, const BatchMasks& m) {
  const Architecture& arch = spec.arch;
  const Eigen::Index batch = x.cols();
  assert(m.masks.empty() || m.shared() || static_cast<Eigen::Index>(m.masks.size()) == batch);
  const Scalar site_scale = keep_scale<Scalar>(m.dropout.p_site);
  const Scalar bond_scale = keep_scale<Scalar>(m.dropout.p_bond);

  // Forward. h[g] feeds gap g (after dropout); z[g] is layer g's pre-activation.
  std::vector<Matrix<Scalar>> h(arch.gaps()), z(arch.layers()), unit_mask(arch.layers());
  h[0] = x;
  if (drops_input(m)) {
    unit_mask[0] =
        unit_multipliers(m, 0, arch.input_width, batch, keep_scale<Scalar>(m.dropout.p_input));
    h[0] = h[0].cwiseProduct(unit_mask[0]);
  }
  Matrix<Scalar> edges;
  for (int g = 0; g < arch.gaps(); ++g) {
    const Matrix<Scalar>& w = params.weights[g];
    Matrix<Scalar>& out = z[g + 1];
    if (!drops_weights(m)) {
      out = w * h[g];
    } else if (m.shared()) {
      edge_multipliers(m.masks[0], g, bond_scale, edges);
      out = w.cwiseProduct(edges) * h[g];
    } else {
      out.resize(w.rows(), batch);
      for (Eigen::Index b = 0; b < batch; ++b) {
        edge_multipliers(m.masks[static_cast<std::size_t>(b)], g, bond_scale, edges);
        out.col(b).noalias() = w.cwiseProduct(edges) * h[g].col(b);
      }
    }
    if (spec.bias) out.colwise() += params.biases[g];
    if (g + 1 == arch.gaps()) break;
    h[g + 1] = out;
    activate(spec.activation, h[g + 1]);
    if (drops_hidden(m)) {
      unit_mask[g + 1] = unit_multipliers(m, g + 1, arch.width, batch, site_scale);
      h[g + 1] = h[g + 1].cwiseProduct(unit_mask[g + 1]);
    }
  }

  BatchGradient<Scalar> result;
  result.output = z[arch.output_layer()];
  result.loss = loss_value(loss, result.output, targets);
  result.gradient = Parameters<Scalar>::zeros(arch);
  result.zero_gradient.assign(static_cast<std::size_t>(batch), 1);

  // Backward: delta = d loss / d z of the layer above the gap.
  Matrix<Scalar> delta = loss_gradient(loss, result.output, targets);
  for (int g = arch.gaps() - 1; g >= 0; --g) {
    const Matrix<Scalar>& w = params.weights[g];
    Matrix<Scalar> back;
    if (!drops_weights(m)) {
      result.gradient.weights[g] = delta * h[g].transpose();
      back = w.transpose() * delta;
    } else if (m.shared()) {
      edge_multipliers(m.masks[0], g, bond_scale, edges);
      result.gradient.weights[g] = (delta * h[g].transpose()).cwiseProduct(edges);
      back = w.cwiseProduct(edges).transpose() * delta;
    } else {
      back.resize(w.cols(), batch);
      for (Eigen::Index b = 0; b < batch; ++b) {
        edge_multipliers(m.masks[static_cast<std::size_t>(b)], g, bond_scale, edges);
        result.gradient.weights[g] += (delta.col(b) * h[g].col(b).transpose()).cwiseProduct(edges);
        back.col(b).noalias() = w.cwiseProduct(edges).transpose() * delta.col(b);
      }
    }
    if (spec.bias) result.gradient.biases[g] = delta.rowwise().sum();
    for (Eigen::Index b = 0; b < batch; ++b) {
      auto& zero = result.zero_gradient[static_cast<std::size_t>(b)];
      if (zero && gap_gradient_nonzero(m, g, b, delta, h[g], spec.bias)) zero = 0;
    }
    if (g == 0) break;
    delta = back.cwiseProduct(derivative(spec.activation, z[g]));
    if (drops_hidden(m)) delta = delta.cwiseProduct(unit_mask[g]);
  }
  return result;
}

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
                                               Loss, const BatchMasks&);
template BatchGradient<double> forward_backward(const MlpSpec&, const Parameters<double>&,
                                                const Matrix<double>&, const BatchTargets<double>&,
                                                Loss, const BatchMasks&);

}  // namespace dropperc
