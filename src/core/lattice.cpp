#include "dropperc/core/lattice.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace dropperc {

// Why the bond geometry is self-dual. Its relevant part is the graph G: a top node T, a bottom
// node B and L - 1 interior rows of L sites; column c is a path T - (1, c) - ... - (L-1, c) - B of
// L vertical bonds, and neighbouring sites of an interior row are joined by a horizontal bond,
// L - 1 per row. Put a dual site in every bounded face, (L - 1) columns of L faces, plus a left
// node W and a right node E for the two unbounded sides; each bond of G is crossed by one dual
// bond. A vertical bond of column c is crossed by a horizontal dual bond between the faces left
// and right of it (W for c = 0, E for c = L - 1): L per dual row, L dual rows. A horizontal
// bond of row y is crossed by a vertical dual bond between the faces above and below it: L - 1
// per dual column. So the dual is W, E and L - 1 columns of L sites with L - 1 bonds in each
// column and L bonds in each row from W to E: turned by 90 degrees it is G itself, with W, E
// becoming T, B. Occupy a dual bond iff the bond it crosses is vacant: at q = 1/2 the dual is
// as likely occupied as G. With T, E, B, W in this order around the outside, exactly one of
// "T and B joined by occupied bonds" and "W and E joined by occupied dual bonds" holds (planar
// duality), so R_L(q) = 1 - R_L(1 - q). Generally the dual of R rows of C sites is, turned,
// C + 1 rows of R - 1 sites: L rows of L sites would not be self-dual (R_2(1/2) = 3/4).

namespace {

// Element and site indices are int32: N <= 2 L^2 <= 2^25 at the largest size.
static_assert(2 * std::int64_t{kMaxLatticeSize} * kMaxLatticeSize <= std::int64_t{1} << 25);
// Expected elements per bucket of the bucket sort: few enough to sort each in a few compares,
// enough that the bucket counts stay small beside the elements.
constexpr std::int32_t kElementsPerBucket = 4;

void check_size(int size) {
  if (size < 1 || size > kMaxLatticeSize) {
    throw std::invalid_argument("lattice size = " + std::to_string(size) + ": must be in [1, " +
                                std::to_string(kMaxLatticeSize) + "]");
  }
}

// Newman-Ziff: occupies elements in increasing u, joining clusters in a weighted union-find,
// until T and B meet. The buffers are kept from one sample to the next.
class SpanningSweep {
 public:
  SpanningSweep(LatticeModel model, int size)
      : model_(model),
        size_(size),
        elements_(static_cast<std::int32_t>(lattice_elements(model, size))),
        // site: the L^2 sites; bond: the (L - 1) L interior sites. T and B follow them.
        top_(model == LatticeModel::site ? elements_ : (size - 1) * size),
        bottom_(top_ + 1),
        buckets_(std::bit_floor(std::max<std::uint32_t>(elements_ / kElementsPerBucket, 1))),
        u_(elements_),
        order_(elements_),
        bucket_end_(buckets_),
        parent_(top_ + 2) {}

  double threshold(RandomStream& rng) {
    sort_into_buckets(rng);
    if (model_ == LatticeModel::site) {
      std::fill(parent_.begin(), parent_.begin() + top_, kVacant);
      parent_[top_] = parent_[bottom_] = -1;
      return sweep([this](std::int32_t site) { return occupy_site(site); });
    }
    std::ranges::fill(parent_, -1);
    return sweep([this](std::int32_t bond) { return occupy_bond(bond); });
  }

 private:
  struct Keyed {
    double u;
    std::int32_t element;
  };

  // parent_[a]: -(cluster size) at a root, the parent's index elsewhere, kVacant at a site not
  // yet occupied (site model).
  static constexpr std::int32_t kVacant = std::numeric_limits<std::int32_t>::min();

  // A counting sort on floor(u * buckets) (exact: buckets is a power of two), which orders
  // buckets by u in O(N); sweep() sorts each bucket only when it gets there, and never those
  // past q*.
  void sort_into_buckets(RandomStream& rng) {
    const auto scale = static_cast<double>(buckets_);
    auto bucket = [scale](double u) { return static_cast<std::uint32_t>(u * scale); };
    std::ranges::fill(bucket_end_, 0);
    for (std::int32_t e = 0; e < elements_; ++e) {
      u_[e] = rng.uniform();
      ++bucket_end_[bucket(u_[e])];
    }
    // bucket_end_[b] = where bucket b starts; the scatter advances it to where b ends.
    std::exclusive_scan(bucket_end_.begin(), bucket_end_.end(), bucket_end_.begin(),
                        std::uint32_t{0});
    for (std::int32_t e = 0; e < elements_; ++e)
      order_[bucket_end_[bucket(u_[e])]++] = {u_[e], e};
  }

