#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "dropperc/core/lattice.hpp"

namespace dropperc {
namespace {

// The lattice as an explicit graph, built from the geometry and element numbering documented
// in lattice.hpp, independently of lattice.cpp: every site of the bond lattice's top and
// bottom rows is a node of its own, and spanning is searched breadth first.
struct ExplicitLattice {
  int elements = 0;
  std::vector<int> node_element;  // the element that occupies a node, -1: always present
  // Per node: (neighbour, the element that occupies the link or -1: always present).
  std::vector<std::vector<std::pair<int, int>>> links;
  std::vector<int> top;
  std::vector<int> bottom;

  void link(int a, int b, int element) {
    links[a].emplace_back(b, element);
    links[b].emplace_back(a, element);
  }
};

ExplicitLattice explicit_lattice(LatticeModel model, int size) {
  const int l = size;
  ExplicitLattice g;
  if (model == LatticeModel::site) {
    g.elements = l * l;
    g.links.resize(l * l);
    for (int site = 0; site < l * l; ++site) {
      g.node_element.push_back(site);
      if (site % l < l - 1) g.link(site, site + 1, -1);
      if (site / l < l - 1) g.link(site, site + l, -1);
    }
    for (int c = 0; c < l; ++c) {
      g.top.push_back(c);
      g.bottom.push_back((l - 1) * l + c);
    }
    return g;
  }
  g.elements = l * l + (l - 1) * (l - 1);
  g.node_element.assign((l + 1) * l, -1);
  g.links.resize((l + 1) * l);
  auto node = [l](int y, int c) { return y * l + c; };
  for (int y = 0; y < l; ++y) {
    for (int c = 0; c < l; ++c)
      g.link(node(y, c), node(y + 1, c), y * l + c);
  }
  for (int y = 1; y < l; ++y) {
    for (int c = 0; c + 1 < l; ++c)
      g.link(node(y, c), node(y, c + 1), l * l + (y - 1) * (l - 1) + c);
  }
  for (int c = 0; c < l; ++c) {
    g.top.push_back(node(0, c));
    g.bottom.push_back(node(l, c));
  }
  return g;
}

// Whether occupied nodes and links join a top node to a bottom node.
bool spans(const ExplicitLattice& g, const std::function<bool(int element)>& occupied) {
  auto present = [&](int element) { return element < 0 || occupied(element); };
  std::vector<char> seen(g.links.size(), 0);
  std::vector<int> queue;
  for (int a : g.top) {
    if (present(g.node_element[a])) {
      seen[a] = 1;
      queue.push_back(a);
    }
  }
  for (std::size_t i = 0; i < queue.size(); ++i) {
    for (const auto& [b, element] : g.links[queue[i]]) {
      if (!seen[b] && present(element) && present(g.node_element[b])) {
        seen[b] = 1;
        queue.push_back(b);
      }
    }
  }
  for (int b : g.bottom) {
    if (seen[b]) return true;
  }
  return false;
}

// R(q) = sum over configurations of q^n (1 - q)^(N - n) [spans], by enumerating all 2^N.
class SpanningPolynomial {
 public:
  SpanningPolynomial(LatticeModel model, int size) {
    const ExplicitLattice g = explicit_lattice(model, size);
    spanning_by_occupied_.assign(g.elements + 1, 0);
    for (std::uint32_t config = 0; config < (std::uint32_t{1} << g.elements); ++config) {
      if (spans(g, [config](int e) { return (config >> e & 1) != 0; })) {
        ++spanning_by_occupied_[std::popcount(config)];
      }
    }
  }

  double operator()(double q) const {
    const int n = static_cast<int>(spanning_by_occupied_.size()) - 1;
    double r = 0.0;
    for (int k = 0; k <= n; ++k)
      r += static_cast<double>(spanning_by_occupied_[k]) * std::pow(q, k) * std::pow(1 - q, n - k);
    return r;
  }

