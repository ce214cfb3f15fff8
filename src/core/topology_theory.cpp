#include "dropperc/core/topology_theory.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "binomial_tables.hpp"

#include "dropperc/core/budget.hpp"

namespace dropperc {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- Transfer matrix (docs/theory.md §11.2) ---------------------------------------------------
//
// The state is the set of forward-reachable units among the units tracked, a bit each: the
// tails of the current gap that a later head still needs, and the heads done so far. A head is
// added once every tail it reads is tracked: given the state it is reached independently of the
// other heads, with probability reach_probability(number of its tails in the state). A tail no
// later head reads is summed out. Slots are reused smallest first, so the slots in use never
// exceed the most units tracked at once.

struct Step {
  bool add = false;  // add a head to `slot`, else sum out the tail in `slot`
  int slot = 0;
  std::uint64_t tails = 0;  // the slots of the head's tails
};

class Slots {
 public:
  int take() {
    int slot = next_;
    if (free_.empty()) {
      ++next_;
    } else {
      slot = *free_.begin();
      free_.erase(free_.begin());
    }
    peak_ = std::max(peak_, next_ - static_cast<int>(free_.size()));
    return slot;
  }
  void give(int slot) { free_.insert(slot); }
  int peak() const { return peak_; }

 private:
  std::set<int> free_;
  int next_ = 0;
  int peak_ = 0;
};

// The steps of gap g, given the slots of its tails; leaves the heads' slots in `slots_of`.
std::vector<Step> plan_gap(const Architecture& arch, const Topology& topology, int gap,
                           std::vector<int>& slots_of, Slots& slots) {
  const int tails = arch.layer_width(gap), heads = arch.layer_width(gap + 1);
  std::vector<std::vector<int>> reads(static_cast<std::size_t>(heads));
  std::vector<int> last_read(static_cast<std::size_t>(tails), -1);
  for (int j = 0; j < heads; ++j) {
    reads[j] = in_tails(arch, topology, gap + 1, j);
    for (int t : reads[j])
      last_read[t] = j;
  }
  std::vector<Step> steps;
  std::vector<int> heads_slots(static_cast<std::size_t>(heads));
  auto sum_out = [&](int t) {
    steps.push_back({false, slots_of[t], 0});
    slots.give(slots_of[t]);
  };
  for (int t = 0; t < tails; ++t) {
    if (last_read[t] < 0) sum_out(t);
  }
  for (int j = 0; j < heads; ++j) {
    Step step{true, slots.take(), 0};
    for (int t : reads[j])
      step.tails |= std::uint64_t{1} << slots_of[t];
    steps.push_back(step);
    heads_slots[j] = step.slot;
    for (int t : reads[j]) {
      if (last_read[t] == j) sum_out(t);
    }
  }
  slots_of = std::move(heads_slots);
  return steps;
}

// The gaps whose plans decide the bits: all of them, or for a uniform network the first, one
// hidden-to-hidden gap and the last (the others have that shape, and the peak depends on the
// shape alone).
std::vector<int> distinct_gaps(const Architecture& arch) {
  if (!arch.is_uniform()) {
    std::vector<int> gaps(static_cast<std::size_t>(arch.gaps()));
    for (int g = 0; g < arch.gaps(); ++g)
      gaps[g] = g;
    return gaps;
  }
  std::vector<int> gaps = {0};
  if (arch.depth() >= 2) gaps.push_back(1);
  gaps.push_back(arch.depth());
  return gaps;
}

class TransferMatrix {
 public:
  explicit TransferMatrix(int bits) : p_(std::size_t{1} << bits, 0.0) { p_[0] = 1.0; }

  // Adds a unit in `slot`, reached with success[m] (failure[m] its complement) when m of the
  // slots in `tails` are reached.
  void add(const Step& step, const std::vector<double>& success,
           const std::vector<double>& failure) {
    const std::size_t bit = std::size_t{1} << step.slot;
    for (std::size_t x = 0; x < p_.size(); ++x) {
      if ((x & bit) || p_[x] == 0.0) continue;
      const int m = std::popcount(x & step.tails);
      p_[x | bit] = p_[x] * success[m];
      p_[x] *= failure[m];
    }
  }

