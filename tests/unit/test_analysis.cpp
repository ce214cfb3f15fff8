// dropperc analyze on a small merged job: thresholds against exact theory, fits present with
// errors, /analysis rewritten without touching the rest, bad files refused.

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include "support/run_in_process.hpp"
#include <gtest/gtest.h>
#include <unistd.h>

#include "dropperc/analysis/analysis.hpp"
#include "dropperc/analysis/fit_verdict.hpp"
#include "dropperc/core/rng.hpp"
#include "dropperc/core/theory.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/runner/merge.hpp"

namespace dropperc {
namespace {

std::filesystem::path temporary(const std::string& name) {
  // One directory per process: ctest runs the tests of this file in parallel processes.
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("dropperc_analysis_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs every unit of a job in this process and merges: thresholds for site and bond at
// W in {2, 3, 4} and L in {4, 16, 64}, and a little training at every point.
std::filesystem::path merged_job(const std::string& name) {
  const auto dir = temporary(name);
  std::ofstream(dir / "job.toml") << R"([job]
name = "a"
seed = 9
[grid]
models = ["site", "bond"]
widths = [2, 3, 4]
depths = [4, 16, 64]
p = [0.5]
[percolation]
method = "fast"
undirected = false
samples = 2000
block = 1000
thresholds = true
[training]
steps = 30
batch = 8
replicas = 2
eval_interval = 10
target_loss = 10.0
[training.teacher]
features = 4
outputs = 2
train_size = 64
test_size = 32
)";
  return run_in_process(parse_job(dir / "job.toml"));
}

// Tables equal bit for bit (NaN equal to the same NaN, unlike ==).
bool same_bits(const std::vector<h5::TableColumn>& a, const std::vector<h5::TableColumn>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].name != b[k].name || a[k].values.index() != b[k].values.index()) return false;
    const auto* x = std::get_if<std::vector<double>>(&a[k].values);
    const auto* y = std::get_if<std::vector<double>>(&b[k].values);
    if (x == nullptr ? a[k].values != b[k].values
                     : x->size() != y->size() ||
                           std::memcmp(x->data(), y->data(), x->size() * sizeof(double)) != 0)
      return false;
  }
  return true;
}

AnalysisOptions with_resamples(int resamples) {
  AnalysisOptions options;
  options.resamples = resamples;
  return options;
}

const std::filesystem::path& shared_file() {
  static const std::filesystem::path file = merged_job("shared");
  return file;
}

TEST(Analysis, ThresholdsAgreeWithExactTheory) {
  const Analysis a = analyze_file(shared_file(), with_resamples(100));
  ASSERT_EQ(a.thresholds.size(), 18u);  // 2 models x 3 widths x 3 depths, directed only
  for (const ThresholdRow& r : a.thresholds) {
    EXPECT_EQ(r.spanning, "directed");
    EXPECT_EQ(r.samples, 2000);
    EXPECT_GT(r.p_half_error, 0) << r.task;
    EXPECT_LE(r.p_half_low, r.p_half) << r.task;
    EXPECT_GE(r.p_half_high, r.p_half) << r.task;
    EXPECT_LT(std::abs(r.deviation), 4.0) << r.task << ": " << r.p_half << " vs " << r.p_half_exact;
    EXPECT_GT(r.transition_width, 0) << r.task;
  }
}

