// dropperc theory: exact theta(p) and the expected extinction depth (docs/theory.md §2-§4).

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/core/theory.hpp"

namespace dropperc::cli {

namespace {

// Exact thetas that solving for p evaluates, at most about: TOMS 748 to full precision for the
// level and again for the text header's p_half.
constexpr double kSolveChains = 100.0;

struct TheoryOptions {
  NetworkOptions network;
  bool profile = false;
  std::optional<std::string> solve;      ///< theta=V or one_minus_theta=V
  std::optional<std::string> solve_for;  ///< p (the default) or depth
};

// The network, and p_half where the line scans something and `with_p_half`.
void print_header(const NetworkRequest& request, bool with_p_half = true) {
  std::ostringstream arch;
  arch << request.arch;
  if (request.line.fixed_p_input > 0.0) arch << ", input dropout " << request.line.fixed_p_input;
  std::printf("# dropperc theory: %s dropout, %s\n", std::string(name(request.line.model)).c_str(),
              arch.str().c_str());
  if (!request.line.scans() || !with_p_half) return;
  try {
    std::printf("# p_half = %s (theta = 1/2 on this scan line)\n",
                number(p_half(request.arch, request.line), 12).c_str());
  } catch (const std::domain_error&) {
    std::printf("# p_half: theta does not cross 1/2 on this scan line\n");
  }
}

// E[N_k] for every layer at the single p of the request.
int print_profile(const NetworkRequest& request, bool csv) {
  if (request.grid.size() != 1) throw UsageError("--profile: needs a single --p, not --p-grid");
  const ReachableChain chain = reachable_chain(request.arch, request.line.at(request.grid[0]));
  if (!csv) print_header(request);
  Table table({"layer", "width", "expected_reachable"});
  for (int k = 0; k < request.arch.layers(); ++k) {
    table.add_row({std::to_string(k), std::to_string(request.arch.layer_width(k)),
                   number(chain.expected_reachable[k])});
  }
  table.print(stdout, csv);
  return 0;
}

// Every command here runs the reachable-count chain of the network.
void require_chain_memory(const Architecture& arch, const Limits& limits) {
  require_memory(chain_bytes(arch), limits, "the exact theory of this network");
}

// "theta=V" or "one_minus_theta=V" with V in (0, 1).
ThetaLevel parse_level(const std::string& text) {
  const std::size_t equals = text.find('=');
  const std::string key = text.substr(0, equals);
  if (equals == std::string::npos || (key != "theta" && key != "one_minus_theta")) {
    throw UsageError("--solve: expected theta=V or one_minus_theta=V, got '" + text.substr(0, 80) +
                     "'");
  }
  const std::string value = text.substr(equals + 1);
  ThetaLevel level{0.0, key == "one_minus_theta"};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), level.value);
  if (error != std::errc{} || end != value.data() + value.size() ||
      !(level.value > 0.0 && level.value < 1.0)) {
    throw UsageError("--solve: " + key + " must be a number in (0, 1), got '" + text.substr(0, 80) +
                     "'");
  }
  return level;
}

// The row of a solution: the parameter solved for, then theta there.
void print_solution(const std::vector<std::string>& columns, std::vector<std::string> row,
                    const SpanningProbability& theta, bool csv) {
  std::vector<std::string> all = columns;
  all.insert(all.end(), {"theta", "one_minus_theta", "log_theta"});
  row.insert(row.end(),
             {number(theta.theta), number(theta.one_minus_theta), number(theta.log_theta)});
  Table table(all);
  table.add_row(row);
  table.print(stdout, csv);
}

// --solve --for p: the p on the scan line where theta reaches the level (docs/theory.md §5.1).
int solve_for_p(const TheoryOptions& options, ThetaLevel level, const Limits& limits) {
  if (options.network.p || options.network.p_grid)
    throw UsageError("--solve --for p: p is what is solved for; give no --p or --p-grid");
  // The scan line the options describe: that of a grid over all of [0, 1].
  NetworkOptions line_options = options.network;
  line_options.p_grid = "0:1:2";
  const NetworkRequest request = resolve(line_options);
  require_chain_memory(request.arch, limits);
  require_time(kSolveChains * chain_seconds(request.arch) / 3600.0, limits, "solving for p");
  double p = 0.0;
  try {
    p = solve_p(request.arch, request.line, level);
  } catch (const std::domain_error& e) {
    throw UsageError(std::string("--solve: ") + e.what());
  }
  const Dropout dropout = request.line.at(p);
  const bool csv = options.network.format == "csv";
  if (!csv) print_header(request);
  if (request.line.model == DropoutModel::site_bond) {
    print_solution({"p", "p_site", "p_bond"},
                   {number(p), number(dropout.p_site), number(dropout.p_bond)},
                   spanning_probability(request.arch, dropout), csv);
  } else {
    print_solution({"p"}, {number(p)}, spanning_probability(request.arch, dropout), csv);
  }
  return 0;
}

