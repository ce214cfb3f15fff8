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

/// Drop probabilities closer than this are one value to point rules: a rule's p matches a grid p
/// computed by a law or a range however the user rounded it (to 9 decimals or more), and the
/// grid refuses two p values this close (a rule could not tell them apart).
inline constexpr double kSameP = 1e-9;

/// Whether a point rule's value (canonical text) equals a grid value of `parameter`: the same
/// text, or for "p" within kSameP.
bool same_value(const std::string& parameter, const std::string& a, const std::string& b);

/// Whether one of the rules matches the point: every value the rule gives equals the point's
/// (same_value).
bool matches_any(const std::vector<PointRule>& rules, const PointValues& point);

}  // namespace dropperc