TEST(Analysis, FitsEveryModelWithErrors) {
  const Analysis a = analyze_file(shared_file(), with_resamples(100));
  auto find = [&](const std::string& fit, const std::string& parameter) -> const FitRow* {
    for (const FitRow& r : a.fits)
      if (r.fit == fit && r.parameter == parameter) return &r;
    ADD_FAILURE() << "no fit " << fit << " " << parameter;
    return nullptr;
  };
  for (const std::string model : {"site", "bond"}) {
    const FitRow* kappa = find("kappa_" + model + "_directed", "kappa");
    ASSERT_NE(kappa, nullptr);
    EXPECT_GT(kappa->error, 0);
    EXPECT_LE(kappa->low, kappa->value);
    EXPECT_GE(kappa->high, kappa->value);
    // Collapses in W at each depth and in L at each width, with their quality.
    for (const std::string family : {"_W_at_L4", "_W_at_L64", "_L_at_W2", "_L_at_W4"}) {
      const FitRow* p_c = find("collapse_" + model + "_directed" + family, "p_c");
      ASSERT_NE(p_c, nullptr);
      EXPECT_TRUE(std::isfinite(p_c->value) && std::isfinite(p_c->error)) << family;
      EXPECT_TRUE(std::isfinite(p_c->quality)) << family;
    }
  }
  ASSERT_EQ(a.training.size(), 18u);  // 2 models x 3 widths x 3 depths
  for (const TrainingRow& r : a.training) {
    EXPECT_EQ(r.replicas, 2);
    EXPECT_GT(r.theta, 0);
    EXPECT_LT(r.theta, 1);
    EXPECT_TRUE(std::isfinite(r.test_loss));
  }
}

// The kappa fits on the data agree with the same fits on exact theta (the closed form for site,
// the Markov chain for bond): global and local exponents alike.
TEST(Analysis, KappaFitsAgreeWithTheSameFitsOnExactTheta) {
  const Analysis a = analyze_file(shared_file(), with_resamples(100));
  int compared = 0;
  for (const FitRow& r : a.fits) {
    if (r.fit.rfind("kappa_", 0) != 0) continue;
    ASSERT_TRUE(std::isfinite(r.exact)) << r.fit << " " << r.parameter;
    EXPECT_NEAR(r.value, r.exact, 4 * r.error) << r.fit << " " << r.parameter;
    ++compared;
  }
  EXPECT_EQ(compared, 8);  // site and bond: kappa, c, kappa_W2_W3, kappa_W3_W4
}

// Fixed collapse parameters stay at their value in every resample; the others are fitted.
TEST(Analysis, FixedCollapseParametersAreNotFitted) {
  AnalysisOptions options;
  options.resamples = 10;
  options.fixed_b = 1.0;
  int collapses = 0;
  for (const FitRow& r : analyze_file(shared_file(), options).fits) {
    if (r.fit.rfind("collapse_", 0) != 0) continue;
    ++collapses;
    if (r.parameter == "b") {
      EXPECT_EQ(r.value, 1.0) << r.fit;
      EXPECT_EQ(r.error, 0.0) << r.fit;
    } else {  // p_c is fitted: it varies between resamples unless pinned at a bound of [0, 1]
      EXPECT_TRUE(r.error > 0 || r.value == 0 || r.value == 1) << r.fit << " " << r.value;
    }
  }
  EXPECT_EQ(collapses, 2 * 6 * 2);  // 2 models x 6 families x (p_c, b)
  options.fixed_p_c = 0.5;
  for (const FitRow& r : analyze_file(shared_file(), options).fits) {
    if (r.fit.rfind("collapse_", 0) == 0) {
      EXPECT_EQ(r.value, r.parameter == "b" ? 1.0 : 0.5) << r.fit;
      EXPECT_TRUE(std::isfinite(r.quality)) << r.fit;
    }
  }
}

// Site: -ln theta = -L ln(1 - p^W) ~ L p^W, so kappa = 1 and c = 1 (docs/theory.md §10.4) up to
// the correction ln(1 + p^W / 2 + ...), small where theta is near 1/2 and L >= 4.
TEST(Analysis, SiteCriticalWidthExponentIsOne) {
  const Analysis a = analyze_file(shared_file(), with_resamples(100));
  for (const FitRow& r : a.fits) {
    if (r.fit != "kappa_site_directed") continue;
    EXPECT_NEAR(r.value, 1.0, 4 * r.error) << r.parameter;
  }
}

