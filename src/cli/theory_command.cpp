// dropperc theory: exact theta(p) and the expected extinction depth (docs/theory.md §2-§4).

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/core/theory.hpp"

namespace dropperc::cli {

namespace {

struct TheoryOptions {
  NetworkOptions network;
  bool profile = false;
};

void print_header(const NetworkRequest& request) {
  std::ostringstream arch;
  arch << request.arch;
  std::printf("# dropperc theory: %s dropout, %s\n", std::string(name(request.line.model)).c_str(),
              arch.str().c_str());
  if (!request.line.scans()) return;
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

int run_theory(const TheoryOptions& options) {
  const NetworkRequest request = resolve(options.network);
  // Every row runs the reachable-count chain (the extinction depth needs it even for site).
  const Limits limits = limits_of(options.network.budget, kCommandCoreHours);
  require_memory(chain_bytes(request.arch), limits, "the exact theory of this network");
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
  return {command, [options] { return run_theory(*options); }};
}

}  // namespace dropperc::cli
