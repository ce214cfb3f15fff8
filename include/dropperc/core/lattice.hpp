#pragma once
// Site and bond percolation on the 2D square lattice: the validation geometry of the
// finite-size-scaling analysis, where bond p_c = 1/2 exactly, site p_c = 0.59274621(13) and
// nu = 4/3 (docs/theory.md §7).
//
// One sample gives its exact spanning threshold q*, so it gives the spanning indicator
// [q > q*] at every occupation probability q at once (Newman-Ziff). q is the probability that
// an element is *occupied* (present), unlike dropout's p, which removes.
//
// Geometry, with `size` = L and spanning always from the top boundary to the bottom one:
// - site: L rows of L sites, nearest-neighbour adjacency; the top boundary is row 0, the
//   bottom one row L - 1. Site (row r, column c) is element r L + c: N = L^2 elements.
// - bond: L + 1 rows y = 0..L of L sites; row 0 is the top boundary and row L the bottom one,
//   each joined into a single node, so the bonds within them are left out. The elements,
//   N = L^2 + (L - 1)^2 of them, are the bonds between nearest neighbours otherwise:
//     vertical (y, c)-(y + 1, c), y = 0..L-1, c = 0..L-1:   element y L + c;
//     horizontal (y, c)-(y, c + 1), y = 1..L-1, c = 0..L-2: element L^2 + (y - 1)(L - 1) + c.
//   This lattice is isomorphic to its planar dual turned by 90 degrees, with top-bottom
//   crossing exchanged for left-right (lattice.cpp), so the spanning probability R_L obeys
//   R_L(q) + R_L(1 - q) = 1 and R_L(1/2) = 1/2 exactly at every L.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dropperc/core/rng.hpp"
#include "dropperc/core/stop_check.hpp"

namespace dropperc {

enum class LatticeModel {
  site,  ///< sites occupied with probability q, joined when nearest neighbours
  bond,  ///< bonds between nearest neighbours occupied with probability q
};
/// "site" or "bond".
std::string_view name(LatticeModel model);
/// The model named by name(model); nullopt for any other text.
std::optional<LatticeModel> parse_lattice_model(std::string_view text);

/// The largest `size` accepted: N <= 2^25 elements, about 30 bytes each while a sample runs.
inline constexpr int kMaxLatticeSize = 4096;

/// N, the number of random elements of the lattice of `size` (see the geometry above).
/// Throws std::invalid_argument naming the size unless 1 <= size <= kMaxLatticeSize.
std::int64_t lattice_elements(LatticeModel model, int size);

/// Spanning threshold of one sample. Element e = 0..N-1 gets u_e, the e-th uniform drawn from
/// `rng` (exactly N are drawn), and is occupied at q iff u_e < q. Returns q*, the u_e of the
/// element whose occupation first joins top to bottom: the sample spans at q iff q > q*.
/// Allocates its buffers, about 30 N bytes, for this one sample; spanning_thresholds() keeps
/// them from one sample to the next. Throws std::invalid_argument naming a bad size.
double spanning_threshold(LatticeModel model, int size, RandomStream& rng);

/// Thresholds of samples [first, last) of the plan (seed, stream), in order. Sample s equals
/// spanning_threshold(model, size, rng) with rng keyed (seed, stream_id(StreamDomain::lattice,
/// stream), s, 0), so any split into blocks gives the same values. Throws
/// std::invalid_argument naming the bad value: a bad size, stream >= 2^48, first < 0 or
/// last < first. With `stop`, asked between samples, it returns early (with the samples done)
/// once that says so.
std::vector<double> spanning_thresholds(LatticeModel model, int size, std::uint64_t seed,
                                        std::uint64_t stream, std::int64_t first, std::int64_t last,
                                        StopCheck* stop = nullptr);

}  // namespace dropperc