TEST(Analysis, RerunReplacesOnlyTheAnalysisAndIsReproducible) {
  const auto file = merged_job("rerun");
  const auto tasks_before = [&] {
    const h5::File f = h5::File::open(file);
    return f.root().read<double>("tasks/bond_W3_L16_in4_out2_thresholds/directed_thresholds");
  }();
  analyze_file(file, with_resamples(20));
  h5::File first = h5::File::open(file);
  const auto fits = first.root().read_table("analysis/fits");
  const auto resamples = first.root().read<double>("analysis/resamples/kappa_bond_directed");
  EXPECT_EQ(
      first.root().dataset_string_attribute("analysis/resamples/kappa_bond_directed", "parameters"),
      "kappa,c,kappa_W2_W3,kappa_W3_W4,quality");
  EXPECT_EQ(resamples.size(), 100u);  // 20 resamples x (kappa, c, two local exponents, quality)
  first.close();
  analyze_file(file, with_resamples(20));
  const h5::File second = h5::File::open(file);
  EXPECT_TRUE(same_bits(second.root().read_table("analysis/fits"), fits));
  EXPECT_EQ(second.root().read<double>("analysis/resamples/kappa_bond_directed"), resamples);
  EXPECT_EQ(second.root().read<double>("tasks/bond_W3_L16_in4_out2_thresholds/directed_thresholds"),
            tasks_before);
}

// A merged file with training tasks only, whose steps to target follow T0 theta^-gamma exactly
// up to replica noise: the steps_to_target fit must return gamma within 4 bootstrap sigma.
TEST(Analysis, StepsToTargetFollowTheirPowerLaw) {
  const double gamma = 1.0, t0 = 200.0;
  const auto file = temporary("training") / "t.h5";
  {
    h5::File f = h5::File::create(file);
    h5::Group root = f.root();
    root.set_attribute("dropperc_format_version", std::int64_t{1});
    root.create_group("job").set_attribute("seed", std::int64_t{3});
    h5::Group tasks = root.create_group("tasks");
    RandomStream rng({3, 0, 0, 0});
    for (double p : {0.1, 0.3, 0.5, 0.6, 0.7}) {
      const Architecture arch{4, 4, 8, 2};
      const double theta = spanning_probability(arch, Dropout::of(DropoutModel::site, p)).theta;
      h5::Group g = tasks.create_group("train_site_p" + std::to_string(p));
      g.set_attribute("kind", std::string_view("training"));
      g.set_attribute("model", std::string_view("site"));
      g.set_attribute("activation", std::string_view("relu"));
      g.set_attribute("width", std::int64_t{4});
      g.set_attribute("depth", std::int64_t{8});
      g.set_attribute("input_width", std::int64_t{4});
      g.set_attribute("output_width", std::int64_t{2});
      g.set_attribute("p", p);
      g.set_attribute("bias", std::int64_t{0});
      std::vector<double> steps;
      for (int replica = 0; replica < 8; ++replica)  // 10 % replica-to-replica noise
        steps.push_back(t0 * std::pow(theta, -gamma) * (1 + 0.1 * draw_normal(rng)));
      g.write("steps_to_target", steps);
      for (const char* name : {"final_test_loss", "final_test_accuracy", "zero_gradient_fraction"})
        g.write(name, std::vector<double>(8, 0.5));
    }
  }
  const Analysis a = analyze_file(file, with_resamples(200));
  ASSERT_EQ(a.training.size(), 5u);
  std::map<std::string, const FitRow*> fit;
  for (const FitRow& r : a.fits)
    fit[r.parameter] = &r;
  ASSERT_EQ(fit.count("gamma"), 1u);
  EXPECT_EQ(fit["gamma"]->fit, "steps_to_target_site_nobias_relu");
  EXPECT_NEAR(fit["gamma"]->value, gamma, 4 * fit["gamma"]->error);
  EXPECT_LT(fit["gamma"]->error, 0.2);
  EXPECT_NEAR(fit["T0"]->value, t0, 4 * fit["T0"]->error);
}

