#include "dropperc/core/rng.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace dropperc {

RandomStream::RandomStream(const StreamKey& key) : key_(key) {
  philox_key_ = {{key.seed, key.stream}};
  counter_ = {{0, key.sample, key.sub, 0}};
}

void RandomStream::seek(std::uint64_t position) {
  next_block_ = position / kLanes;
  lane_ = kLanes;
  const auto skip = static_cast<unsigned>(position % kLanes);
  if (skip != 0) {
    refill();
    lane_ = skip;
  }
}

KeepThreshold::KeepThreshold(double drop_probability) {
  assert(drop_probability >= 0.0 && drop_probability <= 1.0);
  // y = p 2^52 is exact; count the m in [0, 2^52) with m + 1/2 <= y. With f = floor(y) and the
  // exact fraction y - f, that is f + [y - f >= 1/2]. Clamped so that p = 1 drops every cell.
  const double y = drop_probability * 0x1p52;
  const double f = std::floor(y);
  const auto k = static_cast<std::uint64_t>(f) + (y - f >= 0.5 ? 1u : 0u);
  k_ = std::min<std::uint64_t>(k, std::uint64_t{1} << 52);
}

std::uint64_t KeepThreshold::draw_64(RandomStream& rng) const {
  constexpr int kCellBits = 52;
  if (k_ == 0) return ~std::uint64_t{0};  // p = 0: every lane kept
  if (k_ >> kCellBits) return 0;          // p = 1: every lane dropped
  std::uint64_t undecided = ~std::uint64_t{0}, kept = 0;
  for (int bit = kCellBits - 1; bit >= 0 && undecided != 0; --bit) {
    const std::uint64_t word = rng.next();
    if ((k_ >> bit) & 1u) {
      undecided &= word;  // a 0 where k has a 1: m < k, dropped
    } else {
      kept |= undecided & word;  // a 1 where k has a 0: m > k, kept
      undecided &= ~word;
    }
    // If k has no 1 below this bit, a lane equal to k so far has m >= k whatever follows.
    if ((k_ & ((std::uint64_t{1} << bit) - 1)) == 0) break;
  }
  return kept | undecided;  // lanes still undecided have m = k: kept (m >= k)
}

std::uint64_t draw_below(RandomStream& rng, std::uint64_t n) {
  assert(n >= 1);
  __extension__ using Wide = unsigned __int128;
  // floor(x n / 2^64) is uniform on [0, n) once the x whose low product word falls below
  // 2^64 mod n are rejected (Lemire, ACM TOMACS 2019).
  Wide product = Wide{rng.next()} * n;
  auto low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t rejected = (0 - n) % n;
    while (low < rejected) {
      product = Wide{rng.next()} * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

namespace {

// Smallest k with F(k) >= u for X ~ Binomial(n, r), r <= 1/2, s = 1 - r, by summing the pmf
// from k = 0 with f(k+1) = f(k) (n - k) / (k + 1) r / s. When f(0) = s^n would underflow the
// recursion runs on log f instead, so that the mass near the mean is still found.
int binomial_inversion(int n, double r, double s, double u) {
  const double log_s = std::log(s);
  const double log_odds = std::log(r) - log_s;
  const double log_f0 = n * log_s;
  double cdf = 0.0;
  if (log_f0 > -700.0) {
    double f = std::exp(log_f0);
    for (int k = 0; k < n; ++k) {
      cdf += f;
      if (u <= cdf) return k;
      f *= (n - k) / (k + 1.0) * (r / s);
    }
    return n;
  }
  double log_f = log_f0;
  for (int k = 0; k < n; ++k) {
    cdf += std::exp(log_f);
    if (u <= cdf) return k;
    log_f += std::log((n - k) / (k + 1.0)) + log_odds;
  }
  return n;
}

}  // namespace

int draw_binomial(RandomStream& rng, int n, double success, double failure) {
  assert(n >= 0 && success >= 0.0 && failure >= 0.0);
  const double u = rng.uniform();
  if (n == 0 || success <= 0.0) return 0;
  if (failure <= 0.0) return n;
  // Search on the side with the smaller probability: O(n min(success, failure) + 1) steps.
  if (success <= failure) return binomial_inversion(n, success, failure, u);
  return n - binomial_inversion(n, failure, success, u);
}

std::uint64_t name_stream(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : name)
    hash = (hash ^ c) * 1099511628211ull;
  return (hash ^ (hash >> 46)) & ((std::uint64_t{1} << 46) - 1);
}

}  // namespace dropperc
