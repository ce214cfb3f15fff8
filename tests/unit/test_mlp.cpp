#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "dropperc/core/percolation.hpp"
#include "dropperc/core/statistics.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/training/mlp.hpp"

namespace dropperc {
namespace {

using MatrixD = Matrix<double>;

MatrixD gaussian(int rows, int cols, std::uint64_t seed) {
  RandomStream rng({seed, 99, 0, 0});
  MatrixD x(rows, cols);
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      x(i, j) = draw_normal(rng);
  }
  return x;
}

BatchTargets<double> targets_for(Loss loss, int outputs, int batch) {
  BatchTargets<double> t;
  if (loss == Loss::mse) {
    t.values = gaussian(outputs, batch, 7);
  } else {
    for (int b = 0; b < batch; ++b)
      t.labels.push_back(b % outputs);
  }
  return t;
}

// One mask per sample, with the skips of `spec` if it has them.
BatchMasks per_sample_masks(const MlpSpec& spec, const Dropout& d, int batch, std::uint64_t seed) {
  BatchMasks m{d, {}};
  for (int b = 0; b < batch; ++b) {
    RandomStream rng({seed, 5, static_cast<std::uint64_t>(b), 0});
    if (spec.residual == 0) {
      m.masks.push_back(Mask::draw(spec.arch, d, rng));
      continue;
    }
    m.skips.emplace_back(spec.arch, spec.residual, spec.residual_dropout);
    m.masks.emplace_back(spec.arch);
    m.masks.back().redraw(d, m.skips.back(), rng);
  }
  return m;
}
BatchMasks per_sample_masks(const Architecture& arch, const Dropout& d, int batch,
                            std::uint64_t seed) {
  return per_sample_masks(MlpSpec{arch}, d, batch, seed);
}

// `spec` with identity skips every `step` layers.
MlpSpec with_skips(MlpSpec spec, int step, bool droppable) {
  spec.residual = step;
  spec.residual_dropout = droppable;
  return spec;
}

Parameters<double> random_parameters(const MlpSpec& spec, std::uint64_t seed) {
  RandomStream rng({seed, 1, 0, 0});
  Parameters<double> p = initial_parameters<double>(spec, rng);
  for (auto& b : p.biases)
    b = gaussian(static_cast<int>(b.size()), 1, seed + 1) * 0.3;
  return p;
}

void check_gradients(const Architecture& arch, int step = 0, bool droppable = true);

// Central differences in double precision against the analytic gradient, every weight and
// bias, for every dropout model (and none), activation, bias setting and loss; uniform and
// per-layer widths; residual networks with S = 1, 2 and L + 1, droppable and kept skips.
TEST(Mlp, GradientMatchesFiniteDifferences) {
  for (const Architecture& arch : {Architecture{3, 4, 2, 3}, Architecture::layered(3, {5, 2}, 4)})
    check_gradients(arch);
  check_gradients(Architecture::layered(3, {5, 2, 4}, 4), 1, true);
  check_gradients(Architecture::layered(3, {5, 2, 4}, 4), 2, false);
  check_gradients(Architecture{3, 4, 2, 3}, 3, true);
}

void check_gradients(const Architecture& arch, int step, bool droppable) {
  const int batch = 5;
  const std::vector<Dropout> dropouts = {
      {DropoutModel::site, 0.0, 0.0, 0.0},  // no masks at all: see below
      {DropoutModel::site, 0.4, 0.0, 0.2},
      {DropoutModel::bond, 0.0, 0.4, 0.0},
      {DropoutModel::site_bond, 0.3, 0.3, 0.0}};
  for (std::size_t d = 0; d < dropouts.size(); ++d) {
    for (Activation activation : {Activation::relu, Activation::tanh, Activation::identity}) {
      for (bool bias : {false, true}) {
        for (Loss loss : {Loss::mse, Loss::cross_entropy}) {
          const MlpSpec spec =
              with_skips({arch, activation, bias, Initialisation::he}, step, droppable);
          const BatchMasks masks =
              d == 0 ? BatchMasks{dropouts[0], {}} : per_sample_masks(spec, dropouts[d], batch, d);
          const MatrixD x = gaussian(arch.input_width, batch, 3);
          const auto targets = targets_for(loss, arch.output_width, batch);
          Parameters<double> p = random_parameters(spec, 11 + d);
          const auto analytic = forward_backward(spec, p, x, targets, loss, masks).gradient;
          auto loss_at = [&] { return forward_backward(spec, p, x, targets, loss, masks).loss; };
          auto check = [&](double& parameter, double expected, const std::string& what) {
            const double saved = parameter, h = 1e-6;
            parameter = saved + h;
            const double up = loss_at();
            parameter = saved - h;
            const double down = loss_at();
            parameter = saved;
            EXPECT_NEAR((up - down) / (2 * h), expected, 1e-7 * std::max(1.0, std::abs(expected)))
                << what << " " << arch << " S = " << step << " dropout " << d << " "
                << name(activation) << " bias " << bias << " loss " << static_cast<int>(loss);
          };
          for (int g = 0; g < arch.gaps(); ++g) {
            for (Eigen::Index j = 0; j < p.weights[g].rows(); ++j) {
              for (Eigen::Index i = 0; i < p.weights[g].cols(); ++i) {
                check(p.weights[g](j, i), analytic.weights[g](j, i), "weight");
              }
              if (bias) check(p.biases[g](j), analytic.biases[g](j), "bias");
            }
          }
        }
      }
    }
  }
}

// A bias-free network with sigma(0) = 0 and a mask without a directed path: output exactly 0,
// every weight gradient exactly 0 (docs/theory.md §6). Site: an empty hidden layer; bond: the
// zig-zag mask of the percolation tests, undirected-spanning but not directed.
TEST(Mlp, NoDirectedPathGivesExactlyZeroOutputAndGradient) {
  for (Activation activation : {Activation::relu, Activation::tanh, Activation::identity}) {
    const Architecture site_arch{3, 4, 3, 2};
    Mask site(site_arch);
    for (int i = 0; i < site_arch.width(); ++i)
      site.set_unit(2, i, false);
    const Architecture bond_arch{1, 2, 2, 1};
    Mask bond(bond_arch);
    for (int g = 0; g < bond_arch.gaps(); ++g) {
      for (int j = 0; j < bond_arch.layer_width(g + 1); ++j) {
        for (int i = 0; i < bond_arch.layer_width(g); ++i)
          bond.set_edge(g, i, j, false);
      }
    }
    for (auto [g, i, j] : {std::array{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {1, 1, 1}, {2, 1, 0}}) {
      bond.set_edge(g, i, j, true);
    }
    // With skips every 2 layers, layer 2 starts a block: every path, skips included, crosses it.
    for (auto [arch, mask, model, step] : {std::tuple{site_arch, site, DropoutModel::site, 0},
                                           std::tuple{site_arch, site, DropoutModel::site, 2},
                                           std::tuple{bond_arch, bond, DropoutModel::bond, 0}}) {
      ASSERT_FALSE(directed_spanning(mask));
      const MlpSpec spec = with_skips({arch, activation, false, Initialisation::he}, step, true);
      BatchMasks masks{Dropout::of(model, 0.5), {mask}};
      if (step > 0) {
        masks.skips.emplace_back(arch, step, true);
        ASSERT_FALSE(backbone(mask, masks.skips[0]).directed_spanning);
      }
      for (Loss loss : {Loss::mse, Loss::cross_entropy}) {
        const auto r =
            forward_backward(spec, random_parameters(spec, 3), gaussian(arch.input_width, 4, 8),
                             targets_for(loss, arch.output_width, 4), loss, masks);
        EXPECT_TRUE((r.output.array() == 0.0).all());
        EXPECT_EQ(r.gradient.norm(), 0.0);
        for (char zero : r.zero_gradient)
          EXPECT_TRUE(zero);
      }
    }
  }
}

// With a path, a sample's gradient is nonzero exactly on the backbone weights, and its
// zero-gradient flag is set exactly when the mask does not span (tanh: no dead units).
TEST(Mlp, GradientSupportIsTheBackbone) {
  const Architecture arch{3, 5, 4, 2};
  const MlpSpec spec{arch, Activation::tanh, false, Initialisation::glorot};
  const Parameters<double> p = random_parameters(spec, 21);
  int spanning = 0, disconnected = 0;
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    for (std::uint64_t s = 0; s < 30; ++s) {
      const BatchMasks masks = per_sample_masks(arch, Dropout::of(model, 0.55), 1, 100 + s);
      const Mask& mask = masks.masks[0];
      const auto r = forward_backward(spec, p, gaussian(arch.input_width, 1, s),
                                      targets_for(Loss::mse, 2, 1), Loss::mse, masks);
      const bool spans = directed_spanning(mask);
      (spans ? spanning : disconnected) += 1;
      EXPECT_EQ(r.zero_gradient[0] != 0, !spans) << name(model) << " sample " << s;
      const UnitSet forward = forward_reachable(mask);
      const UnitSet backward = backward_reachable(mask);
      std::int64_t support = 0;
      for (int g = 0; g < arch.gaps(); ++g) {
        for (int j = 0; j < arch.layer_width(g + 1); ++j) {
          for (int i = 0; i < arch.layer_width(g); ++i) {
            const bool on_backbone =
                mask.edge(g, i, j) && forward.contains(g, i) && backward.contains(g + 1, j);
            const bool nonzero = r.gradient.weights[g](j, i) != 0.0;
            EXPECT_EQ(nonzero, on_backbone) << name(model) << " sample " << s << " gap " << g;
            support += nonzero;
          }
        }
      }
      EXPECT_EQ(support, observe(mask, false).backbone_weights);
    }
  }
  EXPECT_GT(spanning, 10);
  EXPECT_GT(disconnected, 10);
}

// With skips a sample's gradient is zero exactly when no weight lies on a directed
// input-output path (docs/theory.md §6): nonzero exactly on backbone(mask, skips)'s weights.
// Droppable skips every layer and kept skips every 2 (L + 1 = 4: they chain input to output).
TEST(Mlp, ResidualGradientSupportIsTheBackbone) {
  const Architecture arch = Architecture::layered(3, {5, 4, 5}, 2);
  const Parameters<double> p =
      random_parameters({arch, Activation::tanh, false, Initialisation::glorot}, 22);
  for (auto [step, droppable] : {std::pair{1, true}, std::pair{2, false}}) {
    const MlpSpec spec =
        with_skips({arch, Activation::tanh, false, Initialisation::glorot}, step, droppable);
    int spanning = 0, disconnected = 0;
    for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
      for (std::uint64_t s = 0; s < 40; ++s) {
        const BatchMasks masks = per_sample_masks(spec, Dropout::of(model, 0.6), 1, 300 + s);
        const Backbone path = backbone(masks.masks[0], masks.skips[0]);
        const auto r = forward_backward(spec, p, gaussian(arch.input_width, 1, s),
                                        targets_for(Loss::mse, 2, 1), Loss::mse, masks);
        (path.directed_spanning ? spanning : disconnected) += 1;
        EXPECT_EQ(r.zero_gradient[0] != 0, path.weights == 0) << name(model) << " sample " << s;
        EXPECT_EQ(path.directed_spanning, (r.output.array() != 0.0).any()) << name(model);
        std::int64_t support = 0;
        for (const auto& g : r.gradient.weights)
          support += (g.array() != 0.0).count();
        EXPECT_EQ(support, path.weights) << name(model) << " sample " << s;
      }
    }
    EXPECT_GT(spanning, 10) << "S = " << step;
    EXPECT_GT(disconnected, step == 1 ? 10 : 0) << "S = " << step;
  }
}