// The fits of a job, run and analysed with `resamples`, by (fit, parameter).
std::map<std::pair<std::string, std::string>, FitRow> fits_of(const std::filesystem::path& job,
                                                              int resamples) {
  std::map<std::pair<std::string, std::string>, FitRow> rows;
  for (const FitRow& r :
       analyze_file(run_in_process(parse_job(job)), with_resamples(resamples)).fits)
    rows[{r.fit, r.parameter}] = r;
  return rows;
}

// The names of the collapse fits of a job, run and analysed.
std::set<std::string> collapse_fits(const std::filesystem::path& job) {
  std::set<std::string> collapses;
  for (const auto& [key, row] : fits_of(job, 20)) {
    if (key.first.rfind("collapse_", 0) == 0) collapses.insert(key.first);
  }
  return collapses;
}

// A grid whose skip rules keep one depth per width, L = W^2: the collapse in S = W with L tied
// to it is fitted, and no family at a fixed W or L is (they have one task each).
TEST(Analysis, CollapsesSizesTiedByTheGrid) {
  const auto dir = temporary("tied");
  std::ofstream(dir / "job.toml") << R"([job]
name = "tied"
seed = 4
[grid]
models = ["site"]
widths = [2, 4, 8]
depths = [4, 16, 64]
p = [0.5]
skip = [{width = 2, depth = 16}, {width = 2, depth = 64}, {width = 4, depth = 4},
        {width = 4, depth = 64}, {width = 8, depth = 4}, {width = 8, depth = 16}]
[percolation]
method = "fast"
undirected = false
samples = 2000
block = 2000
thresholds = true
)";
  const std::set<std::string> collapses = collapse_fits(dir / "job.toml");
  EXPECT_EQ(collapses, std::set<std::string>{"collapse_site_directed_W_with_L"});
}

// Depths as a law of the width with two scales, L = a W^2: one collapse in S = W per scale.
TEST(Analysis, CollapsesEachScaleOfADepthLaw) {
  const auto dir = temporary("law");
  std::ofstream(dir / "job.toml") << R"([job]
name = "law"
seed = 4
[grid]
models = ["site"]
widths = [2, 4, 8]
depths = { scale = [1, 2], power = 2 }
p = [0.5]
[percolation]
method = "fast"
undirected = false
samples = 2000
block = 2000
thresholds = true
)";
  const std::set<std::string> collapses = collapse_fits(dir / "job.toml");
  EXPECT_EQ(collapses, (std::set<std::string>{"collapse_site_directed_W_with_L_a1.000",
                                              "collapse_site_directed_W_with_L_a2.000"}));
}

// DropConnect at keep fraction c / W from one input unit, L = 2 W^(1/2) (§10.7): the collapse
// over c of every W_min leaving 3 widths, and theta at c = 1 against W, whose exponent agrees
// with the same fit on exact theta within 4 errors. The collapse parameters agree with mean
// field within 4 errors: at these widths the corrections are smaller than the errors.
TEST(Analysis, FitsTheDropConnectCriticalPointOfAKeepLaw) {
  const auto dir = temporary("critical");
  std::ofstream(dir / "job.toml") << R"([job]
name = "critical"
seed = 11
[grid]
models = ["bond"]
widths = [16, 32, 64, 128]
input_width = 1
depths = { scale = [2], power = 0.5 }
p = { keep = [0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2], power = -1 }
[percolation]
method = "fast"
undirected = false
samples = 4000
block = 4000
thresholds = true
per_p = false
)";
  auto fits = fits_of(dir / "job.toml", 100);
  const std::string collapse = "collapse_bond_directed_keep_a2.000_in1_Wmin";
  for (const std::string w_min : {"16", "32"}) {
    for (const std::string parameter : {"c_c", "b", "a"}) {
      ASSERT_TRUE(fits.contains({collapse + w_min, parameter})) << w_min << " " << parameter;
      const FitRow& r = fits[{collapse + w_min, parameter}];
      EXPECT_GT(r.error, 0.0) << r.fit << " " << parameter;
      EXPECT_NEAR(r.value, r.exact, 4 * r.error) << r.fit << " " << parameter;
    }
    EXPECT_EQ((fits[{collapse + w_min, "c_c"}].exact), 1.0);
  }
  EXPECT_FALSE(fits.contains({collapse + "64", "c_c"}));  // 2 widths only
  const FitRow& exponent = fits[{"theta_c1_bond_directed_keep_a2.000_in1", "exponent"}];
  EXPECT_GT(exponent.error, 0.0);
  EXPECT_NEAR(exponent.value, exponent.exact, 4 * exponent.error);
}

