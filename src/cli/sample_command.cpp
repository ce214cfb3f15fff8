// dropperc sample: Monte Carlo estimates of theta and the other observables over a p grid.

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/core/sampling.hpp"

namespace dropperc::cli {

namespace {

struct SampleOptions {
  NetworkOptions network;
  std::int64_t samples = 10000;
  std::uint64_t seed = 1;
  std::string method = "thresholds";
  bool directed_only = false;
  std::string observables;  ///< comma-separated names, "all", or empty: the method's default
  bool quiet = false;
};

// Reports progress on stderr every few seconds, once a run has lasted that long.
class ProgressReporter {
 public:
  explicit ProgressReporter(std::int64_t total) : total_(total) {}

  void operator()(std::int64_t done) {
    const auto now = Clock::now();
    if (now - last_ < kInterval) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double left = elapsed * static_cast<double>(total_ - done) / static_cast<double>(done);
    std::fprintf(stderr, "dropperc sample: %lld/%lld samples, %.0f s elapsed, about %.0f s left\n",
                 static_cast<long long>(done), static_cast<long long>(total_), elapsed, left);
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kInterval = std::chrono::seconds(5);
  std::int64_t total_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = start_;
};

// --observables: the names listed (theta always), "all", or, when empty, the method's default:
// everything it measures, except that fast leaves out reachable_fraction, whose chain costs more
// than the rest of a fast sample (docs/cli.md).
ObservableSet observables_of(const SampleOptions& options, Method method) {
  if (options.observables.empty()) {
    return method == Method::fast ? kAllObservables & ~bit(Observable::reachable_fraction)
                                  : kAllObservables;
  }
  if (options.observables == "all") return kAllObservables;
  ObservableSet set = bit(Observable::directed_spanning);
  for (const std::string& field : split(options.observables, ',')) {
    const auto o = parse_observable(field);
    if (!o) {
      std::string known;
      for (Observable each : kObservables)
        known += (known.empty() ? "" : ", ") + std::string(name(each));
      throw UsageError("--observables: unknown observable '" + field.substr(0, 80) +
                       "' (expected all or a list of " + known + ")");
    }
    if (!measures(method, *o, true)) {
      throw UsageError("--observables: the " + std::string(name(method)) +
                       " method does not measure " + field +
                       " (docs/cli.md lists what each method measures)");
    }
    set |= bit(*o);
  }
  return set;
}

bool any_undirected(ObservableSet set) {
  return (set & (bit(Observable::undirected_spanning) | bit(Observable::largest_cluster) |
                 bit(Observable::mean_other_cluster_size))) != 0;
}

SamplingPlan make_plan(const SampleOptions& options) {
  const NetworkRequest request = resolve(options.network);
  const auto method = parse_method(options.method);
  if (!method) {
    throw UsageError("--method: unknown method '" + options.method +
                     "' (expected masks, thresholds or fast)");
  }
  if (options.samples < 1) {
    throw UsageError("--samples: must be at least 1, got " + std::to_string(options.samples));
  }
  const ObservableSet observables = observables_of(options, *method);
  if (options.directed_only && !options.observables.empty() && any_undirected(observables)) {
    throw UsageError("--directed-only: --observables names an undirected observable");
  }
  SamplingPlan plan{request.arch,
                    request.line,
                    request.grid,
                    *method,
                    options.samples,
                    options.seed,
                    0,
                    !options.directed_only && any_undirected(observables),
                    observables,
                    request.topology};
  try {
    validate(plan);
  } catch (const std::invalid_argument& e) {
    throw UsageError("--method " + options.method + ": " + e.what());
  }
  const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
  const bool graph = !plan.topology.is_dense_mlp();
  require_memory(graph ? graph_sample_bytes(plan.arch, plan.topology, plan.undirected)
                       : sample_bytes(plan.arch, plan.line.model, plan.method, plan.undirected),
                 limits, "a sample of this network");
  // Thresholds give every p from one sample, and so do the fast p* samplers without the chain;
  // the other methods sample each p. The Graph engine observes each p of a sample anew.
  const bool per_point =
      graph || plan.method == Method::masks || (plan.method == Method::fast && draws_chain(plan));
  const double points = per_point ? static_cast<double>(plan.grid.size()) : 1.0;
  const double seconds =
      graph ? graph_point_seconds(plan.arch, plan.topology, plan.undirected)
            : sample_seconds(plan.arch, plan.line.model, plan.method, plan.undirected);
  require_time(static_cast<double>(plan.samples) * points * seconds / 3600.0, limits,
               "the sampling (" + std::to_string(plan.samples) + " samples per point)");
  return plan;
}

std::vector<std::string> columns(const SamplingPlan& plan) {
  std::vector<std::string> names = {"p"};
  if (plan.line.model == DropoutModel::site_bond) names.insert(names.end(), {"p_site", "p_bond"});
  names.push_back("samples");
  for (Observable o : kObservables) {
    const std::string base(name(o));
    if (o == Observable::directed_spanning || o == Observable::undirected_spanning) {
      names.insert(names.end(), {base, base + "_low", base + "_high"});
    } else {
      names.insert(names.end(), {base, base + "_stderr"});
    }
  }
  return names;
}

std::vector<std::string> row(const SamplingPlan& plan, const PointEstimate& e) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::string> cells = {number(shown_p(plan.line, e.p))};
  if (plan.line.model == DropoutModel::site_bond) {
    cells.insert(cells.end(),
                 {number(probability_column(e.dropout.p_site, e.dropout.site_layers)),
                  number(probability_column(e.dropout.p_bond, e.dropout.bond_layers))});
  }
  cells.push_back(std::to_string(e.samples));
  for (Observable o : kObservables) {
    const bool measured = measures(plan, o);
    const MeanAccumulator& m = e.mean(o);
    if (o == Observable::directed_spanning || o == Observable::undirected_spanning) {
      const auto spans = o == Observable::directed_spanning ? e.directed_spans : e.undirected_spans;
      const Interval ci = measured ? clopper_pearson(spans, e.samples) : Interval{nan, nan};
      cells.insert(cells.end(),
                   {number(measured ? m.mean() : nan), number(ci.low), number(ci.high)});
    } else {
      cells.insert(cells.end(), {number(measured ? m.mean() : nan),
                                 number(measured ? m.standard_error() : nan)});
    }
  }
  return cells;
}

// One p in text: a line per measured observable, mean with its error bar.
void print_point(const SamplingPlan& plan, const PointEstimate& e) {
  if (plan.line.scans()) std::printf("p = %s ", number(e.p).c_str());
  if (plan.line.model == DropoutModel::site_bond) {
    // The probabilities not given per layer (the header lists those).
    std::string scalars;
    if (e.dropout.site_layers.empty()) scalars = "p_site = " + number(e.dropout.p_site);
    if (e.dropout.bond_layers.empty())
      scalars +=
          (scalars.empty() ? "" : ", ") + std::string("p_bond = ") + number(e.dropout.p_bond);
    if (!scalars.empty()) std::printf("(%s)", scalars.c_str());
  }
  std::printf("\n");
  for (Observable o : kObservables) {
    if (!measures(plan, o)) continue;
    const MeanAccumulator& m = e.mean(o);
    std::printf("  %-26s %-12s", std::string(name(o)).c_str(), number(m.mean(), 8).c_str());
    if (o == Observable::directed_spanning || o == Observable::undirected_spanning) {
      const auto spans = o == Observable::directed_spanning ? e.directed_spans : e.undirected_spans;
      const Interval ci = clopper_pearson(spans, e.samples);
      std::printf(" 95%% CI [%s, %s]\n", number(ci.low, 6).c_str(), number(ci.high, 6).c_str());
    } else {
      std::printf(" +- %s\n", number(m.standard_error(), 3).c_str());
    }
  }
}

int run_sample(const SampleOptions& options) {
  const SamplingPlan plan = make_plan(options);
  ProgressReporter reporter(plan.samples);
  Progress progress;
  if (!options.quiet) progress = std::ref(reporter);
  const auto estimates = run_sampling(plan, progress);

  if (options.network.format == "csv") {
    Table table(columns(plan));
    for (const auto& e : estimates)
      table.add_row(row(plan, e));
    table.print(stdout, true);
    return 0;
  }
  const std::string topology =
      plan.topology.is_dense_mlp() ? "" : ", " + topology_text(plan.topology);
  std::printf("# dropperc sample: %s dropout, %s%s; method %s, %lld samples, seed %llu\n",
              std::string(name(plan.line.model)).c_str(),
              network_text(plan.arch, plan.line).c_str(), topology.c_str(), options.method.c_str(),
              static_cast<long long>(plan.samples), static_cast<unsigned long long>(plan.seed));
  if (estimates.size() == 1) {
    print_point(plan, estimates.front());
    return 0;
  }
  // A grid in text: the means of the measured observables, one row per p.
  std::vector<std::string> names = {"p", "theta", "theta_low", "theta_high"};
  for (Observable o : kObservables) {
    if (o != Observable::directed_spanning && measures(plan, o)) {
      names.emplace_back(name(o));
    }
  }
  Table table(names);
  for (const auto& e : estimates) {
    const Interval ci = clopper_pearson(e.directed_spans, e.samples);
    std::vector<std::string> cells = {number(e.p, 6),
                                      number(e.mean(Observable::directed_spanning).mean(), 6),
                                      number(ci.low, 6), number(ci.high, 6)};
    for (Observable o : kObservables) {
      if (o != Observable::directed_spanning && measures(plan, o)) {
        cells.push_back(number(e.mean(o).mean(), 6));
      }
    }
    table.add_row(cells);
  }
  table.print(stdout, false);
  return 0;
}

}  // namespace

Command add_sample_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "sample",
      "Monte Carlo theta with a 95% Clopper-Pearson interval, and the means of the "
      "other percolation observables, at one p or over a p grid");
  auto options = std::make_shared<SampleOptions>();
  add_network_options(*command, options->network);
  add_topology_options(*command, options->network.topology);
  command->add_option("--samples", options->samples, "Number of samples (masks) per p")
      ->capture_default_str();
  add_seed_option(*command, options->seed, "Seed: equal seeds give equal results");
  command
      ->add_option("--method", options->method,
                   "masks: a fresh mask per p; thresholds: per-sample thresholds, every p from "
                   "one sample; fast: exact samplers without per-edge randomness")
      ->capture_default_str();
  command->add_flag("--directed-only", options->directed_only,
                    "Skip undirected spanning and clusters (they sort every weight of a sample)");
  command->add_option("--observables", options->observables,
                      "What to measure and print, comma-separated (theta is always there), or "
                      "all; default: everything the method measures, except reachable_fraction "
                      "under fast (its chain costs more than the rest)");
  command->add_flag("--quiet", options->quiet, "No progress reports on stderr");
  return {command, [options] { return run_sample(*options); }};
}

}  // namespace dropperc::cli
