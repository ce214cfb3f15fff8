#pragma once
// The bookkeeping of fits: a row of /analysis/fits per fitted parameter with the columns that
// say what the fit is and its verdict (§10.8), the tasks each fit used, the points of collapses
// and the lines of kappa fits, and the bootstrap resamples each fit came from
// (docs/hdf5-layout.md).

#include <cstdint>
#include <string>
#include <vector>

#include "dropperc/analysis/analysis.hpp"
#include "dropperc/analysis/bootstrap.hpp"
#include "dropperc/analysis/fss.hpp"

namespace dropperc::detail {

/// A fit about to be added.
struct FitSpec {
  /// fit, model, observable and the descriptive columns (family ... min_size); the rest is
  /// filled in by Fits.
  FitRow about;
  std::vector<std::string> tasks;       ///< the tasks it used
  std::vector<std::string> parameters;  ///< then optionally a quality
  bool has_quality = false;
  /// Free parameters fitted to points; with `chi2`, the estimator returns, after the parameters
  /// and the quality, the fit's chi^2 and its number of points (not stored with the resamples).
  /// Without, it is an estimate that is no fit to points (quantiles): no dof, no chi^2.
  double free = 0;
  bool chi2 = false;
  /// The search interval of each parameter (±infinity where none, also for fixed ones).
  std::vector<double> lower, upper;
  /// Per parameter: held at a value given by the user (--fix-p-c, --fix-b), not fitted; empty:
  /// none.
  std::vector<bool> held;
};

/// A spec with the first columns set and no other.
FitSpec describe(const std::string& fit, const std::string& model, const std::string& observable,
                 const std::string& family, const std::string& spanning,
                 const std::vector<std::string>& parameters);

// Collects fit rows and the resample sets they come from.
class Fits {
 public:
  Fits(std::uint64_t seed, const AnalysisOptions& options) : options_(options), seed_(seed) {}

  // Bootstrap resamples per estimate.
  int resamples() const { return options_.resamples; }

  // A collapse spec with the user's fixed parameters applied.
  CollapseSpec collapse(CollapseSpec spec) const;

  // Bootstraps `estimator` and adds a row per parameter of `spec`, judged by judge_fit.
  void add(const FitSpec& spec, const std::vector<std::size_t>& groups, const Estimator& estimator,
           const std::vector<double>& exact = {});

  // A row per parameter of a fit whose errors come from elsewhere (a weighted least-squares fit
  // to means with standard errors): 95 % intervals of +-1.96 errors, no resample set.
  void add_direct(const FitSpec& spec, const std::vector<double>& values,
                  const std::vector<double>& errors, const std::vector<double>& exact, double chi2,
                  double fitted_points);

  // The values of the parameters of the fit added last, on the data.
  std::vector<double> last_values() const;

  struct Set {
    std::string fit;
    std::vector<std::string> parameters;
    std::vector<std::vector<double>> resamples;
  };
  std::vector<FitRow> rows;
  std::vector<Set> sets;
  std::vector<FitTaskRow> tasks;
  std::vector<CollapsePoint> points;
  std::vector<KappaSlope> slopes;

 private:
  void add_rows(const FitSpec& spec, const std::vector<double>& values,
                const std::vector<double>& errors, const std::vector<Interval>& intervals,
                const std::vector<double>& exact, double quality,
                const std::vector<std::int64_t>& failures, std::int64_t resamples, double chi2,
                double fitted_points);

  const AnalysisOptions& options_;
  std::uint64_t seed_;
  std::size_t last_ = 0;  // the first row of the fit added last
};

}  // namespace dropperc::detail