// The mean extinction depth of percolation tasks of a keep law from a full input layer at
// c = 1 grows like a power of W whose exponent and amplitude agree with the same fit on the
// exact chain (§5, §10.7) within 4 errors.
TEST(Analysis, ExtinctionDepthFollowsTheExactChain) {
  const auto dir = temporary("extinction");
  std::ofstream(dir / "job.toml") << R"([job]
name = "extinction"
seed = 12
[grid]
models = ["bond"]
widths = [16, 32, 64, 128]
depths = { scale = [8], power = 0.5 }
p = { keep = [1.0], power = -1 }
[percolation]
method = "fast"
undirected = false
samples = 1000
)";
  auto fits = fits_of(dir / "job.toml", 2);
  for (const std::string parameter : {"exponent", "amplitude"}) {
    ASSERT_TRUE(fits.contains({"extinction_depth_bond_c1.000_a8.000", parameter})) << parameter;
    const FitRow& r = fits[{"extinction_depth_bond_c1.000_a8.000", parameter}];
    EXPECT_GT(r.error, 0.0) << parameter;
    EXPECT_NEAR(r.value, r.exact, 4 * r.error) << parameter;
  }
}

// The chain costs O((L + 1) W^2) per evaluation: a bond network past 10^8 steps has no exact
// curve or p_half (NaN), a smaller one has them.
TEST(Analysis, LeavesOutExactTheoryOfNetworksTooLargeForTheChain) {
  const auto dir = temporary("large");
  std::ofstream(dir / "job.toml") << R"([job]
name = "large"
seed = 16
[grid]
models = ["bond"]
widths = [64, 4096]
depths = [8]
p = [0.5]
[percolation]
method = "fast"
undirected = false
samples = 50
thresholds = true
per_p = false
)";
  const Analysis a = analyze_file(run_in_process(parse_job(dir / "job.toml")), with_resamples(2));
  ASSERT_EQ(a.thresholds.size(), 2u);
  for (const ThresholdRow& r : a.thresholds)
    EXPECT_EQ(std::isnan(r.p_half_exact), r.width == 4096) << r.task;
  for (const CurveRow& r : a.curves)
    EXPECT_EQ(std::isnan(r.theta_exact), r.width == 4096) << r.task << " p = " << r.p;
}