// A path made of skips alone spans but holds no weight: the output depends on the input, every
// weight gradient is exactly zero (docs/theory.md §6). Site dropout empties layers 1 and 3; the
// skips 0 -> 2 -> 4 carry the inputs to the outputs.
TEST(Mlp, APathOfSkipsAloneCarriesNoGradient) {
  const Architecture arch{3, 4, 3, 3};
  Mask mask(arch);
  for (int i = 0; i < arch.width(); ++i) {
    mask.set_unit(1, i, false);
    mask.set_unit(3, i, false);
  }
  const MlpSpec spec = with_skips({arch, Activation::tanh, false, Initialisation::he}, 2, false);
  BatchMasks masks{Dropout::of(DropoutModel::site, 0.5), {mask}};
  masks.skips.emplace_back(arch, 2, false);
  const Backbone path = backbone(mask, masks.skips[0]);
  ASSERT_TRUE(path.directed_spanning);
  ASSERT_EQ(path.weights, 0);
  const auto r = forward_backward(spec, random_parameters(spec, 5), gaussian(3, 4, 6),
                                  targets_for(Loss::mse, 3, 4), Loss::mse, masks);
  EXPECT_TRUE((r.output.array() != 0.0).all());
  EXPECT_EQ(r.gradient.norm(), 0.0);
  for (char zero : r.zero_gradient)
    EXPECT_TRUE(zero);
}

