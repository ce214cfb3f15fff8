#include "dropperc/core/topology_theory.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
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

// Every layer, input and output included, of one width: what the block chain needs.
bool one_width(const Architecture& arch) {
  const int w = arch.input_width;
  if (arch.output_width != w) return false;
  if (arch.is_uniform()) return arch.width() == w;
  return std::ranges::all_of(arch.hidden_widths(), [w](int width) { return width == w; });
}

// O(W^4) per block end, O(W^3) per other gap (docs/theory.md §11.3).
double block_chain_work(const Architecture& arch, const Topology& topology) {
  const double blocks = std::floor((arch.depth() + 1.0) / topology.residual);
  const double w1 = arch.input_width + 1.0;
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
  log_theta.add(matrix.condition_on_survival());
  std::vector<double> success, failure;
  for (int g = 0; g < arch.gaps() && log_theta.value() > -kInf; ++g) {
    reach_tables(dropout.of_gap(g, arch), arch.layer_width(g), arch.is_hidden(g + 1), success,
                 failure);
    for (const Step& step : plan_gap(arch, topology, g, slots_of, slots)) {
      if (step.add) {
        matrix.add(step, success, failure);
      } else {
        matrix.sum_out(step.slot);
      }
    }
    log_theta.add(matrix.condition_on_survival());
  }
  return SpanningProbability::from_log(log_theta.value());
}

// ---- Block chain of dense layers with skips (docs/theory.md §11.3) ----------------------------
//
// Every layer has width W. At a block start k the reachable set R_k is, given its size n, a
// uniformly random n-subset (the law is invariant under permuting all layers' units at once),
// and the interior counts depend on R_k through n alone. So the joint law of (n, n'), n' the
// count of the block's last interior layer, is propagated by the dense chain; at the block's end
// layer k + S a unit of R_k is reached with a = (1 - p_s)(1 - p_skip p_b^n'), any other with
// b = (1 - p_s)(1 - p_b^n'): N_{k+S} = Binomial(n, a) + Binomial(W - n, b).

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

SpanningProbability block_chain(const Architecture& arch, const Topology& topology,
                                const Dropout& dropout) {
  if (!one_width(arch)) {
    throw std::invalid_argument(
        "exact theory for skip connections needs every layer, input and output included, of "
        "one width (here W_in=" +
        std::to_string(arch.input_width) + ", hidden " + hidden_widths_text(arch) +
        ", W_out=" + std::to_string(arch.output_width) + "): use Monte Carlo (dropperc sample)");
  }
  const int s = topology.residual, w = arch.input_width;
  const double blocks = std::floor((arch.depth() + 1.0) / s);
  if (block_chain_work(arch, topology) > kMaxTransferWork) {
    throw std::invalid_argument(
        "the exact block chain of this residual network needs about " +
        std::to_string(static_cast<long long>(block_chain_work(arch, topology))) +
        " operations, more than its limit: use Monte Carlo (dropperc sample)");
  }
  const auto n1 = static_cast<std::size_t>(w + 1);
  // joint[n * (W + 1) + c]: P(block start count n, current count c | survival so far).
  std::vector<double> joint(n1 * n1, 0.0);
  detail::CompensatedSum log_theta;
  {
    const std::vector<double> start = binomial_pmf(w, 1.0 - dropout.p_input, dropout.p_input);
    const double absorbed = start[0];
    if (absorbed == 1.0) return {0.0, 1.0, -kInf};
    for (int n = 1; n <= w; ++n)
      joint[n * n1 + n] = start[n] / (1.0 - absorbed);
    log_theta.add(std::log1p(-absorbed));
  }
  std::vector<double> next(joint.size());
  // Conditions `next` on a reached unit in the current layer (at block ends and in the final
  // segment, where the current count is all that matters) and makes it the joint law; returns
  // false once theta is 0.
  auto condition = [&] {
    double absorbed = 0.0, survived = 0.0;
    for (int n = 0; n <= w; ++n) {
      for (int c = 0; c <= w; ++c) {
        const double x = next[n * n1 + c];
        (c == 0 ? absorbed : survived) += x;
      }
    }
    if (survived == 0.0) return false;
    log_theta.add(absorbed < 0.5 ? std::log1p(-absorbed) : std::log(survived));
    for (int n = 0; n <= w; ++n) {
      next[n * n1] = 0.0;
      for (int c = 1; c <= w; ++c)
        next[n * n1 + c] /= survived;
    }
    joint.swap(next);
    return true;
  };
  std::vector<double> table;
  for (int g = 0; g < arch.gaps(); ++g) {
    const int head = g + 1;
    const Dropout gap = dropout.of_gap(g, arch);
    const bool hidden = arch.is_hidden(head);
    std::fill(next.begin(), next.end(), 0.0);
    const bool block_end = head % s == 0;
    if (!block_end) {
      // An interior or final-segment gap: the dense chain on the current count. Inside a block
      // a count of 0 is not absorbing (the skip still carries the block start's units), so
      // only the final segment, after the last skip, is conditioned on survival.
      table = detail::transition(gap, w, w, hidden);
      for (int n = 0; n <= w; ++n) {
        next[n * n1] += joint[n * n1];  // current count 0 stays 0
        for (int c = 1; c <= w; ++c) {
          const double x = joint[n * n1 + c];
          if (x == 0.0) continue;
          for (int m = 0; m <= w; ++m)
            next[n * n1 + m] += x * table[c * n1 + m];
        }
      }
      const bool final_segment = head > static_cast<int>(blocks) * s;
      if (!final_segment) {
        joint.swap(next);
        continue;
      }
      // After the last skip the block start no longer matters: fold it into n = 0.
      for (int n = 1; n <= w; ++n) {
        for (int c = 0; c <= w; ++c) {
          next[c] += next[n * n1 + c];
          next[n * n1 + c] = 0.0;
        }
      }
      if (!condition()) return {0.0, 1.0, -kInf};
      continue;
    }
    // A block end: the skips from the block start's n units, the dense edges from c units.
    const double p_site = hidden ? gap.p_site : 0.0;
    const double p_skip = topology.residual_dropout ? gap.p_bond : 0.0;
    for (int n = 0; n <= w; ++n) {
      for (int c = 0; c <= w; ++c) {
        const double x = joint[n * n1 + c];
        if (x == 0.0) continue;
        const double dense_fail = c == 0 ? 1.0 : std::pow(gap.p_bond, c);
        // Failures p_s + (1 - p_s) q, q the probability no path in reaches the unit.
        const double fail_a = p_site + (1.0 - p_site) * p_skip * dense_fail;
        const double fail_b = p_site + (1.0 - p_site) * dense_fail;
        const auto from_skips = binomial_pmf(n, 1.0 - fail_a, fail_a);
        const auto others = binomial_pmf(w - n, 1.0 - fail_b, fail_b);
        for (int i = 0; i <= n; ++i) {
          if (from_skips[i] == 0.0) continue;
          for (int r = 0; r <= w - n; ++r) {
            const int m = i + r;
            next[m * n1 + m] += x * from_skips[i] * others[r];  // the next block starts at m
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
  if (topology.connectivity == Connectivity::dense) return 1e-9 * block_chain_work(arch, topology);
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
