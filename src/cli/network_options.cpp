#include "network_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "dropperc/core/exact_range.hpp"

namespace dropperc::cli {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

template <class T>
std::string show(T value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

int require_width(std::optional<int> value, int fallback, const char* option) {
  const int width = value.value_or(fallback);
  if (width < 1) throw UsageError(std::string(option) + ": must be at least 1, got " + show(width));
  return width;
}

void require_probability(std::optional<double> value, const char* option) {
  if (value && !(*value >= 0.0 && *value <= 1.0)) {
    throw UsageError(std::string(option) + ": a drop probability must lie in [0, 1], got " +
                     show(*value));
  }
}

std::string interval_text(const Bounds& b) {
  if (b.high == std::numeric_limits<double>::infinity())
    return (b.low_open ? "> " : ">= ") + show(b.low);
  return (b.low_open ? "(" : "[") + show(b.low) + ", " + show(b.high) + (b.high_open ? ")" : "]");
}

double parse_number(const std::string& field, const std::string& text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc{} || end != field.data() + field.size()) {
    throw UsageError("--p-grid: '" + field + "' in '" + text + "' is not a number");
  }
  return value;
}

// "0.2,0.5,0.5" -> {0.2, 0.5, 0.5}, each a drop probability, else a UsageError naming `option`.
std::vector<double> parse_probabilities(const std::string& text, const char* option) {
  std::vector<double> values;
  for (const std::string& field : split(text, ',')) {
    double p = 0.0;
    const auto [stop, error] = std::from_chars(field.data(), field.data() + field.size(), p);
    if (error != std::errc{} || stop != field.data() + field.size() || !(p >= 0.0 && p <= 1.0)) {
      throw UsageError(std::string(option) + ": '" + field.substr(0, 40) + "' in '" +
                       text.substr(0, 80) + "' is not a drop probability (a number in [0, 1])");
    }
    values.push_back(p);
  }
  return values;
}

// Which probabilities a site+bond grid scans: those not fixed by --p-site / --p-bond or given
// per layer by --p-units / --p-weights.
ScanLine site_bond_line(const NetworkOptions& o) {
  if (o.p && (o.p_site || o.p_bond || o.p_units || o.p_weights)) {
    throw UsageError(
        "--p sets both probabilities of site+bond; give it or --p-site/--p-bond "
        "(or --p-units/--p-weights)");
  }
  const bool units_fixed = o.p_site || o.p_units;
  const bool weights_fixed = o.p_bond || o.p_weights;
  ScanLine line{DropoutModel::site_bond, !units_fixed, !weights_fixed, o.p_site.value_or(0.0),
                o.p_bond.value_or(0.0)};
  if (o.p_grid && !line.scan_site && !line.scan_bond) {
    throw UsageError("--p-grid: both --p-site and --p-bond are fixed, so nothing is scanned");
  }
  if (!o.p_grid && !o.p && (line.scan_site || line.scan_bond)) {
    throw UsageError("--model site+bond needs --p, or both --p-site and --p-bond, or --p-grid");
  }
  return line;
}

// The per-layer lists into the line, checked against the model and the network.
void add_layer_probabilities(const NetworkOptions& o, const Architecture& arch, ScanLine& line) {
  if (o.p_units && o.p_site) throw UsageError("--p-units and --p-site exclude each other");
  if (o.p_weights && o.p_bond) throw UsageError("--p-weights and --p-bond exclude each other");
  if (o.p_units) line.site_layers = parse_probabilities(*o.p_units, "--p-units");
  if (o.p_weights) line.bond_layers = parse_probabilities(*o.p_weights, "--p-weights");
  auto check = [&](const char* option, Dropout dropout) {
    try {
      validate(dropout, arch);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(option) + ": " + e.what());
    }
  };
  Dropout units = line.at(0.0), weights = units;
  units.bond_layers.clear();
  weights.site_layers.clear();
  check("--p-units", units);
  check("--p-weights", weights);
}

