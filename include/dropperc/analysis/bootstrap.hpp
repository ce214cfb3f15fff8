#pragma once
// The bootstrap over independent units (threshold samples, sample blocks, training replicas):
// errors and intervals for any estimator, with the resamples kept so that users can propagate
// them to whatever they derive (docs/theory.md §10.2).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "dropperc/core/statistics.hpp"

namespace dropperc {

/// One list of unit indices per group of independent units (e.g. one group per task).
using Resample = std::vector<std::vector<std::size_t>>;

/// Parameter values computed from the units a Resample selects; NaN where a resample leaves a
/// parameter undefined (e.g. a fit without enough points).
using Estimator = std::function<std::vector<double>(const Resample&)>;

struct Bootstrap {
  std::vector<double> estimate;                ///< on the data itself
  std::vector<std::vector<double>> resamples;  ///< [resample][parameter]

  /// Standard deviation of parameter k over the resamples where it is finite (NaN if fewer
  /// than 2 are).
  double error(std::size_t k) const;
  /// The central percentile interval of parameter k over its finite resamples.
  Interval interval(std::size_t k, double level = 0.95) const;
  /// Resamples in which parameter k is not finite.
  std::size_t failures(std::size_t k) const;
};

/// Runs `estimator` on the data (every unit once, in order), then on `resamples` resamples. In
/// resample r, group g of n_g units gets n_g indices drawn uniformly with replacement from
/// RandomStream({seed, stream_id(StreamDomain::bootstrap, stream), r, g}): the resamples depend
/// on (seed, stream, group sizes) alone, so two analyses of the same file agree bit for bit, and
/// estimators run on the same key see the same resamples (errors of derived quantities follow).
Bootstrap bootstrap(const std::vector<std::size_t>& group_sizes, int resamples, std::uint64_t seed,
                    std::uint64_t stream, const Estimator& estimator);

}  // namespace dropperc