  void sum_out(int slot) {
    const std::size_t bit = std::size_t{1} << slot;
    for (std::size_t x = 0; x < p_.size(); ++x) {
      if (!(x & bit)) continue;
      p_[x & ~bit] += p_[x];
      p_[x] = 0.0;
    }
  }

  // Conditions on a reached unit, returning log P(some tracked unit is reached); -inf if none.
  double condition_on_survival() {
    const double absorbed = p_[0];
    double survived = 0.0;
    for (std::size_t x = 1; x < p_.size(); ++x)
      survived += p_[x];
    if (survived == 0.0) return -kInf;
    p_[0] = 0.0;
    for (double& x : p_)
      x /= survived;
    return absorbed < 0.5 ? std::log1p(-absorbed) : std::log(survived);
  }

 private:
  std::vector<double> p_;
};

// success[m], failure[m] of a head with m reached tails (reach_probability; m = 0: never).
void reach_tables(const Dropout& gap, int tails, bool hidden_target, std::vector<double>& success,
                  std::vector<double>& failure) {
  success.assign(static_cast<std::size_t>(tails + 1), 0.0);
  failure.assign(static_cast<std::size_t>(tails + 1), 1.0);
  for (int m = 1; m <= tails; ++m) {
    const ReachProbability r = reach_probability(gap, m, hidden_target);
    success[m] = r.success;
    failure[m] = r.failure;
  }
}

// One update per state for every head: every unit past the inputs (docs/theory.md §11.2).
double transfer_work(const Architecture& arch, int bits) {
  return static_cast<double>(arch.units() - arch.input_width) * std::ldexp(1.0, bits);
}

// Skips leaving block start k: its first min(W_k, W_{k+S}) units; 0 after the last block.
int paired_width(const Architecture& arch, int step, int k) {
  return k + step <= arch.output_layer() ? std::min(arch.layer_width(k), arch.layer_width(k + step))
                                         : 0;
}

// The block chain is exact unless a block start's reached set must be split between the units
// its skips leave from and the others while it is not exchangeable (docs/theory.md §11.3):
// the block start layer h whose skips do not cover all of it, after a block whose skips did
// not cover all of h, or an earlier non-exchangeable start. Returns that layer, or -1.
int block_chain_obstacle(const Architecture& arch, int step) {
  bool exchangeable = true;
  for (int h = step; h <= arch.output_layer(); h += step) {
    exchangeable = exchangeable && paired_width(arch, step, h - step) == arch.layer_width(h);
    const int next = paired_width(arch, step, h);
    if (next > 0 && next < arch.layer_width(h) && !exchangeable) return h;
  }
  return -1;
}

// O(W^4) per block end, O(W^3) per other gap, W the widest layer (docs/theory.md §11.3).
double block_chain_work(const Architecture& arch, const Topology& topology) {
  const double blocks = std::floor((arch.depth() + 1.0) / topology.residual);
  const double w1 = arch.max_width() + 1.0;
  return blocks * std::pow(w1, 4) + arch.gaps() * std::pow(w1, 3);
}

SpanningProbability transfer_matrix(const Architecture& arch, const Topology& topology,
                                    const Dropout& dropout) {
  const int bits = transfer_matrix_bits(arch, topology);
  if (bits > kMaxTransferBits) {
    throw std::invalid_argument(
        "the exact transfer matrix of this local network tracks " + std::to_string(bits) +
        " units at once, more than its limit of " + std::to_string(kMaxTransferBits) + " (2^" +
        std::to_string(kMaxTransferBits) +
        " states; W up to about 16 in one dimension): use Monte Carlo (dropperc sample)");
  }
  const double work = transfer_work(arch, bits);
  if (work > kMaxTransferWork) {
    throw std::invalid_argument("the exact transfer matrix of this local network needs about " +
                                std::to_string(static_cast<long long>(work)) +
                                " state updates, more than its limit of " +
                                std::to_string(static_cast<long long>(kMaxTransferWork)) +
                                ": use fewer layers, or Monte Carlo (dropperc sample)");
  }
  TransferMatrix matrix(bits);
  Slots slots;
  detail::CompensatedSum log_theta;
  // The inputs: each kept with 1 - p_input.
  std::vector<int> slots_of(static_cast<std::size_t>(arch.input_width));
  const std::vector<double> kept = {1.0 - dropout.p_input}, dropped = {dropout.p_input};
  for (int i = 0; i < arch.input_width; ++i) {
    slots_of[i] = slots.take();
    matrix.add({true, slots_of[i], 0}, kept, dropped);
  }
  // A compensated sum cannot hold -inf ((sum - t) + x is inf - inf): theta = 0 returns at once.
  auto survive = [&](double log_survival) {
    if (log_survival == -kInf) return false;
    log_theta.add(log_survival);
    return true;
  };
  if (!survive(matrix.condition_on_survival())) return {0.0, 1.0, -kInf};
  std::vector<double> success, failure;
  for (int g = 0; g < arch.gaps(); ++g) {
    reach_tables(dropout.of_gap(g, arch), arch.layer_width(g), arch.is_hidden(g + 1), success,
                 failure);
    for (const Step& step : plan_gap(arch, topology, g, slots_of, slots)) {
      if (step.add) {
        matrix.add(step, success, failure);
      } else {
        matrix.sum_out(step.slot);
      }
    }
    if (!survive(matrix.condition_on_survival())) return {0.0, 1.0, -kInf};
  }
  return SpanningProbability::from_log(log_theta.value());
}

// ---- Block chain of dense layers with skips (docs/theory.md §11.3) ----------------------------
//
// The state inside the block from k is (a, c): a the reached units of R_k among the w_k units its
// skips leave from, c the count of the current layer. Dense gaps move c (the chain of §3); at the
// block end h = k + S a paired unit whose skip source is reached is reached with failure
// f_a = p_s + (1 - p_s) p_skip p_b^c, any other with f_b = p_s + (1 - p_s) p_b^c:
// N_h = Binomial(a, 1 - f_a) + Binomial(W_h - a, 1 - f_b). The next block's a is N_h if its
// skips leave from all of h, else Hypergeometric(W_h, w_h, N_h) (R_h exchangeable).

// The pmf of Binomial(n, success) (failure its complement), n + 1 entries.
std::vector<double> binomial_pmf(int n, double success, double failure) {
  std::vector<double> row(static_cast<std::size_t>(n + 1));
  if (success == 0.0 || failure == 0.0) {
    row.assign(row.size(), 0.0);
    row[success == 0.0 ? 0 : n] = 1.0;
    return row;
  }
  detail::binomial_row(detail::log_choose(n), std::log(success), std::log(failure), row.data());
  return row;
}

// P(j of n draws without replacement from `total` units fall among the first `marked`), for
// j = 0..marked: the Hypergeometric pmf, from log binomial coefficients.
std::vector<double> hypergeometric_pmf(int total, int marked, int n) {
  const std::vector<double> all = detail::log_choose(total), in = detail::log_choose(marked),
                            out = detail::log_choose(total - marked);
  std::vector<double> row(static_cast<std::size_t>(marked + 1), 0.0);
  for (int j = std::max(0, n - (total - marked)); j <= std::min(n, marked); ++j)
    row[j] = std::exp(in[j] + out[n - j] - all[n]);
  return row;
}

SpanningProbability block_chain(const Architecture& arch, const Topology& topology,
                                const Dropout& dropout);

}  // namespace

