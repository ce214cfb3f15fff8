#pragma once
// The bookkeeping of fits: a row of /analysis/fits per fitted parameter, and the bootstrap
// resamples each fit came from (docs/hdf5-layout.md).

#include <cstdint>
#include <string>
#include <vector>

#include "dropperc/analysis/analysis.hpp"
#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/fss.hpp"

namespace dropperc::detail {

// Collects fit rows and the resample sets they come from.
class Fits {
 public:
  Fits(std::uint64_t seed, const AnalysisOptions& options) : options_(options), seed_(seed) {}

  // A collapse spec with the user's fixed parameters applied.
  CollapseSpec collapse(CollapseSpec spec) const;

  // Bootstraps `estimator` (parameters named `parameters`, then optionally a quality) and adds a
  // row per parameter.
  void add(const std::string& fit, const std::string& model, const std::string& observable,
           const std::vector<std::string>& parameters, bool has_quality,
           const std::vector<std::size_t>& groups, const Estimator& estimator,
           const std::vector<double>& exact = {});

  // A row per parameter of a fit whose errors come from elsewhere (a weighted least-squares fit
  // to means with standard errors): 95 % intervals of +-1.96 errors, no resample set.
  void add_direct(const std::string& fit, const std::string& model, const std::string& observable,
                  const std::vector<std::string>& parameters, const std::vector<double>& values,
                  const std::vector<double>& errors, const std::vector<double>& exact);

  struct Set {
    std::string fit;
    std::vector<std::string> parameters;
    std::vector<std::vector<double>> resamples;
  };
  std::vector<FitRow> rows;
  std::vector<Set> sets;

 private:
  const AnalysisOptions& options_;
  std::uint64_t seed_;
};

}  // namespace dropperc::detail
