#pragma once
// What the kinds whose units are blocks of samples [first, last) share (percolation,
// thresholds, lattice): the block's range, and its record in a unit file.

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "dropperc/io/h5.hpp"

namespace dropperc::kinds {

/// Samples [first, last) of block `index` of `samples` samples in blocks of `block`: the last
/// block takes the remainder.
std::pair<std::int64_t, std::int64_t> block_of(std::int64_t samples, std::int64_t block,
                                               std::int64_t index);

void write_range(h5::Group& unit, std::int64_t first, std::int64_t last);
/// Whether the unit file holds exactly the samples [first, last).
bool holds_range(const h5::Group& unit, std::int64_t first, std::int64_t last);
/// Throws h5::Error unless there are as many per-sample values as samples in [first, last).
void check_length(const h5::Group& unit, std::size_t values, std::int64_t first, std::int64_t last);

/// Throws h5::Error unless every value is a probability in [0, 1] (NaN is not), or +inf where
/// `infinite_allowed`: per-sample thresholds p* and q* are, p* = +inf for a network sample that
/// spans at every p (kept skips, sampling.hpp).
void check_probabilities(const h5::Group& unit, const std::vector<double>& values,
                         std::string_view what, bool infinite_allowed = false);

}  // namespace dropperc::kinds