TEST(Mlp, BiasesStillLearnWithoutAPath) {
  const Architecture arch{3, 4, 3, 2};
  Mask mask(arch);
  for (int i = 0; i < arch.width(); ++i)
    mask.set_unit(2, i, false);
  const MlpSpec spec{arch, Activation::relu, true, Initialisation::he};
  const auto r = forward_backward(spec, random_parameters(spec, 4), gaussian(3, 2, 1),
                                  targets_for(Loss::mse, 2, 2), Loss::mse,
                                  BatchMasks{Dropout::of(DropoutModel::site, 0.5), {mask}});
  EXPECT_GT(r.gradient.norm(), 0.0);
  EXPECT_GT(r.gradient.biases.back().norm(), 0.0);
  for (char zero : r.zero_gradient)
    EXPECT_FALSE(zero);
}

// A shared mask gives the same result as per-sample copies of it; no masks equals predict().
TEST(Mlp, SharedMaskEqualsPerSampleCopies) {
  const Architecture arch{4, 6, 3, 3};
  for (auto model : {DropoutModel::site, DropoutModel::bond, DropoutModel::site_bond}) {
    const MlpSpec spec{arch, Activation::relu, true, Initialisation::he};
    const Dropout d = Dropout::of(model, 0.4);
    const BatchMasks one = per_sample_masks(arch, d, 1, 9);
    BatchMasks copies{d, std::vector<Mask>(6, one.masks[0])};
    const auto p = random_parameters(spec, 5);
    const MatrixD x = gaussian(4, 6, 2);
    const auto t = targets_for(Loss::cross_entropy, 3, 6);
    const auto a = forward_backward(spec, p, x, t, Loss::cross_entropy, one);
    const auto b = forward_backward(spec, p, x, t, Loss::cross_entropy, copies);
    EXPECT_NEAR(a.loss, b.loss, 1e-14);
    for (int g = 0; g < arch.gaps(); ++g) {
      EXPECT_LT((a.gradient.weights[g] - b.gradient.weights[g]).norm(), 1e-13);
    }
  }
  for (int step : {0, 1, 2}) {
    const MlpSpec spec =
        with_skips({arch, Activation::tanh, true, Initialisation::glorot}, step, true);
    const auto p = random_parameters(spec, 6);
    const MatrixD x = gaussian(4, 3, 4);
    const auto plain = forward_backward(spec, p, x, targets_for(Loss::mse, 3, 3), Loss::mse,
                                        BatchMasks{Dropout{}, {}});
    EXPECT_EQ(plain.output, predict(spec, p, x)) << "S = " << step;
  }
}