// --solve --for depth: the largest L <= --depth at which theta reaches the level.
int solve_for_depth(const TheoryOptions& options, ThetaLevel level, const Limits& limits) {
  const NetworkRequest request = resolve(options.network);
  if (request.grid.size() != 1)
    throw UsageError("--solve --for depth: needs a single --p, not --p-grid");
  if (!request.arch.is_uniform())
    throw UsageError("--solve --for depth: needs --width and --depth, not --widths");
  require_chain_memory(request.arch, limits);
  const double chains = 2.0 + std::ceil(std::log2(static_cast<double>(request.arch.depth()) + 1.0));
  require_time(chains * chain_seconds(request.arch) / 3600.0, limits, "solving for the depth");
  const Dropout dropout = request.line.at(request.grid[0]);
  DepthSolution solution;
  try {
    solution = solve_depth(request.arch, dropout, level, request.arch.depth());
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--solve --for depth: ") + e.what());
  } catch (const std::domain_error& e) {
    throw UsageError(std::string("--solve: ") + e.what());
  }
  if (solution.capped) {
    std::fprintf(stderr,
                 "dropperc theory: theta reaches the level at every depth up to --depth %d: the "
                 "depth sought is at least %d (raise --depth)\n",
                 solution.depth, solution.depth);
  }
  const Architecture arch = request.arch.with_depth(solution.depth);
  const bool csv = options.network.format == "csv";
  if (!csv) print_header(request, false);
  print_solution({"depth"}, {std::to_string(solution.depth)}, spanning_probability(arch, dropout),
                 csv);
  return 0;
}

int run_theory(const TheoryOptions& options) {
  if (options.solve_for && !options.solve) throw UsageError("--for: needs --solve");
  if (options.solve) {
    if (options.profile) throw UsageError("--profile and --solve exclude each other: give one");
    const ThetaLevel level = parse_level(*options.solve);
    const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
    return options.solve_for.value_or("p") == "p" ? solve_for_p(options, level, limits)
                                                  : solve_for_depth(options, level, limits);
  }
  const NetworkRequest request = resolve(options.network);
  // Every row runs the reachable-count chain (the extinction depth needs it even for site).
  const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
  require_chain_memory(request.arch, limits);
  // The text header's p_half takes a root search of about 30 chains.
  const bool text = options.network.format != "csv";
  const double points = (options.profile ? 1.0 : static_cast<double>(request.grid.size())) +
                        (text && request.line.scans() ? 30.0 : 0.0);
  require_time(points * chain_seconds(request.arch) / 3600.0, limits,
               "the exact theory of this network");
  const bool csv = options.network.format == "csv";
  if (options.profile) return print_profile(request, csv);
  const bool site_bond = request.line.model == DropoutModel::site_bond;
  std::vector<std::string> columns = {"p"};
  if (site_bond) columns.insert(columns.end(), {"p_site", "p_bond"});
  columns.insert(columns.end(), {"theta", "one_minus_theta", "log_theta", "extinction_depth"});
  Table table(columns);
  for (double p : request.grid) {
    const Dropout dropout = request.line.at(p);
    const SpanningProbability theta = spanning_probability(request.arch, dropout);
    std::vector<std::string> row = {number(shown_p(request.line, p))};
    if (site_bond) row.insert(row.end(), {number(dropout.p_site), number(dropout.p_bond)});
    row.insert(row.end(),
               {number(theta.theta), number(theta.one_minus_theta), number(theta.log_theta),
                number(reachable_chain(request.arch, dropout).expected_extinction_depth)});
    table.add_row(row);
  }
  if (!csv) print_header(request);
  table.print(stdout, csv);
  return 0;
}

}  // namespace

Command add_theory_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "theory",
      "Exact theta = P(directed input-output path) and expected extinction depth: closed form "
      "for site dropout, Markov chain over reachable counts otherwise (docs/theory.md)");
  auto options = std::make_shared<TheoryOptions>();
  add_network_options(*command, options->network);
  command->add_flag("--profile", options->profile,
                    "Print the expected number of forward-reachable units of every layer instead");
  command->add_option("--solve", options->solve,
                      "Solve for where theta reaches a level instead: theta=V or "
                      "one_minus_theta=V, V in (0, 1)");
  command
      ->add_option("--for", options->solve_for,
                   "With --solve: p (on the scan line; no --p) or depth (the largest L up to "
                   "--depth, at --p); default p")
      ->check(CLI::IsMember({"p", "depth"}));
  return {command, [options] { return run_theory(*options); }};
}

}  // namespace dropperc::cli
