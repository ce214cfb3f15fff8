#pragma once
// Evenly spaced values that are exact to the resolution of their ends, for the ranges of job files
// (docs/job-file.md, [grid] p) and of --p-grid (docs/cli.md).

#include <vector>

namespace dropperc {

/// `num` >= 2 equally spaced values from start to stop (both in [0, 1]), both included exactly.
/// With start and stop written with at most d decimals and a step (stop - start) / (num - 1)
/// that is a whole number of 10^-d' for some d' >= d, the values are the decimals start + k step
/// at d' places, each read as the double nearest it: { 0.1, 0.9, 9 } gives the double 0.3, not
/// 0.30000000000000004. Other ranges are start + (stop - start) k / (num - 1).
std::vector<double> evenly_spaced(double start, double stop, int num);

}  // namespace dropperc