// Layered networks and input dropout: per-task thresholds against the exact theory of that
// network (width -1: the name lists the widths), and no scaling family made of them.
TEST(Analysis, LayeredNetworksWithInputDropoutHaveTheirOwnExactThresholds) {
  const auto dir = temporary("layered");
  std::ofstream(dir / "job.toml") << R"([job]
name = "layered"
seed = 17
[grid]
models = ["site", "bond"]
widths = [[6, 2, 4], [3, 5, 3], [4, 4, 4, 2]]
input_width = 5
input_dropout = 0.3
p = [0.5]
[percolation]
method = "fast"
undirected = false
samples = 2000
thresholds = true
per_p = false
)";
  const Analysis a = analyze_file(run_in_process(parse_job(dir / "job.toml")), with_resamples(100));
  ASSERT_EQ(a.thresholds.size(), 6u);
  for (const ThresholdRow& r : a.thresholds) {
    EXPECT_EQ(r.width, -1) << r.task;
    ASSERT_TRUE(std::isfinite(r.p_half_exact)) << r.task;
    EXPECT_LT(std::abs(r.deviation), 4.0) << r.task << ": " << r.p_half << " vs " << r.p_half_exact;
  }
  for (const FitRow& r : a.fits)
    EXPECT_EQ(r.fit.rfind("collapse", 0), std::string::npos) << r.fit;
  for (const CurveRow& r : a.curves)
    EXPECT_TRUE(std::isfinite(r.theta_exact)) << r.task << " p = " << r.p;
}

// Local layers and skips: their p_half and curves against their own exact theory (the transfer
// matrix) within 4 sigma, none where there is no exact theory (local layers with skips), and no
// scaling family (kappa, collapse) made of them although they have uniform widths.
TEST(Analysis, LocalAndResidualNetworksHaveTheirOwnExactCurves) {
  const auto dir = temporary("topology");
  std::ofstream(dir / "job.toml") << R"([job]
name = "topology"
seed = 18
[grid]
models = ["bond", "site"]
widths = [4, 6]
depths = [6]
p = [0.5]
connectivity = "local"
kernel = 2
residual = [0, 7]
[percolation]
undirected = false
samples = 2000
thresholds = true
per_p = false
)";
  const Analysis a = analyze_file(run_in_process(parse_job(dir / "job.toml")), with_resamples(20));
  ASSERT_EQ(a.thresholds.size(), 8u);
  for (const ThresholdRow& r : a.thresholds) {
    // Local with skips has no exact theory here (refused, NaN); without skips it is exact.
    const bool skips = r.task.find("_S7") != std::string::npos;
    ASSERT_EQ(std::isnan(r.p_half_exact), skips) << r.task;
    if (!skips) {
      EXPECT_LT(std::abs(r.deviation), 4.0) << r.task << ": " << r.p_half;
    }
  }
  for (const FitRow& r : a.fits) {
    EXPECT_EQ(r.fit.rfind("collapse", 0), std::string::npos) << r.fit;
    EXPECT_EQ(r.fit.rfind("kappa", 0), std::string::npos) << r.fit;
  }
  int exact = 0;
  for (const CurveRow& r : a.curves) {
    const bool skips = r.task.find("_S7") != std::string::npos;
    ASSERT_EQ(std::isnan(r.theta_exact), skips) << r.task;
    if (skips) continue;
    ++exact;
    const double sigma = std::sqrt(r.theta_exact * (1 - r.theta_exact) / 2000);
    EXPECT_NEAR(r.theta, r.theta_exact, 4 * sigma + 1e-12) << r.task << " p = " << r.p;
  }
  EXPECT_GT(exact, 100);
}

