// dropperc theory: exact theta(p) and the expected extinction depth (docs/theory.md §2-§4).

#include <algorithm>
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
#include "dropperc/core/topology_theory.hpp"

namespace dropperc::cli {

namespace {

// Exact thetas that solving for p evaluates, at most about: TOMS 748 to full precision for the
// level and again for the text header's p_half.
constexpr double kSolveChains = 100.0;

struct TheoryOptions {
  NetworkOptions network;
  bool profile = false;
  std::optional<std::string> solve;       ///< theta=V or one_minus_theta=V
  std::optional<std::string> solve_for;   ///< p (the default) or depth
  std::optional<std::string> depth_grid;  ///< "START:STOP:NUM" or "L1,L2,..."
};

// The depths of --depth-grid: NUM (2 to 10^4) whole numbers evenly spaced from START to STOP
// (rounded; a repeat is refused: choose fewer), or a list of distinct depths; ascending.
std::vector<int> parse_depth_grid(const std::string& text) {
  const std::string shown = "'" + text.substr(0, 80) + "'";
  auto whole = [&](const std::string& field) {
    long long v = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (error != std::errc{} || end != field.data() + field.size() || v < 1 ||
        v > kMaxArchitectureDepth) {
      throw UsageError("--depth-grid: '" + field.substr(0, 40) + "' in " + shown +
                       " is not a depth (a whole number from 1 to " +
                       std::to_string(kMaxArchitectureDepth) + ")");
    }
    return v;
  };
  const char separator = text.find(':') != std::string::npos ? ':' : ',';
  const std::vector<std::string> fields = split(text, separator);
  std::vector<int> depths;
  if (separator == ':') {
    if (fields.size() != 3) throw UsageError("--depth-grid: expected START:STOP:NUM, got " + shown);
    const long long start = whole(fields[0]), stop = whole(fields[1]), num = whole(fields[2]);
    if (!(start < stop)) throw UsageError("--depth-grid: START must be below STOP, got " + shown);
    if (num < 2 || num > 10000)
      throw UsageError("--depth-grid: NUM must be from 2 to 10000, got " + shown);
    for (long long k = 0; k < num; ++k) {
      const double d = static_cast<double>(start) +
                       static_cast<double>(stop - start) * static_cast<double>(k) / (num - 1);
      depths.push_back(static_cast<int>(std::llround(d)));
    }
  } else {
    if (fields.size() > 10000) throw UsageError("--depth-grid: more than 10000 depths in " + shown);
    for (const std::string& field : fields)
      depths.push_back(static_cast<int>(whole(field)));
    std::sort(depths.begin(), depths.end());
  }
  const auto repeat = std::adjacent_find(depths.begin(), depths.end());
  if (repeat != depths.end()) {
    throw UsageError("--depth-grid: the depth " + std::to_string(*repeat) + " appears twice in " +
                     shown + (separator == ':' ? " (rounded): give a smaller NUM" : ""));
  }
  return depths;
}

// The network, and p_half where the line scans something and `with_p_half`.
// With a depth grid, the network's L is the grid's ("L=2..32 (--depth-grid)") and no p_half.
void print_header(const NetworkRequest& request, bool with_p_half = true,
                  const std::vector<int>& depths = {}) {
  std::string network = network_text(request.arch, request.line);
  if (depths.size() > 1) {
    const std::string depth = " L=" + std::to_string(request.arch.depth()) + " ";
    network.replace(network.find(depth), depth.size(),
                    " L=" + std::to_string(depths.front()) + ".." + std::to_string(depths.back()) +
                        " (--depth-grid) ");
  }
  std::printf("# dropperc theory: %s dropout, %s\n", std::string(name(request.line.model)).c_str(),
              network.c_str());
  if (!request.line.scans() || !with_p_half || depths.size() > 1) return;
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

// One row of the theory table: [depth,] p[, p_site, p_bond], theta and the extinction depth.
// A row of the theory table; the expected extinction depth only for the dense MLP.
std::vector<std::string> theory_row(const Architecture& arch, const Topology& topology,
                                    const ScanLine& line, double p, bool site_bond,
                                    bool with_depth) {
  const Dropout dropout = line.at(p);
  SpanningProbability theta;
  try {
    theta = spanning_probability(arch, topology, dropout);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::vector<std::string> row = {number(shown_p(line, p))};
  if (with_depth) row.insert(row.begin(), std::to_string(arch.depth()));
  if (site_bond) {
    row.insert(row.end(), {number(probability_column(dropout.p_site, dropout.site_layers)),
                           number(probability_column(dropout.p_bond, dropout.bond_layers))});
  }
  row.insert(row.end(),
             {number(theta.theta), number(theta.one_minus_theta), number(theta.log_theta)});
  if (topology.is_dense_mlp()) {
    row.push_back(number(reachable_chain(arch, dropout).expected_extinction_depth));
  }
  return row;
}

bool has_topology(const TopologyOptions& t) {
  return t.connectivity != "dense" || t.residual.has_value();
}

// Local connectivity or skips: theta, its complement and log at every p (docs/theory.md §11),
// where exact theory exists; the profile, the extinction depth and the solvers are dense only.
int run_topology_theory(const TheoryOptions& options) {
  if (options.profile || options.solve || options.depth_grid) {
    throw UsageError(
        "--profile, --solve and --depth-grid are for dense networks without skips; with "
        "--connectivity local or --residual the theory gives theta");
  }
  const NetworkRequest request = resolve(options.network);
  const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
  require_time(static_cast<double>(request.grid.size()) *
                   exact_theory_seconds(request.arch, request.topology) / 3600.0,
               limits, "the exact theory of this network");
  const bool site_bond = request.line.model == DropoutModel::site_bond;
  std::vector<std::string> columns = {"p"};
  if (site_bond) columns.insert(columns.end(), {"p_site", "p_bond"});
  columns.insert(columns.end(), {"theta", "one_minus_theta", "log_theta"});
  Table table(columns);
  for (double p : request.grid)
    table.add_row(theory_row(request.arch, request.topology, request.line, p, site_bond, false));
  const bool csv = options.network.format == "csv";
  if (!csv) {
    std::printf(
        "# dropperc theory: %s dropout, %s, %s\n", std::string(name(request.line.model)).c_str(),
        network_text(request.arch, request.line).c_str(), topology_text(request.topology).c_str());
  }
  table.print(stdout, csv);
  return 0;
}

int run_theory(const TheoryOptions& options) {
  if (options.solve_for && !options.solve) throw UsageError("--for: needs --solve");
  if (has_topology(options.network.topology)) return run_topology_theory(options);
  if (options.solve) {
    if (options.profile) throw UsageError("--profile and --solve exclude each other: give one");
    if (options.depth_grid) throw UsageError("--depth-grid and --solve exclude each other");
    const ThetaLevel level = parse_level(*options.solve);
    const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
    return options.solve_for.value_or("p") == "p" ? solve_for_p(options, level, limits)
                                                  : solve_for_depth(options, level, limits);
  }
  std::vector<int> depths;
  NetworkOptions network = options.network;
  if (options.depth_grid) {
    if (options.profile) throw UsageError("--depth-grid and --profile exclude each other");
    if (network.depth || network.widths || network.p_units || network.p_weights) {
      throw UsageError(
          "--depth-grid scans the depth of --width: give no --depth, --widths, "
          "--p-units or --p-weights");
    }
    depths = parse_depth_grid(*options.depth_grid);
    network.depth = depths.back();
  }
  const NetworkRequest request = resolve(network);
  if (depths.empty()) depths = {request.arch.depth()};
  // Every row runs the reachable-count chain (the extinction depth needs it even for site).
  const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
  require_chain_memory(request.arch, limits);
  // The text header's p_half takes a root search of about 30 chains.
  const bool text = options.network.format != "csv";
  const double points = (options.profile ? 1.0 : static_cast<double>(request.grid.size())) +
                        (text && request.line.scans() && !options.depth_grid ? 30.0 : 0.0);
  // The network at each depth of the grid (layered networks take no --depth-grid).
  auto at_depth = [&](int depth) {
    return options.depth_grid ? request.arch.with_depth(depth) : request.arch;
  };
  double chains = 0.0;
  for (int depth : depths)
    chains += chain_seconds(at_depth(depth));
  require_time(points * chains / 3600.0, limits, "the exact theory of this network");
  const bool csv = options.network.format == "csv";
  if (options.profile) return print_profile(request, csv);
  const bool site_bond = request.line.model == DropoutModel::site_bond;
  std::vector<std::string> columns = {"p"};
  if (options.depth_grid) columns.insert(columns.begin(), "depth");
  if (site_bond) columns.insert(columns.end(), {"p_site", "p_bond"});
  columns.insert(columns.end(), {"theta", "one_minus_theta", "log_theta", "extinction_depth"});
  Table table(columns);
  for (int depth : depths) {
    const Architecture arch = at_depth(depth);
    for (double p : request.grid)
      table.add_row(theory_row(arch, request.topology, request.line, p, site_bond,
                               options.depth_grid.has_value()));
  }
  if (!csv) print_header(request, true, depths);
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
  add_topology_options(*command, options->network.topology);
  command->add_flag("--profile", options->profile,
                    "Print the expected number of forward-reachable units of every layer instead");
  command->add_option("--solve", options->solve,
                      "Solve for where theta reaches a level instead: theta=V or "
                      "one_minus_theta=V, V in (0, 1)");
  command->add_option("--depth-grid", options->depth_grid,
                      "Scan the depth of --width: START:STOP:NUM (NUM whole numbers evenly "
                      "spaced, rounded) or a list L1,L2,...; a depth column leads each row");
  command
      ->add_option("--for", options->solve_for,
                   "With --solve: p (on the scan line; no --p) or depth (the largest L up to "
                   "--depth, at --p); default p")
      ->check(CLI::IsMember({"p", "depth"}));
  return {command, [options] { return run_theory(*options); }};
}

}  // namespace dropperc::cli
