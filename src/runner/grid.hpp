#pragma once
// Grid expansion (private to the runner): ranges of probabilities, and the point rules (skip,
// only) that pick grid points by their values. depths_at and p_at (the laws) are public
// (job.hpp).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dropperc/runner/job.hpp"

namespace dropperc {

/// A grid point as point rules see it: parameter -> its value as canonical text.
using PointValues = std::map<std::string, std::string>;

/// `num` >= 2 equally spaced values from start to stop, both included exactly.
std::vector<double> evenly_spaced(double start, double stop, int num);

/// Every value of every grid parameter, as the canonical text point rules compare.
std::map<std::string, std::set<std::string>> grid_values(const GridSpec& grid);

/// Whether one of the rules matches the point: every value the rule gives equals the point's.
bool matches_any(const std::vector<PointRule>& rules, const PointValues& point);

}  // namespace dropperc