TEST(Analysis, RefusesWhatIsNotAMergedJobFile) {
  const auto dir = temporary("bad");
  std::ofstream(dir / "text.h5") << "not hdf5";
  try {
    analyze_file(dir / "text.h5", {});
    FAIL() << "no error";
  } catch (const AnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("text.h5"), std::string::npos) << e.what();
  }
  h5::File::create(dir / "empty.h5").close();
  try {
    analyze_file(dir / "empty.h5", {});
    FAIL() << "no error";
  } catch (const AnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("not a merged job file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(analyze_file(shared_file(), with_resamples(1)), AnalysisError);
}

// A file of another (e.g. newer) layout, or of none, is refused naming the file, the version
// found and the versions supported, and left as it was; it used to be analysed as version 1.
TEST(Analysis, RefusesAnUnknownFormatVersion) {
  const auto dir = temporary("version");
  for (const std::int64_t version : {std::int64_t{2}, std::int64_t{0}, std::int64_t{-1}}) {
    const auto file = dir / ("v" + std::to_string(version) + ".h5");
    if (version >= 0) {
      std::filesystem::copy_file(shared_file(), file);
      h5::File f = h5::File::open(file, true);
      h5::Group root = f.root();
      if (root.contains("analysis")) root.remove("analysis");
      root.set_attribute("dropperc_format_version", version);
    } else {  // no version at all
      h5::File f = h5::File::create(file);
      f.root().create_group("job").set_attribute("seed", std::int64_t{1});
      f.root().create_group("tasks");
    }
    try {
      analyze_file(file, with_resamples(2));
      ADD_FAILURE() << "version " << version << " analysed";
    } catch (const AnalysisError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file.string()), std::string::npos) << what;
      EXPECT_NE(what.find("dropperc_format_version"), std::string::npos) << what;
      EXPECT_NE(what.find("supported: 1"), std::string::npos) << what;
      if (version >= 0) {
        EXPECT_NE(what.find("= " + std::to_string(version)), std::string::npos) << what;
      }
    }
    const h5::File f = h5::File::open(file);
    EXPECT_FALSE(f.root().contains("analysis")) << version;
  }
}

// Each rule of docs/theory.md §10.8 on a constructed fit, next to the same fit just inside it.
FitEvidence line_fit(double chi2, double points) {
  const double infinity = std::numeric_limits<double>::infinity();
  FitEvidence f{{"slope", "intercept"}, {0.5, 1.0}, {0.0, -infinity}, {1.0, infinity}};
  f.points = points;
  f.free = 2;
  f.chi2 = chi2;
  f.resamples = 200;
  return f;
}

TEST(FitVerdict, AFitWithinItsErrorsIsAResult) {
  const FitVerdict v = judge_fit(line_fit(3.0, 5));
  EXPECT_TRUE(v.valid) << v.reason;
  EXPECT_EQ(v.reason, "");
  EXPECT_EQ(v.dof, 3.0);
  EXPECT_EQ(v.chi2_per_dof, 1.0);
}

TEST(FitVerdict, AParameterAtABoundOfItsSearchIntervalIsNotAResult) {
  FitEvidence f = line_fit(3.0, 5);
  f.values[0] = 1.0;  // the upper bound of [0, 1]
  FitVerdict v = judge_fit(f);
  EXPECT_FALSE(v.valid);
  EXPECT_NE(v.reason.find("slope = 1 at a bound of its search interval [0, 1]"), std::string::npos)
      << v.reason;
  f.values[0] = 0.0;
  EXPECT_FALSE(judge_fit(f).valid);
  f.values[0] = 0.999;
  EXPECT_TRUE(judge_fit(f).valid) << judge_fit(f).reason;
}

TEST(FitVerdict, AFitThroughAsManyPointsAsParametersIsNotAResult) {
  const FitVerdict v = judge_fit(line_fit(0.0, 2));  // a line through two points
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.dof, 0.0);
  EXPECT_TRUE(std::isnan(v.chi2_per_dof));
  EXPECT_EQ(v.reason, "dof = 0: 2 points for 2 parameters");
  EXPECT_TRUE(judge_fit(line_fit(0.0, 3)).valid);
}

// chi^2 with 10 dof: P(chi2 > 40) = 1.69e-5 < 1e-3, P(chi2 > 20) = 0.029.
TEST(FitVerdict, AFitFarWorseThanItsErrorsIsNotAResult) {
  const FitVerdict bad = judge_fit(line_fit(40.0, 12));
  EXPECT_FALSE(bad.valid);
  EXPECT_EQ(bad.chi2_per_dof, 4.0);
  EXPECT_NE(bad.reason.find("chi2/dof = 4 with dof = 10: P(chi2) = 1.694e-05 < 0.001"),
            std::string::npos)
      << bad.reason;
  EXPECT_TRUE(judge_fit(line_fit(20.0, 12)).valid);
}

