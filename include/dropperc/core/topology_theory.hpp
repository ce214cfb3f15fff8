#pragma once
// Exact theta beyond the dense MLP (docs/theory.md §11): local connectivity by the transfer
// matrix over reachable sets, dense layers with identity skips by the block chain of reachable
// counts. Where neither applies, the functions refuse and say so: Monte Carlo (dropperc sample)
// covers every geometry.

#include "dropperc/core/geometry.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc {

/// The most units the transfer matrix tracks at once: its state vector holds 2^bits doubles
/// (2^22: 32 MB).
inline constexpr int kMaxTransferBits = 22;
/// The most state updates (one per state per unit added) the transfer matrix does before it
/// refuses: about 70 s of work (docs/performance.md).
inline constexpr double kMaxTransferWork = 2e10;

/// Units the transfer matrix of a local network tracks at once (docs/theory.md §11.2): the
/// tails still needed by a later head of their gap and the heads done so far: W + K in one
/// periodic dimension, W + 1 with open boundaries. O(units x K) work; a network with a layer
/// wider than kMaxTransferBits gets that width (at least as many are tracked) at once.
int transfer_matrix_bits(const Architecture& arch, const Topology& topology);

/// Estimated seconds of one spanning_probability call, for the budget of `theory`; 0 where it
/// refuses at once (no exact theory, too many states).
double exact_theory_seconds(const Architecture& arch, const Topology& topology);

/// Exact theta of the network (docs/theory.md §11):
/// - the dense MLP: spanning_probability(arch, dropout);
/// - local connectivity without skips: the transfer matrix, if transfer_matrix_bits is at most
///   kMaxTransferBits and the work at most kMaxTransferWork;
/// - dense layers with skips: the block chain of reachable counts, O((L / S) W^4 + L W^3) with W
///   the widest layer, for any widths except where a block start must be split between the
///   units its skips leave from and the others while its reached set is not exchangeable
///   (docs/theory.md §11.3: e.g. W_in < W and W_out < W with a skip into the output, or a
///   taper that widens then narrows within the skips).
/// Otherwise throws std::invalid_argument saying what has no exact theory here and pointing to
/// Monte Carlo. 1 - theta and log theta keep their precision as in theory.hpp.
SpanningProbability spanning_probability(const Architecture& arch, const Topology& topology,
                                         const Dropout& dropout);

/// Bounds on theta of dense layers with skips, for the networks the block chain refuses
/// (docs/theory.md §11.3), by coupling the same masks: without the skips (fewer edges: below)
/// and with every layer as wide as the widest (more units, edges and skips: above, exact). A
/// bound that would cost more than a second of its own is the trivial 0 or 1. The refusal's
/// message quotes them.
struct ThetaBounds {
  double low = 0.0;
  double high = 1.0;
};
ThetaBounds skip_theta_bounds(const Architecture& arch, const Topology& topology,
                              const Dropout& dropout);

}  // namespace dropperc