ThetaBounds skip_theta_bounds(const Architecture& arch, const Topology& topology,
                              const Dropout& dropout) {
  const double low = !drops_edges(dropout.model) || chain_seconds(arch) <= 1.0
                         ? spanning_probability(arch, dropout).theta
                         : 0.0;
  const int w = arch.max_width();
  const Architecture wide{w, w, arch.depth(), w};
  const double high = 1e-9 * block_chain_work(wide, topology) <= 1.0
                          ? block_chain(wide, topology, dropout).theta
                          : 1.0;
  return {low, high};
}

namespace {

SpanningProbability block_chain(const Architecture& arch, const Topology& topology,
                                const Dropout& dropout) {
  const int s = topology.residual;
  if (const int layer = block_chain_obstacle(arch, s); layer >= 0) {
    const auto [low, high] = skip_theta_bounds(arch, topology, dropout);
    char bounds[160];
    std::snprintf(bounds, sizeof bounds,
                  "; theta lies between %.10g (the network without skips) and %.10g (every layer "
                  "%d wide)",
                  low, high, arch.max_width());
    throw std::invalid_argument(
        "no exact theory for these skips: the skips into layer " + std::to_string(layer) +
        " and before it do not cover every unit, so its reached units are not exchangeable, and "
        "its own skips leave from only its first " +
        std::to_string(paired_width(arch, s, layer)) + " of " +
        std::to_string(arch.layer_width(layer)) + " units" + bounds +
        ": use Monte Carlo (dropperc sample) for its value");
  }
  if (block_chain_work(arch, topology) > kMaxTransferWork) {
    throw std::invalid_argument(
        "the exact block chain of this residual network needs about " +
        std::to_string(static_cast<long long>(block_chain_work(arch, topology))) +
        " operations, more than its limit of " +
        std::to_string(static_cast<long long>(kMaxTransferWork)) +
        " (the cost grows as the fourth power of the widest layer): use Monte Carlo (dropperc "
        "sample)");
  }
  const int w_max = arch.max_width();
  const auto n1 = static_cast<std::size_t>(w_max + 1);
  // joint[a * (W_max + 1) + c]: P(a, c | survival so far).
  std::vector<double> joint(n1 * n1, 0.0), next(joint.size());
  detail::CompensatedSum log_theta;
  {
    // The inputs, each kept with 1 - p_input: a of the first w_0, b of the others.
    const int inputs = arch.input_width, w0 = paired_width(arch, s, 0);
    const std::vector<double> first = binomial_pmf(w0, 1.0 - dropout.p_input, dropout.p_input);
    const std::vector<double> rest =
        binomial_pmf(inputs - w0, 1.0 - dropout.p_input, dropout.p_input);
    const double absorbed = first[0] * rest[0];
    if (absorbed == 1.0) return {0.0, 1.0, -kInf};
    for (int a = 0; a <= w0; ++a) {
      for (int b = 0; b <= inputs - w0; ++b) {
        if (a + b > 0) joint[a * n1 + a + b] = first[a] * rest[b] / (1.0 - absorbed);
      }
    }
    log_theta.add(std::log1p(-absorbed));
  }
  // Conditions `next` on a reached unit in the current layer (at block ends and after the last
  // skip, where the current count is all that matters) and makes it the joint law; returns
  // false once theta is 0.
  auto condition = [&] {
    double absorbed = 0.0, survived = 0.0;
    for (std::size_t a = 0; a < n1; ++a) {
      absorbed += next[a * n1];
      for (std::size_t c = 1; c < n1; ++c)
        survived += next[a * n1 + c];
    }
    if (survived == 0.0) return false;
    log_theta.add(absorbed < 0.5 ? std::log1p(-absorbed) : std::log(survived));
    for (std::size_t a = 0; a < n1; ++a) {
      next[a * n1] = 0.0;
      for (std::size_t c = 1; c < n1; ++c)
        next[a * n1 + c] /= survived;
    }
    joint.swap(next);
    return true;
  };
  const int last_block_end = s * ((arch.depth() + 1) / s);
  std::vector<double> table;
  for (int g = 0; g < arch.gaps(); ++g) {
    const int head = g + 1, tails = arch.layer_width(g), heads = arch.layer_width(head);
    const int start = head - (head % s == 0 ? s : head % s);  // the block start
    const int a_max = paired_width(arch, s, start);
    const Dropout gap = dropout.of_gap(g, arch);
    const bool hidden = arch.is_hidden(head);
    std::fill(next.begin(), next.end(), 0.0);
    if (head % s != 0) {
      // An interior or final-segment gap: the dense chain on the current count. Inside a block
      // a count of 0 is not absorbing (the skips still carry the block start's units), so only
      // the final segment, after the last skip, is conditioned on survival (a = 0 there).
      table = detail::transition(gap, tails, heads, hidden);
      const auto t1 = static_cast<std::size_t>(heads + 1);
      for (int a = 0; a <= a_max; ++a) {
        next[a * n1] += joint[a * n1];  // current count 0 stays 0
        for (int c = 1; c <= tails; ++c) {
          const double x = joint[a * n1 + c];
          if (x == 0.0) continue;
          for (int m = 0; m <= heads; ++m)
            next[a * n1 + m] += x * table[c * t1 + m];
        }
      }
      if (head <= last_block_end) {
        joint.swap(next);
        continue;
      }
      if (!condition()) return {0.0, 1.0, -kInf};
      continue;
    }
    // A block end: the skips from the block start's a units, the dense edges from c units; then
    // the next block's a.
    const double p_site = hidden ? gap.p_site : 0.0;
    const double p_skip = topology.residual_dropout ? gap.p_bond : 0.0;
    const int a_next_max = paired_width(arch, s, head);
    const bool split = a_next_max > 0 && a_next_max < heads;
    std::vector<std::vector<double>> splits(static_cast<std::size_t>(split ? heads + 1 : 0));
    for (int m = 0; m < static_cast<int>(splits.size()); ++m)
      splits[m] = hypergeometric_pmf(heads, a_next_max, m);
    for (int a = 0; a <= a_max; ++a) {
      for (int c = 0; c <= tails; ++c) {
        const double x = joint[a * n1 + c];
        if (x == 0.0) continue;
        const double dense_fail = c == 0 ? 1.0 : std::pow(gap.p_bond, c);
        // Failures p_s + (1 - p_s) q, q the probability no path in reaches the unit.
        const double fail_a = p_site + (1.0 - p_site) * p_skip * dense_fail;
        const double fail_b = p_site + (1.0 - p_site) * dense_fail;
        const auto from_skips = binomial_pmf(a, 1.0 - fail_a, fail_a);
        const auto others = binomial_pmf(heads - a, 1.0 - fail_b, fail_b);
        for (int i = 0; i <= a; ++i) {
          if (from_skips[i] == 0.0) continue;
          for (int r = 0; r <= heads - a; ++r) {
            const int m = i + r;
            const double y = x * from_skips[i] * others[r];
            if (!split) {
              next[(a_next_max == 0 ? 0 : m) * n1 + m] += y;
              continue;
            }
            for (int j = 0; j <= a_next_max; ++j)
              next[j * n1 + m] += y * splits[m][j];
          }
        }
      }
    }
    if (!condition()) return {0.0, 1.0, -kInf};
  }
  return SpanningProbability::from_log(log_theta.value());
}

}  // namespace

