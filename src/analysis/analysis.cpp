#include "dropperc/analysis/analysis.hpp"

#include <string>

#include "analysis_tables.hpp"
#include "contents.hpp"
#include "fit_table.hpp"
#include "keep_law_fits.hpp"
#include "scaling_fits.hpp"
#include "survival_fits.hpp"
#include "threshold_estimates.hpp"
#include "training_trends.hpp"

#include "dropperc/io/h5.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

// Files of another layout are refused rather than read as if they were of this one.
void check_format_version(const h5::Group& root, const std::filesystem::path& file) {
  const std::string supported = "supported: " + std::to_string(schema::kFormatVersion);
  if (!root.has_attribute(schema::kFormatVersionAttribute)) {
    throw AnalysisError(file.string() + ": no attribute " +
                        std::string(schema::kFormatVersionAttribute) +
                        ": not a merged job file of dropperc (" + supported + ")");
  }
  const std::int64_t version = root.integer_attribute(schema::kFormatVersionAttribute);
  if (version != schema::kFormatVersion) {
    throw AnalysisError(file.string() + ": " + std::string(schema::kFormatVersionAttribute) +
                        " = " + std::to_string(version) +
                        " is not a version this dropperc reads (" + supported + ")");
  }
}

}  // namespace

Analysis analyze_file(const std::filesystem::path& file, const AnalysisOptions& options) {
  if (options.resamples < 2) throw AnalysisError("analysis: at least 2 resamples are needed");
  using namespace detail;
  try {
    h5::File f = h5::File::open(file, true);
    h5::Group root = f.root();
    if (!root.contains(schema::kTasks) || !root.contains(schema::kJob)) {
      throw AnalysisError(file.string() + ": not a merged job file (no /job or /tasks)");
    }
    check_format_version(root, file);
    const Contents contents = read_contents(root);
    Fits fits(contents.seed, options);
    Analysis a;
    a.curves = curve_rows(contents);
    a.thresholds = threshold_rows(contents, fits);
    a.survival = survival_rows(contents);
    survival_fits(contents, fits);
    depth_scaling_fits(contents, fits);
    lattice_fits(contents, fits);
    layered_fits(contents, fits);
    critical_fits(contents, fits);
    extinction_fits(contents, fits);
    a.training = training_rows(contents);
    gamma_fits(contents, a.training, fits);
    a.fits = fits.rows;
    a.fit_tasks = fits.tasks;
    a.collapse_points = fits.points;
    a.kappa_slopes = fits.slopes;
    write_analysis(root, a, fits, options.resamples);
    f.close();
    return a;
  } catch (const h5::Error& e) {
    throw AnalysisError(file.string() + ": " + e.what());
  }
}

}  // namespace dropperc
