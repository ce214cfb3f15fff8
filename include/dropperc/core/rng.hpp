#pragma once
// Counter-based random streams and the project's own conversions from raw words to variates.
//
// Every random number in dropperc is drawn from a RandomStream whose StreamKey names what it
// belongs to (job seed, stream tag, sample, sub-index). Because the stream is a pure function of
// its key and position, a sample's randomness depends on its indices alone: never on the rank,
// thread, order or restart that produced it. Conversions to uniforms, Bernoulli and Binomial
// draws are written out here (docs/theory.md §8) instead of using std:: distributions, whose
// output differs between standard libraries.

#include <cmath>
#include <cstdint>
#include <string_view>

#include <Random123/philox.h>

namespace dropperc {

/// Names one independent stream. Equal keys give equal streams; any difference gives an
/// independent one (Philox is a bijection of the counter under a key-dependent permutation).
struct StreamKey {
  std::uint64_t seed = 0;    ///< the job's (or user's) seed
  std::uint64_t stream = 0;  ///< what the draws are for: a task, or one kind of draw
  std::uint64_t sample = 0;  ///< sample or replica index within that stream
  std::uint64_t sub = 0;     ///< a further index, e.g. the p-grid point of a per-p mask

  friend bool operator==(const StreamKey&, const StreamKey&) = default;
};

/// What a stream's draws are for. It fills the top 16 bits of StreamKey::stream, so that no two
/// kinds of draws share a stream, whatever the seed; the low 48 bits index within the domain
/// (a plan, a task). Never renumber: stored results depend on these values.
enum class StreamDomain : std::uint64_t {
  sampling = 1,          ///< sampling.hpp: masks, thresholds, fast samplers
  training_init = 2,     ///< initial weights of a trained network
  training_masks = 3,    ///< dropout masks of training steps
  training_batches = 4,  ///< the order in which training samples are visited
  teacher = 5,           ///< teacher-student: the teacher's weights
  data = 6,              ///< teacher-student: inputs and noise
  split = 7,             ///< the train/test split of a loaded data set
  lattice = 8,           ///< lattice.hpp: square-lattice spanning thresholds
  bootstrap = 9,         ///< bootstrap.hpp: resampling of stored results (index: the analysis)
};

/// StreamKey::stream for draws of `domain`, index `index` < 2^48.
constexpr std::uint64_t stream_id(StreamDomain domain, std::uint64_t index) {
  return (static_cast<std::uint64_t>(domain) << 48) | index;
}

/// The stream index of a name (a task, a fit): FNV-1a (64 bit) folded to 46 bits, below
/// sampling's limit. Never change it: stored results depend on it.
std::uint64_t name_stream(std::string_view name);

/// A stream of 64-bit words from Philox4x64-10 with key (seed, stream) and counter
/// (block, sample, sub, 0): word w is lane w % 4 of block w / 4. The whole state is the key
/// and the position (words drawn so far), so it is saved and restored with two numbers, and
/// seek() jumps anywhere in O(1).
class RandomStream {
 public:
  explicit RandomStream(const StreamKey& key);

  /// The next raw word, uniform on [0, 2^64).
  std::uint64_t next() {
    if (lane_ == kLanes) refill();
    return words_[lane_++];
  }
  /// The next uniform on (0, 1), see to_uniform().
  double uniform();

  const StreamKey& key() const { return key_; }
  /// Number of words drawn since construction (or the last seek).
  std::uint64_t position() const { return next_block_ * kLanes - (kLanes - lane_); }
  /// Makes the next word the one at `position`, as if that many had been drawn.
  void seek(std::uint64_t position);

 private:
  using Philox = r123::Philox4x64;
  static constexpr unsigned kLanes = Philox::ctr_type::static_size;
  // Inline, like next(): an out-of-line call per four words costs ~10% of a uniform's price.
  void refill() {
    counter_[0] = next_block_++;
    words_ = Philox{}(counter_, philox_key_);
    lane_ = 0;
  }

  StreamKey key_;
  Philox::key_type philox_key_{};
  Philox::ctr_type counter_{};
  Philox::ctr_type words_{};
  std::uint64_t next_block_ = 0;
  unsigned lane_ = kLanes;
};

/// u(x) = (floor(x / 2^12) + 1/2) 2^-52: the midpoints of 2^52 equal cells of (0, 1).
/// Exact in double precision, never 0 or 1 (so logs and powers are finite) and symmetric:
/// u(~x) = 1 - u(x). docs/theory.md §8.
inline double to_uniform(std::uint64_t x) {
  return (static_cast<double>(x >> 12) + 0.5) * 0x1p-52;
}

inline double RandomStream::uniform() {
  return to_uniform(next());
}

/// The keep rule "u(x) > p" of a drop probability p as one integer comparison on the raw
/// word: u(x) > p  <=>  floor(x / 2^12) >= k(p), with k(p) = #{m : (m + 1/2) 2^-52 <= p}.
/// So a Bernoulli mask drawn with it equals the mask {u > p} built from the same words,
/// bit for bit. docs/theory.md §8.
class KeepThreshold {
 public:
  /// `drop_probability` in [0, 1].
  explicit KeepThreshold(double drop_probability);
  bool keep(std::uint64_t x) const { return (x >> 12) >= k_; }
  std::uint64_t cells_dropped() const { return k_; }

  /// 64 independent keep decisions (bit l: lane l kept), each exactly as likely as keep(),
  /// from about 8 words instead of 64 (docs/theory.md §8): lane l's 52-bit cell index m_l is
  /// read most significant bit first, bit l of the i-th word drawn being its i-th bit, and
  /// compared with k(p) only until it differs. Which words decide which lanes differs from
  /// keep(), so the masks differ from canonical ones; their law is the same.
  std::uint64_t draw_64(RandomStream& rng) const;

 private:
  std::uint64_t k_;
};

/// Exponential(1) variate -ln u with u = to_uniform of the next word.
inline double draw_exponential(RandomStream& rng) {
  return -std::log(rng.uniform());
}

/// Standard normal variate by Box-Muller from two uniforms u1, u2 (in that order):
/// sqrt(-2 ln u1) cos(2 pi u2). docs/theory.md §8.
inline double draw_normal(RandomStream& rng) {
  const double radius = std::sqrt(-2.0 * std::log(rng.uniform()));
  return radius * std::cos(2.0 * 3.14159265358979323846 * rng.uniform());
}

/// Uniform integer in [0, n), n >= 1, exactly (Lemire's multiply-shift with rejection).
/// docs/theory.md §8.
std::uint64_t draw_below(RandomStream& rng, std::uint64_t n);

/// A Binomial(n, success) draw by inversion of one uniform (docs/theory.md §8). The caller
/// passes both success and failure = 1 - success, each computed without cancellation, so
/// that success probabilities like 1 - 1e-20 are exact. Expected cost O(n min(success,
/// failure) + 1).
int draw_binomial(RandomStream& rng, int n, double success, double failure);

}  // namespace dropperc