// Inverted scaling keeps the expected pre-activation of a linear network: averaged over
// masks, the output equals the no-dropout output within 4 standard errors, per component,
// also with a drop probability per layer.
TEST(Mlp, InvertedScalingPreservesTheMeanOutput) {
  const Architecture arch{3, 6, 2, 2};
  const MlpSpec spec{arch, Activation::identity, false, Initialisation::he};
  const auto p = random_parameters(spec, 8);
  const MatrixD x = gaussian(3, 1, 5);
  const MatrixD exact = predict(spec, p, x);
  for (Dropout d :
       {Dropout{DropoutModel::site, 0.5, 0.0, 0.0}, Dropout{DropoutModel::bond, 0.0, 0.6, 0.0},
        Dropout{DropoutModel::site_bond, 0.3, 0.3, 0.25},
        // per-layer probabilities: each layer scaled by its own 1 / (1 - p)
        Dropout{DropoutModel::site_bond, 0.0, 0.0, 0.0, {0.2, 0.6}, {0.1, 0.5, 0.3}}}) {
    std::vector<MeanAccumulator> out(2);
    for (std::uint64_t s = 0; s < 20000; ++s) {
      const auto r = forward_backward(spec, p, x, targets_for(Loss::mse, 2, 1), Loss::mse,
                                      per_sample_masks(arch, d, 1, 1000 + s));
      for (int k = 0; k < 2; ++k)
        out[k].add(r.output(k, 0));
    }
    for (int k = 0; k < 2; ++k) {
      EXPECT_NEAR(out[k].mean(), exact(k, 0), 4 * out[k].standard_error()) << name(d.model);
    }
  }
  // Droppable skips are scaled as weights: a linear residual network keeps its mean output too.
  const MlpSpec residual = with_skips(spec, 1, true);
  const MatrixD exact_residual = predict(residual, p, x);
  std::vector<MeanAccumulator> out(2);
  for (std::uint64_t s = 0; s < 20000; ++s) {
    const auto r =
        forward_backward(residual, p, x, targets_for(Loss::mse, 2, 1), Loss::mse,
                         per_sample_masks(residual, Dropout::of(DropoutModel::bond, 0.5), 1, s));
    for (int k = 0; k < 2; ++k)
      out[k].add(r.output(k, 0));
  }
  for (int k = 0; k < 2; ++k)
    EXPECT_NEAR(out[k].mean(), exact_residual(k, 0), 4 * out[k].standard_error()) << "residual";
}