// What the site or bond model scans: p, unless its one probability is given per layer.
ScanLine single_line(const NetworkOptions& o, DropoutModel model) {
  ScanLine line = ScanLine::of(model);
  if (!(model == DropoutModel::site ? o.p_units : o.p_weights)) {
    if (!o.p && !o.p_grid) throw UsageError("give the drop probability with --p or --p-grid");
    return line;
  }
  const char* option = model == DropoutModel::site ? "--p-units" : "--p-weights";
  if (o.p || o.p_grid) {
    throw UsageError(std::string(option) + " gives every drop probability of the " +
                     std::string(name(model)) + " model: give no --p or --p-grid");
  }
  line.scan_site = line.scan_bond = false;
  return line;
}

}  // namespace

void require_in(double value, const char* option, Bounds b) {
  const bool inside = std::isfinite(value) && (b.low_open ? value > b.low : value >= b.low) &&
                      (b.high_open ? value < b.high : value <= b.high);
  if (!inside) {
    throw UsageError(std::string(option) + ": must be a finite number " + interval_text(b) +
                     ", got " + show(value));
  }
}

CLI::Option* add_seed_option(CLI::App& command, std::uint64_t& seed, const std::string& help) {
  const auto check = [](const std::string& text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc{} && end == text.data() + text.size() && !text.empty())
      return std::string();
    return "must be a whole number from 0 to 18446744073709551615 (2^64 - 1), got " + text;
  };
  return command.add_option("--seed", seed, help)
      ->check(CLI::Validator(check, "SEED in [0, 2^64)"))
      ->capture_default_str();
}

void add_budget_options(CLI::App& command, BudgetOptions& o, double default_hours) {
  command.add_option("--max-memory", o.max_memory_gb,
                     "Refuse work whose largest allocation needs more than this many GB "
                     "(default: this machine's physical memory)");
  char hours[32];
  std::snprintf(hours, sizeof hours, "%g", default_hours);
  command.add_option("--max-hours", o.max_hours,
                     std::string("Refuse work estimated at more than this many core-hours "
                                 "(default: ") +
                         hours + ")");
}

Limits limits_of(const BudgetOptions& o, double default_hours) {
  Limits limits;
  limits.core_hours = default_hours;
  if (o.max_memory_gb) {
    require_in(*o.max_memory_gb, "--max-memory", {0.0, kInfinity, true});
    limits.memory_bytes = *o.max_memory_gb * 1e9;
  }
  if (o.max_hours) {
    require_in(*o.max_hours, "--max-hours", {0.0, kInfinity, true});
    limits.core_hours = *o.max_hours;
  }
  return limits;
}

void add_network_options(CLI::App& command, NetworkOptions& o) {
  command.add_option("--width", o.width, "Width W of every hidden layer (with --depth)");
  command.add_option("--depth", o.depth, "Number L of hidden layers (with --width)");
  command.add_option("--widths", o.widths,
                     "Widths W_1,...,W_L of the hidden layers, e.g. 512,256,128 (instead of "
                     "--width and --depth)");
  command.add_option("--input-width", o.input_width,
                     "Input width W_in (default: --width, or the first of --widths)");
  command.add_option("--output-width", o.output_width,
                     "Output width W_out (default: --width, or the last of --widths)");
  command.add_option("--model", o.model, "Dropout model: site, bond or site+bond")->required();
  command.add_option("--p", o.p, "Drop probability (site+bond: both probabilities)");
  command.add_option("--p-site", o.p_site, "site+bond only: fixed unit drop probability");
  command.add_option("--p-bond", o.p_bond, "site+bond only: fixed weight drop probability");
  command.add_option("--p-grid", o.p_grid,
                     "Scan p over START:STOP:NUM, NUM >= 2 equally spaced values, STOP included");
  command.add_option("--p-units", o.p_units,
                     "Unit drop probability of each hidden layer, P_1,...,P_L (site, site+bond; "
                     "fixed, instead of --p or --p-site)");
  command.add_option("--p-weights", o.p_weights,
                     "Weight drop probability of each weight matrix, P_0,...,P_L (bond, "
                     "site+bond; fixed, instead of --p or --p-bond)");
  command
      .add_option("--input-dropout", o.input_dropout,
                  "Drop probability of input units, any model (held fixed by --p-grid)")
      ->capture_default_str();
  command.add_option("--format", o.format, "Output format: text or csv")
      ->check(CLI::IsMember({"text", "csv"}));
  add_budget_options(command, o.budget, kCommandCoreHours);
}

