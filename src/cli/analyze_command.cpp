// dropperc analyze: thresholds, collapses and exponents of a merged job file, into its /analysis.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/analysis/analysis.hpp"

namespace dropperc::cli {

namespace {

struct AnalyzeOptions {
  std::string file;
  int resamples = 200;
  std::string format = "text";
  std::string export_directory;
  std::optional<double> fixed_p_c, fixed_b;
};

// For other finite-size-scaling tools: one text file per family of sizes with the columns
// S, p, theta, dtheta (dtheta: half the 95 % Clopper-Pearson width). Families as in the collapses:
// S = W at each depth, S = L at each width, S = L for a lattice model.
void export_curves(const std::vector<CurveRow>& curves, const std::filesystem::path& directory) {
  std::map<std::string, std::vector<std::pair<double, const CurveRow*>>> files;
  for (const CurveRow& r : curves) {
    const std::string base = "theta_" + r.model + "_" + r.spanning;
    if (r.model.rfind("lattice_", 0) == 0) {
      files[base].push_back({static_cast<double>(r.width), &r});
      continue;
    }
    files[base + "_W_at_L" + std::to_string(r.depth)].push_back({static_cast<double>(r.width), &r});
    files[base + "_L_at_W" + std::to_string(r.width)].push_back({static_cast<double>(r.depth), &r});
  }
  std::filesystem::create_directories(directory);
  for (const auto& [name, rows] : files) {
    const auto path = directory / (name + ".txt");
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) throw UsageError("--export: cannot write " + path.string());
    std::fprintf(out, "# S p theta dtheta  (%s; dropperc analyze --export)\n", name.c_str());
    for (const auto& [size, r] : rows) {
      std::fprintf(out, "%.17g %.17g %.17g %.17g\n", size, r->p, r->theta,
                   (r->theta_high - r->theta_low) / 2);
    }
    if (std::fclose(out) != 0) throw UsageError("--export: cannot write " + path.string());
  }
}

// "0.4123 +- 0.0012" with the value rounded to the error's second significant digit.
std::string with_error(double value, double error) {
  if (!std::isfinite(error) || error <= 0) return number(value, 6);
  const int digits = std::max(1, 2 - static_cast<int>(std::floor(std::log10(error))));
  char text[96];
  std::snprintf(text, sizeof text, "%.*f +- %.*f", digits, value, digits, error);
  return text;
}

// A number, or nothing where it is not known (NaN).
std::string shown(double value, int digits) {
  return std::isfinite(value) ? number(value, digits) : "";
}

// A fitted value with its error, or a held one marked so.
std::string value_text(const FitRow& r) {
  return r.held ? number(r.value, 6) + " (held)" : with_error(r.value, r.error);
}

// Whether the fit named `fit` is a result (docs/theory.md §10.8).
bool is_result(const Analysis& a, const std::string& fit) {
  return std::none_of(a.fits.begin(), a.fits.end(),
                      [&](const FitRow& r) { return r.fit == fit && r.valid == 0; });
}

// Fits that are not results, one line each: their values and why (never in the tables above).
void print_not_results(const Analysis& a) {
  std::vector<std::pair<std::string, std::string>> lines;  // fit, values; in table order
  std::map<std::string, std::string> reasons;
  for (const FitRow& r : a.fits) {
    if (r.valid != 0) continue;
    if (!reasons.contains(r.fit)) lines.push_back({r.fit, ""});
    reasons[r.fit] = r.reason;
    std::string& values = lines.back().second;
    values += (values.empty() ? "" : ", ") + r.parameter + " = " + value_text(r);
  }
  if (lines.empty()) return;
  std::printf("Not results: fits that fail a rule of docs/theory.md §10.8, with the reason\n");
  Table t({"fit", "values", "reason"});
  for (const auto& [fit, values] : lines)
    t.add_row({fit, values, reasons[fit]});
  t.print(stdout, false);
  std::printf("\n");
}

void print_text(const Analysis& a) {
  if (!a.thresholds.empty()) {
    std::printf("Thresholds: p_half (theta = 1/2) and the width from theta = 0.9 to 0.1\n");
    Table t({"task", "spanning", "samples", "p_half", "exact", "deviation", "width"});
    for (const ThresholdRow& r : a.thresholds) {
      if (!is_result(a, r.task + "/" + r.spanning)) continue;  // under "Not results"
      t.add_row({r.task, r.spanning, std::to_string(r.samples),
                 with_error(r.p_half, r.p_half_error), shown(r.p_half_exact, 6),
                 std::isfinite(r.deviation) ? number(r.deviation, 2) + " sigma" : "",
                 with_error(r.transition_width, r.transition_width_error)});
    }
    t.print(stdout, false);
    std::printf("\n");
  }
  if (std::any_of(a.fits.begin(), a.fits.end(), [](const FitRow& r) {
        return r.valid != 0 && r.fit.find('/') == std::string::npos;
      })) {
    std::printf("Fits (bootstrap errors and 95%% intervals)\n");
    Table t({"fit", "parameter", "value", "95% interval", "known", "deviation", "quality"});
    for (const FitRow& r : a.fits) {
      if (r.fit.find('/') != std::string::npos) continue;  // thresholds, shown above
      if (r.valid == 0) continue;                          // under "Not results"
      const double deviation = (r.value - r.exact) / r.error;
      t.add_row({r.fit, r.parameter, value_text(r),
                 r.held ? "" : "[" + number(r.low, 5) + ", " + number(r.high, 5) + "]",
                 shown(r.exact, 6), std::isfinite(deviation) ? number(deviation, 2) + " sigma" : "",
                 shown(r.quality, 3)});
    }
    t.print(stdout, false);
    std::printf("\n");
  }
  print_not_results(a);
  if (!a.training.empty()) {
    std::printf("Training against exact theta (means over the replicas that did not diverge)\n");
    Table t({"task", "theta", "diverged", "test_loss", "test_accuracy", "zero_gradient",
             "1 - theta", "steps_to_target"});
    for (const TrainingRow& r : a.training) {
      t.add_row({r.task, number(r.theta, 4),
                 std::to_string(r.diverged) + " of " + std::to_string(r.replicas),
                 with_error(r.test_loss, r.test_loss_error),
                 with_error(r.test_accuracy, r.test_accuracy_error),
                 with_error(r.zero_gradient_fraction, r.zero_gradient_error),
                 number(1 - r.theta, 4), with_error(r.steps_to_target, r.steps_to_target_error)});
    }
    t.print(stdout, false);
  }
}

void print_csv(const Analysis& a) {
  Table t({"fit",         "model",    "observable", "parameter",  "value",       "error",
           "low",         "high",     "exact",      "quality",    "failures",    "held",
           "family",      "spanning", "scaling",    "fixed_size", "depth_scale", "keep_scale",
           "input_width", "min_size", "valid",      "reason",     "dof",         "chi2_per_dof"});
  for (const FitRow& r : a.fits) {
    t.add_row({r.fit,
               r.model,
               r.observable,
               r.parameter,
               number(r.value),
               number(r.error),
               number(r.low),
               number(r.high),
               number(r.exact),
               number(r.quality),
               std::to_string(r.failures),
               std::to_string(r.held),
               r.family,
               r.spanning,
               r.scaling,
               number(r.fixed_size),
               number(r.depth_scale),
               number(r.keep_scale),
               number(r.input_width),
               number(r.min_size),
               std::to_string(r.valid),
               r.reason,
               number(r.dof),
               number(r.chi2_per_dof)});
  }
  t.print(stdout, true);
}

int analyze(const AnalyzeOptions& o) {
  if (o.fixed_p_c && !(*o.fixed_p_c >= 0 && *o.fixed_p_c <= 1))
    throw UsageError("--fix-p-c: must be a probability in [0, 1], got " + number(*o.fixed_p_c));
  if (o.fixed_b && !std::isfinite(*o.fixed_b))
    throw UsageError("--fix-b: must be a finite number, got " + number(*o.fixed_b));
  try {
    const Analysis a = analyze_file(o.file, {o.resamples, o.fixed_p_c, o.fixed_b});
    if (!o.export_directory.empty()) export_curves(a.curves, o.export_directory);
    if (o.format == "csv")
      print_csv(a);
    else
      print_text(a);
    return 0;
  } catch (const AnalysisError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

Command add_analyze_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "analyze",
      "Thresholds, data collapses and exponents with bootstrap errors from a merged job file "
      "(<output>/<name>.h5), written into its /analysis (docs/hdf5-layout.md)");
  auto o = std::make_shared<AnalyzeOptions>();
  command->add_option("file", o->file, "The merged job file")->required();
  command->add_option("--resamples", o->resamples, "Bootstrap resamples (default 200)")
      ->check(CLI::Range(2, 100000));
  command->add_option("--format", o->format, "text (default) or csv (one row per fit parameter)")
      ->check(CLI::IsMember({"text", "csv"}));
  command->add_option(
      "--export", o->export_directory,
      "Also write theta curves as 'S p theta dtheta' text files into this directory");
  command->add_option("--fix-p-c", o->fixed_p_c,
                      "Hold p_c at this value (in [0, 1]) in every collapse over p or q");
  command->add_option("--fix-b", o->fixed_b,
                      "Hold b = 1/nu at this value (finite) in every collapse over p or q");
  return {command, [o] { return analyze(*o); }};
}

}  // namespace dropperc::cli