  // The u of the element whose occupation joins T and B. `occupy` adds one element and says
  // whether T and B are now joined. Among equal u the order does not matter: the prefix that
  // first spans then holds every element with u <= q*, whatever their order.
  template <class Occupy>
  double sweep(Occupy occupy) {
    std::uint32_t begin = 0;
    for (const std::uint32_t end : bucket_end_) {
      std::sort(order_.begin() + begin, order_.begin() + end,
                [](const Keyed& a, const Keyed& b) { return a.u < b.u; });
      for (std::uint32_t i = begin; i < end; ++i) {
        if (occupy(order_[i].element)) return order_[i].u;
      }
      begin = end;
    }
    assert(false && "with every element occupied, each column joins T to B");
    return 1.0;
  }

  std::int32_t find(std::int32_t a) {
    // Path halving: every other node on the way points to its grandparent.
    while (parent_[a] >= 0) {
      const std::int32_t up = parent_[a];
      if (parent_[up] < 0) return up;
      a = parent_[a] = parent_[up];
    }
    return a;
  }

  // Joins the clusters of a and b (the smaller under the larger); false if already one.
  bool unite(std::int32_t a, std::int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    if (parent_[a] > parent_[b]) std::swap(a, b);
    parent_[a] += parent_[b];
    parent_[b] = a;
    return true;
  }

  bool spans() { return find(top_) == find(bottom_); }

  bool occupy_site(std::int32_t site) {
    const int row = site / size_;
    const int column = site % size_;
    parent_[site] = -1;
    bool merged = false;
    auto join = [&](std::int32_t other) {
      if (parent_[other] != kVacant) merged = unite(site, other) || merged;
    };
    if (row > 0) join(site - size_);
    if (row < size_ - 1) join(site + size_);
    if (column > 0) join(site - 1);
    if (column < size_ - 1) join(site + 1);
    if (row == 0) join(top_);
    if (row == size_ - 1) join(bottom_);
    return merged && spans();
  }

  // Site (y, c) of the L + 1 rows: T for y = 0, B for y = L, else an interior site.
  std::int32_t bond_site(int y, int column) const {
    if (y == 0) return top_;
    if (y == size_) return bottom_;
    return (y - 1) * size_ + column;
  }

  bool occupy_bond(std::int32_t bond) {
    const std::int32_t vertical = size_ * size_;
    if (bond < vertical) {
      const int y = bond / size_;
      const int column = bond % size_;
      return unite(bond_site(y, column), bond_site(y + 1, column)) && spans();
    }
    const int k = bond - vertical;
    const int y = 1 + k / (size_ - 1);
    const int column = k % (size_ - 1);
    return unite(bond_site(y, column), bond_site(y, column + 1)) && spans();
  }

  LatticeModel model_;
  int size_;
  std::int32_t elements_;
  std::int32_t top_;
  std::int32_t bottom_;
  std::uint32_t buckets_;
  std::vector<double> u_;
  std::vector<Keyed> order_;
  std::vector<std::uint32_t> bucket_end_;
  std::vector<std::int32_t> parent_;
};

}  // namespace

std::string_view name(LatticeModel model) {
  return model == LatticeModel::site ? "site" : "bond";
}

std::optional<LatticeModel> parse_lattice_model(std::string_view text) {
  for (LatticeModel model : {LatticeModel::site, LatticeModel::bond}) {
    if (text == name(model)) return model;
  }
  return std::nullopt;
}

std::int64_t lattice_elements(LatticeModel model, int size) {
  check_size(size);
  const std::int64_t l = size;
  return model == LatticeModel::site ? l * l : l * l + (l - 1) * (l - 1);
}

double spanning_threshold(LatticeModel model, int size, RandomStream& rng) {
  return SpanningSweep(model, size).threshold(rng);
}

std::vector<double> spanning_thresholds(LatticeModel model, int size, std::uint64_t seed,
                                        std::uint64_t stream, std::int64_t first, std::int64_t last,
                                        StopCheck* stop) {
  check_size(size);
  if (stream >= (std::uint64_t{1} << 48)) {
    throw std::invalid_argument("stream = " + std::to_string(stream) + ": must be below 2^48");
  }
  if (first < 0) {
    throw std::invalid_argument("first sample = " + std::to_string(first) + ": must be at least 0");
  }
  if (last < first) {
    throw std::invalid_argument("last sample = " + std::to_string(last) +
                                ": must be at least the first, " + std::to_string(first));
  }
  SpanningSweep sweep(model, size);
  std::vector<double> thresholds;
  thresholds.reserve(static_cast<std::size_t>(last - first));
  for (std::int64_t s = first; s < last && !(stop && (*stop)()); ++s) {
    RandomStream rng(
        {seed, stream_id(StreamDomain::lattice, stream), static_cast<std::uint64_t>(s), 0});
    thresholds.push_back(sweep.threshold(rng));
  }
  return thresholds;
}

}  // namespace dropperc