std::vector<double> parse_grid(const std::string& text) {
  const auto first = text.find(':');
  const auto second = first == std::string::npos ? first : text.find(':', first + 1);
  if (second == std::string::npos || text.find(':', second + 1) != std::string::npos) {
    throw UsageError("--p-grid: expected START:STOP:NUM, got '" + text + "'");
  }
  const double start = parse_number(text.substr(0, first), text);
  const double stop = parse_number(text.substr(first + 1, second - first - 1), text);
  const double count = parse_number(text.substr(second + 1), text);
  if (!(count >= 2 && count <= 1e6) || count != std::floor(count)) {
    throw UsageError("--p-grid: NUM must be a whole number from 2 to 1000000, got '" +
                     text.substr(second + 1) + "'");
  }
  for (double p : {start, stop}) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw UsageError("--p-grid: " + show(p) + " in '" + text + "' is outside [0, 1]");
    }
  }
  if (!(start < stop)) throw UsageError("--p-grid: START must be below STOP, got '" + text + "'");
  return evenly_spaced(start, stop, static_cast<int>(count));
}

Architecture resolve_architecture(const NetworkOptions& o) {
  if (o.widths && (o.width || o.depth)) {
    throw UsageError("--widths lists every hidden layer: give it or --width and --depth");
  }
  if (o.widths) {
    std::vector<int> widths;
    try {
      widths = parse_widths(*o.widths);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--widths: ") + e.what());
    }
    const int inputs = require_width(o.input_width, widths.front(), "--input-width");
    const int outputs = require_width(o.output_width, widths.back(), "--output-width");
    try {
      Architecture arch = Architecture::layered(inputs, widths, outputs);
      validate(arch);
      return arch;
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--widths: ") + e.what());
    }
  }
  if (!o.width || !o.depth) throw UsageError("give --width and --depth, or --widths");
  const int width = require_width(o.width, 0, "--width");
  if (*o.depth < 1 || *o.depth > kMaxArchitectureDepth) {
    throw UsageError("--depth: must be from 1 to " + show(kMaxArchitectureDepth) +
                     " hidden layers, got " + show(*o.depth));
  }
  return {require_width(o.input_width, width, "--input-width"), width, *o.depth,
          require_width(o.output_width, width, "--output-width")};
}

void add_topology_options(CLI::App& command, TopologyOptions& o) {
  command.add_option("--connectivity", o.connectivity,
                     "dense (default) or local: convolution-like layers (docs/theory.md §11.1)");
  command.add_option("--kernel", o.kernel,
                     "With local: K offsets j + d, d = 0..K-1 (a K x K neighbourhood in 2-D)");
  command.add_option("--boundary", o.boundary, "With local: periodic (default) or open");
  command.add_option("--dimensions", o.dimensions, "With local: 1 (default) or 2");
  command.add_option("--channels", o.channels,
                     "With --dimensions 2: C channels per site, W = C side^2 (default 1)");
  add_residual_options(command, o);
}

void add_residual_options(CLI::App& command, TopologyOptions& o) {
  command.add_option("--residual", o.residual,
                     "Identity skips from layer k to k + S for k = 0, S, 2S, ... (residual blocks "
                     "of S layers)");
  command.add_option("--residual-dropout", o.residual_dropout,
                     "With --residual: true (default) if DropConnect may drop the skips, false");
}