 private:
  std::vector<std::int64_t> spanning_by_occupied_;
};

struct TinyLattice {
  LatticeModel model;
  int size;
};
// Every size with at most 2^20 configurations: site N = L^2, bond N = L^2 + (L - 1)^2.
const std::vector<TinyLattice> kTiny = {{LatticeModel::site, 1}, {LatticeModel::site, 2},
                                        {LatticeModel::site, 3}, {LatticeModel::site, 4},
                                        {LatticeModel::bond, 1}, {LatticeModel::bond, 2},
                                        {LatticeModel::bond, 3}};

std::string describe(LatticeModel model, int size) {
  return std::string(name(model)) + " L = " + std::to_string(size);
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Lattice, ModelsHaveNames) {
  EXPECT_EQ(name(LatticeModel::site), "site");
  EXPECT_EQ(name(LatticeModel::bond), "bond");
  EXPECT_EQ(parse_lattice_model("site"), LatticeModel::site);
  EXPECT_EQ(parse_lattice_model("bond"), LatticeModel::bond);
  EXPECT_FALSE(parse_lattice_model("site+bond"));
}

TEST(Lattice, CountsElements) {
  for (auto model : {LatticeModel::site, LatticeModel::bond}) {
    for (int size : {1, 2, 5, 40})
      EXPECT_EQ(lattice_elements(model, size), explicit_lattice(model, size).elements);
  }
  EXPECT_EQ(lattice_elements(LatticeModel::site, 5), 25);
  EXPECT_EQ(lattice_elements(LatticeModel::bond, 1), 1);
  EXPECT_EQ(lattice_elements(LatticeModel::bond, 5), 25 + 16);
  EXPECT_EQ(lattice_elements(LatticeModel::bond, kMaxLatticeSize),
            std::int64_t{2} * kMaxLatticeSize * kMaxLatticeSize - 2 * kMaxLatticeSize + 1);
}

// The enumeration itself against closed forms: two columns of two sites (site, L = 2), and the
// Wheatstone bridge (bond, L = 2: T and B each joined to two sites that share a bond).
TEST(Lattice, EnumerationMatchesClosedForms) {
  const SpanningPolynomial site1(LatticeModel::site, 1), bond1(LatticeModel::bond, 1);
  const SpanningPolynomial site2(LatticeModel::site, 2), bond2(LatticeModel::bond, 2);
  for (double q : {0.1, 0.5, 0.8}) {
    EXPECT_NEAR(site1(q), q, 1e-15);
    EXPECT_NEAR(bond1(q), q, 1e-15);
    EXPECT_NEAR(site2(q), 2 * q * q - std::pow(q, 4), 1e-15);
    EXPECT_NEAR(bond2(q), 2 * q * q + 2 * std::pow(q, 3) - 5 * std::pow(q, 4) + 2 * std::pow(q, 5),
                1e-15);
  }
}

// Self-duality (lattice.cpp): R_L(1/2) = 1/2 and R_L(q) + R_L(1 - q) = 1 exactly, at every size
// that can be enumerated. The site lattice is not self-dual: R_2(1/2) = 7/16.
TEST(Lattice, BondSpanningIsSelfDual) {
  for (int size : {1, 2, 3}) {
    const SpanningPolynomial r(LatticeModel::bond, size);
    EXPECT_NEAR(r(0.5), 0.5, 1e-12) << "L = " << size;
    for (double q : {0.1, 0.3, 0.42})
      EXPECT_NEAR(r(q) + r(1 - q), 1.0, 1e-12) << "L = " << size << ", q = " << q;
  }
  EXPECT_NEAR(SpanningPolynomial(LatticeModel::site, 2)(0.5), 7.0 / 16, 1e-15);
}

// The fraction of samples with q* < q against the exact R_L(q), within 4 binomial sigma.
TEST(Lattice, ThresholdsFollowExactEnumeration) {
  constexpr std::int64_t kSamples = 20000;
  for (const auto& [model, size] : kTiny) {
    const SpanningPolynomial r(model, size);
    const std::vector<double> thresholds = spanning_thresholds(model, size, 31, 0, 0, kSamples);
    for (double q : {0.3, 0.5, 0.6, 0.7}) {
      const auto spanning =
          std::count_if(thresholds.begin(), thresholds.end(), [q](double t) { return t < q; });
      const double exact = r(q);
      const double sigma = std::sqrt(exact * (1 - exact) / kSamples);
      EXPECT_NEAR(static_cast<double>(spanning) / kSamples, exact, 4 * sigma)
          << describe(model, size) << ", q = " << q;
    }
  }
}

// q* is the u of one element; the configuration {u_e < q} searched breadth first does not span
// at q = q* and spans at the next double above it. Exactly N uniforms are drawn.
TEST(Lattice, ThresholdIsWhereSpanningStarts) {
  for (auto model : {LatticeModel::site, LatticeModel::bond}) {
    for (int size : {1, 2, 3, 7, 16, 41}) {
      const ExplicitLattice g = explicit_lattice(model, size);
      for (std::uint64_t s = 0; s < 40; ++s) {
        RandomStream rng({32, static_cast<std::uint64_t>(size), s, 0});
        RandomStream replay = rng;
        const double threshold = spanning_threshold(model, size, rng);
        std::vector<double> u(g.elements);
        for (double& x : u)
          x = replay.uniform();
        ASSERT_EQ(rng.position(), replay.position()) << describe(model, size);
        EXPECT_NE(std::find(u.begin(), u.end(), threshold), u.end()) << describe(model, size);
        const double above = std::nextafter(threshold, 2.0);
        EXPECT_FALSE(spans(g, [&](int e) { return u[e] < threshold; })) << describe(model, size);
        EXPECT_TRUE(spans(g, [&](int e) { return u[e] < above; })) << describe(model, size);
      }
    }
  }
}

TEST(Lattice, BlocksReproduceOneRun) {
  for (auto model : {LatticeModel::site, LatticeModel::bond}) {
    const std::vector<double> all = spanning_thresholds(model, 9, 33, 5, 0, 100);
    std::vector<double> blocks = spanning_thresholds(model, 9, 33, 5, 0, 37);
    const std::vector<double> rest = spanning_thresholds(model, 9, 33, 5, 37, 100);
    blocks.insert(blocks.end(), rest.begin(), rest.end());
    ASSERT_EQ(all.size(), 100u);
    EXPECT_EQ(blocks, all);  // bit for bit
    RandomStream rng({33, stream_id(StreamDomain::lattice, 5), 64, 0});
    EXPECT_EQ(spanning_threshold(model, 9, rng), all[64]);
    EXPECT_NE(spanning_thresholds(model, 9, 34, 5, 0, 100), all);
    EXPECT_NE(spanning_thresholds(model, 9, 33, 6, 0, 100), all);
    EXPECT_TRUE(spanning_thresholds(model, 9, 33, 5, 7, 7).empty());
  }
}

TEST(Lattice, BadArgumentsAreNamed) {
  for (auto model : {LatticeModel::site, LatticeModel::bond}) {
    for (int size : {0, -3, kMaxLatticeSize + 1}) {
      const std::string expected =
          "lattice size = " + std::to_string(size) + ": must be in [1, 4096]";
      EXPECT_EQ(error_of([&] { lattice_elements(model, size); }), expected);
      EXPECT_EQ(error_of([&] {
                  RandomStream rng({1, 0, 0, 0});
                  spanning_threshold(model, size, rng);
                }),
                expected);
      EXPECT_EQ(error_of([&] { spanning_thresholds(model, size, 1, 0, 0, 1); }), expected);
    }
    EXPECT_EQ(error_of([&] { spanning_thresholds(model, 4, 1, std::uint64_t{1} << 48, 0, 1); }),
              "stream = 281474976710656: must be below 2^48");
    EXPECT_EQ(error_of([&] { spanning_thresholds(model, 4, 1, 0, -1, 1); }),
              "first sample = -1: must be at least 0");
    EXPECT_EQ(error_of([&] { spanning_thresholds(model, 4, 1, 0, 5, 3); }),
              "last sample = 3: must be at least the first, 5");
  }
}

// At q = 1/2 the bond lattice spans with probability exactly 1/2 at every L (self-duality):
// the fraction of 2000 samples at L = 64 within 4 binomial sigma of it.
TEST(Lattice, LargeBondLatticeSpansHalfTheTimeAtOneHalf) {
  constexpr std::int64_t kSamples = 2000;
  const std::vector<double> thresholds =
      spanning_thresholds(LatticeModel::bond, 64, 35, 0, 0, kSamples);
  const auto spanning =
      std::count_if(thresholds.begin(), thresholds.end(), [](double t) { return t < 0.5; });
  EXPECT_NEAR(static_cast<double>(spanning) / kSamples, 0.5, 4 * std::sqrt(0.25 / kSamples));
}

}  // namespace
}  // namespace dropperc