TEST(Mlp, InitialisationHasTheRightScale) {
  const Architecture arch{50, 200, 2, 10};
  for (Initialisation init : {Initialisation::he, Initialisation::glorot}) {
    RandomStream rng({1, 2, 3, 4});
    const auto p = initial_parameters<double>({arch, Activation::relu, false, init}, rng);
    const auto& w = p.weights[1];  // 200 x 200
    const double n = static_cast<double>(w.size());
    const double variance = w.squaredNorm() / n;
    const double expected = init == Initialisation::he ? 2.0 / 200 : 6.0 / 400 / 3;
    // Var of the sample variance: (mu4 - sigma^4) / n, mu4 = 3 sigma^4 (normal), 9/5 sigma^4
    // (uniform).
    const double kurtosis = init == Initialisation::he ? 3.0 : 1.8;
    EXPECT_NEAR(variance, expected, 4 * expected * std::sqrt((kurtosis - 1) / n)) << name(init);
    EXPECT_NEAR(w.mean(), 0.0, 4 * std::sqrt(expected / n));
    if (init == Initialisation::glorot) {
      EXPECT_LE(w.cwiseAbs().maxCoeff(), std::sqrt(6.0 / 400));
    }
    EXPECT_EQ(p.biases[0].norm(), 0.0);
  }
}

template <class Scalar>
using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void write_matrix(h5::Group& group, const std::string& name, const Matrix<float>& m) {
  const RowMajor<float> r = m;
  group.write<float>(name, std::span<const float>(r.data(), static_cast<std::size_t>(r.size())),
                     {static_cast<std::uint64_t>(r.rows()), static_cast<std::uint64_t>(r.cols())});
}

// Writes one case for tests/python/torch_reference.py: inputs, parameters, the masks as
// multipliers (inverted scaling included), and dropperc's own output, loss and gradients.
void export_case(h5::Group group, const MlpSpec& spec, Loss loss, const BatchMasks& masks,
                 std::uint64_t seed) {
  const Architecture& arch = spec.arch;
  const int batch = 16;
  RandomStream rng({seed, 1, 0, 0});
  Parameters<float> p = initial_parameters<float>(spec, rng);
  for (auto& b : p.biases)
    b = gaussian(static_cast<int>(b.size()), 1, seed + 1).cast<float>() * 0.3f;
  const Matrix<float> x = gaussian(arch.input_width, batch, seed + 2).cast<float>();
  BatchTargets<float> t;
  if (loss == Loss::mse) t.values = gaussian(arch.output_width, batch, seed + 3).cast<float>();
  for (int b = 0; b < batch; ++b)
    t.labels.push_back((b * 7) % arch.output_width);
  const auto r = forward_backward(spec, p, x, t, loss, masks);

  group.set_attribute("activation", name(spec.activation));
  group.set_attribute("bias", std::int64_t{spec.bias});
  group.set_attribute("loss", std::string_view(loss == Loss::mse ? "mse" : "cross_entropy"));
  write_matrix(group, "x", x.transpose());
  if (loss == Loss::mse) write_matrix(group, "targets", t.values.transpose());
  std::vector<std::int64_t> labels(t.labels.begin(), t.labels.end());
  group.write("labels", labels);
  write_matrix(group, "output", r.output.transpose());
  group.write<double>("loss", std::span<const double>(&r.loss, 1), {});
  const Dropout& d = masks.dropout;
  auto scale = [](double q) { return q < 1 ? static_cast<float>(1 / (1 - q)) : 0.0f; };
  for (int g = 0; g < arch.gaps(); ++g) {
    const std::string k = std::to_string(g);
    write_matrix(group, "weights/" + k, p.weights[g]);
    write_matrix(group, "biases/" + k, p.biases[g]);
    write_matrix(group, "grad_weights/" + k, r.gradient.weights[g]);
    write_matrix(group, "grad_biases/" + k, r.gradient.biases[g]);
    const bool units = g == 0 ? d.p_input > 0 : drops_units(d.model);
    const float unit_scale = g == 0 ? scale(d.p_input) : scale(d.p_site);
    Matrix<float> unit_masks = Matrix<float>::Ones(batch, arch.layer_width(g));
    Matrix<float> edge_masks =
        Matrix<float>::Ones(batch * arch.layer_width(g + 1), arch.layer_width(g));
    for (int b = 0; b < batch && !masks.masks.empty(); ++b) {
      const Mask& mask = masks.of(static_cast<std::size_t>(b));
      for (int i = 0; i < arch.layer_width(g); ++i) {
        if (units) unit_masks(b, i) = mask.unit(g, i) ? unit_scale : 0.0f;
        for (int j = 0; j < arch.layer_width(g + 1) && drops_edges(d.model); ++j) {
          edge_masks(b * arch.layer_width(g + 1) + j, i) =
              mask.edge(g, i, j) ? scale(d.p_bond) : 0.0f;
        }
      }
    }
    write_matrix(group, "unit_masks/" + k, unit_masks);
    write_matrix(group, "edge_masks/" + k, edge_masks);
  }
  // Skips: block b adds skip_masks/<b> (B x width, inverted scaling included) times the masked
  // value of layer b S to the pre-activation of layer (b + 1) S.
  group.set_attribute("residual", std::int64_t{spec.residual});
  for (int step = spec.residual, b = 0; step > 0 && (b + 1) * step <= arch.output_layer(); ++b) {
    const int head = (b + 1) * step;
    const int width = std::min(arch.layer_width(b * step), arch.layer_width(head));
    const bool dropped = spec.residual_dropout && drops_edges(d.model) && !masks.masks.empty();
    Matrix<float> skip_masks = Matrix<float>::Ones(batch, width);
    for (int s = 0; s < batch && dropped; ++s) {
      for (int i = 0; i < width; ++i) {
        skip_masks(s, i) = masks.skips_of(static_cast<std::size_t>(s)).kept(b, i)
                               ? scale(d.bond_at(head - 1))
                               : 0.0f;
      }
    }
    write_matrix(group, "skip_masks/" + std::to_string(b), skip_masks);
  }
}