Topology resolve_topology(const TopologyOptions& o, const Architecture& arch) {
  Topology t;
  const auto connectivity = parse_connectivity(o.connectivity);
  if (!connectivity) {
    throw UsageError("--connectivity: unknown connectivity '" + o.connectivity.substr(0, 80) +
                     "' (expected dense or local)");
  }
  t.connectivity = *connectivity;
  const bool local = t.connectivity == Connectivity::local;
  if (local && !o.kernel) throw UsageError("--connectivity local: needs --kernel K");
  if (!local && (o.kernel || o.boundary || o.dimensions || o.channels)) {
    throw UsageError("--kernel, --boundary, --dimensions and --channels need --connectivity local");
  }
  t.kernel = o.kernel.value_or(t.kernel);
  t.dimensions = o.dimensions.value_or(1);
  t.channels = o.channels.value_or(1);
  if (o.boundary) {
    const auto boundary = parse_boundary(*o.boundary);
    if (!boundary) {
      throw UsageError("--boundary: unknown boundary '" + o.boundary->substr(0, 80) +
                       "' (expected periodic or open)");
    }
    t.boundary = *boundary;
  }
  if (o.residual_dropout && o.residual.value_or(0) == 0)
    throw UsageError("--residual-dropout: needs --residual S with S >= 1");
  if (o.residual) {
    if (*o.residual < 0) {
      throw UsageError("--residual " + std::to_string(*o.residual) +
                       ": the skip step S must be 0 (no skips) or at least 1");
    }
    t.residual = *o.residual;
  }
  if (o.residual_dropout) {
    if (*o.residual_dropout != "true" && *o.residual_dropout != "false") {
      throw UsageError("--residual-dropout: expected true or false, got '" +
                       o.residual_dropout->substr(0, 80) + "'");
    }
    t.residual_dropout = *o.residual_dropout == "true";
  }
  try {
    validate(t, arch);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return t;
}

NetworkRequest resolve(const NetworkOptions& o) {
  NetworkRequest request;
  request.arch = resolve_architecture(o);
  request.topology = resolve_topology(o.topology, request.arch);

  const auto model = parse_dropout_model(o.model);
  if (!model) {
    throw UsageError("--model: unknown model '" + o.model + "' (expected site, bond or site+bond)");
  }
  require_probability(o.p, "--p");
  require_probability(o.p_site, "--p-site");
  require_probability(o.p_bond, "--p-bond");
  if (*model != DropoutModel::site_bond && (o.p_site || o.p_bond)) {
    throw UsageError(std::string(o.p_site ? "--p-site" : "--p-bond") +
                     " applies to --model site+bond only; use --p");
  }
  if (o.p && o.p_grid) throw UsageError("--p and --p-grid exclude each other: give one");
  if (o.p_units && !drops_units(*model))
    throw UsageError("--p-units: the bond model drops no units (its weights: --p-weights)");
  if (o.p_weights && !drops_edges(*model))
    throw UsageError("--p-weights: the site model drops no weights (its units: --p-units)");
  request.line = *model == DropoutModel::site_bond ? site_bond_line(o) : single_line(o, *model);
  add_layer_probabilities(o, request.arch, request.line);
  require_in(o.input_dropout, "--input-dropout", {0.0, 1.0});
  request.line.fixed_p_input = o.input_dropout;
  request.grid = o.p_grid ? parse_grid(*o.p_grid) : std::vector<double>{o.p.value_or(0.0)};
  return request;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    fields.push_back(text.substr(start, end - start));
    if (end == text.size()) return fields;
    start = end + 1;
  }
}

double probability_column(double p, const std::vector<double>& layers) {
  return layers.empty() ? p : std::numeric_limits<double>::quiet_NaN();
}

std::string network_text(const Architecture& arch, const ScanLine& line) {
  std::ostringstream text;
  text << arch;
  if (line.fixed_p_input > 0.0) text << ", input dropout " << line.fixed_p_input;
  auto list = [&](const std::vector<double>& values, const char* what) {
    if (values.empty()) return;
    text << ", " << what << " drop probabilities ";
    for (std::size_t k = 0; k < values.size(); ++k)
      text << (k > 0 ? "," : "") << values[k];
  };
  list(line.site_layers, "unit");
  list(line.bond_layers, "weight");
  return text.str();
}

}  // namespace dropperc::cli