TEST(FitVerdict, AFitWithTooManyFailedResamplesIsNotAResult) {
  FitEvidence f = line_fit(3.0, 5);
  f.failures = 21;  // of 200: more than 10 %
  EXPECT_FALSE(judge_fit(f).valid);
  EXPECT_EQ(judge_fit(f).reason, "21 of 200 resamples failed (more than 10 %)");
  f.failures = 20;
  EXPECT_TRUE(judge_fit(f).valid);
}

TEST(FitVerdict, AValueThatIsNotFiniteIsNotAResultAndQuantilesHaveNoDof) {
  FitEvidence f{{"p_half"}, {kNoValue}, {}, {}};
  FitVerdict v = judge_fit(f);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "p_half is not finite on the data");
  f.values[0] = 0.4;
  v = judge_fit(f);
  EXPECT_TRUE(v.valid);
  EXPECT_TRUE(std::isnan(v.dof));
}

// In a merged file: the structured columns of a fit, the tasks it used, and its verdict (the
// shared job's 3 widths give kappa 1 dof; collapses over 3 sizes are judged by their chi^2).
TEST(Analysis, FitsSayWhatTheyAreAndWhetherTheyAreResults) {
  const Analysis a = analyze_file(shared_file(), with_resamples(20));
  std::map<std::string, const FitRow*> first;
  for (const FitRow& r : a.fits)
    first.emplace(r.fit, &r);
  const FitRow& collapse = *first.at("collapse_bond_directed_W_at_L16");
  EXPECT_EQ(collapse.family, "collapse");
  EXPECT_EQ(collapse.spanning, "directed");
  EXPECT_EQ(collapse.scaling, "width");
  EXPECT_EQ(collapse.fixed_size, 16.0);
  EXPECT_EQ(collapse.min_size, 2.0);
  EXPECT_TRUE(std::isnan(collapse.depth_scale) && std::isnan(collapse.keep_scale));
  EXPECT_GT(collapse.dof, 0.0);
  const FitRow& kappa = *first.at("kappa_site_directed");
  EXPECT_EQ(kappa.family, "kappa");
  EXPECT_EQ(kappa.dof, 1.0);  // 3 widths, 2 parameters
  EXPECT_EQ(first.at("bond_W3_L16_in4_out2_thresholds/directed")->family, "threshold");
  EXPECT_TRUE(std::isnan(first.at("bond_W3_L16_in4_out2_thresholds/directed")->dof));
  std::set<std::string> tasks;
  for (const FitTaskRow& t : a.fit_tasks) {
    if (t.fit == "collapse_bond_directed_W_at_L16") tasks.insert(t.task);
  }
  EXPECT_EQ(tasks, (std::set<std::string>{"bond_W2_L16_in4_out2_thresholds",
                                          "bond_W3_L16_in4_out2_thresholds",
                                          "bond_W4_L16_in4_out2_thresholds"}));
  for (const FitRow& r : a.fits) {
    EXPECT_EQ(r.valid == 1, r.reason.empty()) << r.fit << ": " << r.reason;
    if (r.fit.find("collapse_") == 0 && std::abs(r.value) <= 1e-12 && r.parameter == "p_c") {
      EXPECT_EQ(r.valid, 0) << r.fit;  // pinned at the lower bound
    }
  }
  std::size_t points = 0, slopes = 0;
  for (const CollapsePoint& p : a.collapse_points)
    points += p.fit == "collapse_bond_directed_W_at_L16";
  for (const KappaSlope& k : a.kappa_slopes)
    slopes += k.fit == "kappa_site_directed";
  EXPECT_EQ(points, 3u * 15u);  // 3 widths x 15 points (§10.1)
  EXPECT_EQ(slopes, 3u);
}

}  // namespace
}  // namespace dropperc