// dropperc against PyTorch (Debian's python3-torch) on the same weights, masks and batch:
// output, loss and gradients agree to 1e-5 relative in float32, for no dropout, site (with
// input dropout) and bond, with and without biases, both losses and two activations; and a
// residual MLP (skips every 2 layers, droppable) in each of those settings.
TEST(Mlp, AgreesWithPyTorch) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "dropperc_torch_cases.h5";
  {
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    int n = 0;
    for (Dropout d :
         {Dropout{DropoutModel::site, 0.0, 0.0, 0.0}, Dropout{DropoutModel::site, 0.5, 0.0, 0.2},
          Dropout{DropoutModel::bond, 0.0, 0.5, 0.0}}) {
      const bool no_dropout = d.p_site == 0.0 && d.p_input == 0.0;
      for (bool bias : {false, true}) {
        for (auto [activation, loss] : {std::pair{Activation::relu, Loss::cross_entropy},
                                        std::pair{Activation::tanh, Loss::mse}}) {
          for (auto [arch, step] : {std::pair{Architecture{8, 16, 3, 4}, 0},
                                    std::pair{Architecture::layered(8, {16, 12, 16}, 4), 2}}) {
            const MlpSpec spec =
                with_skips({arch, activation, bias, Initialisation::he}, step, true);
            const BatchMasks masks =
                no_dropout ? BatchMasks{d, {}} : per_sample_masks(spec, d, 16, 40 + n);
            export_case(root.create_group("case_" + std::to_string(n)), spec, loss, masks, 60 + n);
            ++n;
          }
        }
      }
    }
    file.close();
  }
  const std::string command = "/usr/bin/python3 " DROPPERC_SOURCE_DIR
                              "/tests/python/torch_reference.py " +
                              path.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string report;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    report.append(buffer, n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) GTEST_SKIP() << "PyTorch is not installed (Debian's python3-torch): " << report;
  EXPECT_EQ(code, 0) << report;
}

TEST(Mlp, NamesRoundTrip) {
  for (auto a : {Activation::relu, Activation::tanh, Activation::identity}) {
    EXPECT_EQ(parse_activation(name(a)), a);
  }
  for (auto i : {Initialisation::he, Initialisation::glorot})
    EXPECT_EQ(parse_initialisation(name(i)), i);
  EXPECT_FALSE(parse_activation("sigmoid"));
}

}  // namespace
}  // namespace dropperc
