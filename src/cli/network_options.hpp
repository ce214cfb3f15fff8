#pragma once
// Options shared by every subcommand that describes a network under dropout, and their
// resolution into library types. Every failure is a UsageError whose message names the option
// and the bad value; main() turns it into exit code 2.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dropperc/core/budget.hpp"
#include "dropperc/core/geometry.hpp"
#include "dropperc/core/mask.hpp"
#include "dropperc/core/network.hpp"

namespace dropperc::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// --max-memory GB and --max-hours H: the limits of budget.hpp, raised (or lowered) on purpose.
struct BudgetOptions {
  std::optional<double> max_memory_gb;
  std::optional<double> max_hours;
};

/// Registers --max-memory and --max-hours; `default_hours` is the time limit without the option.
void add_budget_options(CLI::App& command, BudgetOptions& options, double default_hours);
/// The limits the options set (checked: finite and > 0), physical memory and `default_hours`
/// where they are absent.
Limits limits_of(const BudgetOptions& options, double default_hours);

/// --connectivity, --kernel, --boundary, --dimensions, --channels, --residual,
/// --residual-dropout (theory and sample; train takes the last two; docs/cli.md).
struct TopologyOptions {
  std::string connectivity = "dense";
  std::optional<int> kernel;
  std::optional<std::string> boundary;
  std::optional<int> dimensions;
  std::optional<int> channels;
  std::optional<int> residual;
  std::optional<std::string> residual_dropout;
};

struct NetworkOptions {
  std::optional<int> width;
  std::optional<int> depth;
  std::optional<std::string> widths;  ///< "512,256,128"
  std::optional<int> input_width;
  std::optional<int> output_width;
  std::string model;
  std::optional<double> p;
  std::optional<double> p_site;
  std::optional<double> p_bond;
  std::optional<std::string> p_grid;
  std::optional<std::string> p_units;    ///< "0.2,0.5,0.5": per hidden layer, fixed
  std::optional<std::string> p_weights;  ///< "0.1,0.5,0.5,0": per weight matrix, fixed
  double input_dropout = 0.0;            ///< fixed, never scanned
  std::string format = "text";
  BudgetOptions budget;
  TopologyOptions topology;  ///< registered by add_topology_options only
};

/// The network, the scan line and the grid of line parameters the options describe.
struct NetworkRequest {
  Architecture arch;
  ScanLine line;
  std::vector<double> grid;  ///< ascending; one point unless --p-grid was given
  Topology topology;         ///< the dense MLP unless the topology options say otherwise
};

void add_network_options(CLI::App& command, NetworkOptions& options);
NetworkRequest resolve(const NetworkOptions& options);
/// Registers the topology options; commands without them model the dense MLP.
void add_topology_options(CLI::App& command, TopologyOptions& options);
/// Registers --residual and --residual-dropout alone (train: dense layers with skips).
void add_residual_options(CLI::App& command, TopologyOptions& options);
/// The topology the options describe, validated against the network.
Topology resolve_topology(const TopologyOptions& options, const Architecture& arch);
/// The network of --width/--depth or --widths with --input-width/--output-width, validated.
Architecture resolve_architecture(const NetworkOptions& options);
/// The network and its fixed probabilities as headers print them: "W_in=4 W=4 L=3 W_out=4, input
/// dropout 0.2, unit drop probabilities 0.2,0.5,0.5".
std::string network_text(const Architecture& arch, const ScanLine& line);
/// "a,b,,c" -> {"a", "b", "", "c"}: the fields between separators, empty ones included.
std::vector<std::string> split(const std::string& text, char separator);
/// A site+bond probability column: the probability, or NaN where it is given per layer (the
/// header lists the layers').
double probability_column(double p, const std::vector<double>& layers);

/// Bounds of a floating option: low <= value <= high, an end excluded when marked open.
struct Bounds {
  double low;
  double high;
  bool low_open = false;
  bool high_open = false;
};

/// Throws UsageError naming `option` and `value` unless the value is finite and within `bounds`
/// (NaN and infinities are always refused).
void require_in(double value, const char* option, Bounds bounds);

/// A seed option: a whole number from 0 to 2^64 - 1 in decimal, refused otherwise (the checked
/// conversion CLI11 does not make: it would alias larger numbers to 2^64 - 1).
CLI::Option* add_seed_option(CLI::App& command, std::uint64_t& seed, const std::string& help);

/// "start:stop:num" -> num equally spaced values from start to stop inclusive.
std::vector<double> parse_grid(const std::string& text);

}  // namespace dropperc::cli