int transfer_matrix_bits(const Architecture& arch, const Topology& topology) {
  // A full layer is tracked at some point: wider lattices are refused without planning them.
  if (arch.max_width() > kMaxTransferBits) return arch.max_width();
  int peak = arch.input_width;
  for (int g : distinct_gaps(arch)) {
    Slots slots;
    std::vector<int> slots_of(static_cast<std::size_t>(arch.layer_width(g)));
    for (int& slot : slots_of)
      slot = slots.take();
    plan_gap(arch, topology, g, slots_of, slots);
    peak = std::max(peak, slots.peak());
  }
  return peak;
}

double exact_theory_seconds(const Architecture& arch, const Topology& topology) {
  validate(topology, arch);
  if (topology.is_dense_mlp()) return chain_seconds(arch);
  // Measured (docs/performance.md, "Local and residual networks"): 3.5 ns a state update of
  // the transfer matrix; the block chain's operations, most on zero entries, at 1 ns an upper
  // estimate.
  if (topology.connectivity == Connectivity::dense) {
    return block_chain_obstacle(arch, topology.residual) >= 0
               ? 0.0
               : 1e-9 * block_chain_work(arch, topology);
  }
  if (topology.residual > 0) return 0.0;
  const int bits = transfer_matrix_bits(arch, topology);
  return bits > kMaxTransferBits ? 0.0 : 3.5e-9 * transfer_work(arch, bits);
}

SpanningProbability spanning_probability(const Architecture& arch, const Topology& topology,
                                         const Dropout& dropout) {
  validate(topology, arch);
  validate(dropout, arch);
  if (topology.is_dense_mlp()) return spanning_probability(arch, dropout);
  if (topology.connectivity == Connectivity::dense) return block_chain(arch, topology, dropout);
  if (topology.residual > 0) {
    throw std::invalid_argument(
        "no exact theory for local connectivity with skip connections: use Monte Carlo "
        "(dropperc sample)");
  }
  return transfer_matrix(arch, topology, dropout);
}

}  // namespace dropperc
