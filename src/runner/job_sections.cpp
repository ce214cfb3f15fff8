// The section parsers of job files: [job], [grid], [percolation], [lattice], [training],
// [training.teacher] and [run], each read by a Reader (toml_reader.hpp) into its spec (job.hpp).

#include "job_sections.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <system_error>

#include "grid.hpp"
#include "toml_reader.hpp"

#include "dropperc/training/dataset.hpp"

namespace dropperc {

namespace {

bool job_name(const std::string& v) {
  return !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}
bool model_name(const std::string& v) {
  return parse_dropout_model(v).has_value();
}
bool activation_name(const std::string& v) {
  return parse_activation(v).has_value();
}
bool method_name(const std::string& v) {
  return parse_method(v).has_value();
}
bool initialisation_name(const std::string& v) {
  return parse_initialisation(v).has_value();
}
bool task_name(const std::string& v) {
  return v == "classification" || v == "regression";
}
bool lattice_model_name(const std::string& v) {
  return parse_lattice_model(v).has_value();
}
bool lattice_size(const int& v) {
  return v >= 1 && v <= kMaxLatticeSize;
}
bool finite_number(const double& v) {
  return std::isfinite(v);
}
bool connectivity_name(const std::string& v) {
  return parse_connectivity(v).has_value();
}
bool boundary_name(const std::string& v) {
  return parse_boundary(v).has_value();
}
bool dimension_count(const int& v) {
  return v == 1 || v == 2;
}
bool non_negative_int(const int& v) {
  return v >= 0;
}

// Work units of `samples` samples in blocks of `block`.
std::int64_t blocks(std::int64_t samples, std::int64_t block) {
  return samples / block + (samples % block != 0);
}

// A grid of probabilities (grid.p, lattice.q), ascending: a list, or {start, stop, num}
// (num >= 2 equally spaced values, stop included). `meaning` says what the values are.
std::vector<double> read_probabilities(const Reader& section, std::string_view key,
                                       const std::string& meaning) {
  const toml::node* n = section.node(key);
  const std::string rule = meaning + " in [0, 1]: a list, or { start, stop, num }";
  if (n == nullptr)
    section.fail_table("missing key '" + section.key_path(key) + "' (" + rule + ")");
  std::vector<double> values;
  if (const toml::table* range = n->as_table()) {
    const Reader r(*range, section.key_path(key), section.file());
    r.only({"start", "stop", "num"});
    const double start = r.required<double>("start", "in [0, 1]", probability);
    const double stop = r.required<double>("stop", "in [0, 1], above start", probability);
    const int num = r.at_most<int>(
        "num", r.required<int>("num", "a whole number >= 2", [](const int& v) { return v >= 2; }),
        static_cast<int>(kMaxListValues));
    if (!(stop > start)) r.fail(*range->get("stop"), "stop", "must be above start");
    values = evenly_spaced(start, stop, num);
  } else {
    values = section.list<double>(key, rule, probability);
  }
  std::sort(values.begin(), values.end());
  const auto same = std::adjacent_find(values.begin(), values.end(),
                                       [](double a, double b) { return b - a <= kSameP; });
  if (same != values.end()) {
    section.fail(*n, key,
                 *same == *(same + 1)
                     ? "the value " + canonical_number(*same) + " appears twice"
                     : "the values " + canonical_number(*same) + " and " +
                           canonical_number(*(same + 1)) + " are closer than 1e-9");
  }
  return values;
}

// "block": samples per work unit; by default all samples, at most 10000 per unit.
std::int64_t read_block(const Reader& r, std::int64_t samples) {
  const std::int64_t block = r.at_most<std::int64_t>(
      "block",
      r.optional<std::int64_t>("block", std::min<std::int64_t>(samples, 10000),
                               "samples per work unit, >= 1", positive_int64),
      kMaxSamples);
  if (blocks(samples, block) > kMaxJobUnits) {
    const toml::node* n = r.node("block");
    const std::string message =
        "samples = " + std::to_string(samples) + " in blocks of " + std::to_string(block) +
        " make " + std::to_string(blocks(samples, block)) + " work units, above the limit " +
        std::to_string(kMaxJobUnits) + " of a job" + Reader::kLimitsSection + "; raise block";
    if (n == nullptr) r.fail_table(r.key_path("block") + ": " + message);
    r.fail(*n, "block", message);
  }
  return block;
}

// "samples": at least 1 and at most kMaxSamples.
std::int64_t read_samples(const Reader& r, const std::string& rule) {
  return r.at_most<std::int64_t>(
      "samples", r.required<std::int64_t>("samples", rule + ", >= 1", positive_int64), kMaxSamples);
}

// A table { <scale_key> = [distinct numbers > 0], power = <number> }: a WidthLaw.
WidthLaw read_width_law(const Reader& section, std::string_view key, std::string_view scale_key,
                        const std::string& meaning) {
  const toml::table& table = *section.node(key)->as_table();
  const Reader r(table, section.key_path(key), section.file());
  r.only({scale_key, "power"});
  WidthLaw law;
  law.scales = r.distinct_list<double>(scale_key, meaning + ", numbers > 0", positive_number);
  law.power = r.required<double>("power", "the power of W, a finite number", finite_number);
  return law;
}

// One listed network: a non-empty list of hidden widths, each in [1, kMaxWidth], at most
// kMaxDepth of them.
std::vector<int> read_layered(const Reader& r, const toml::node& n) {
  const toml::array& list = *n.as_array();
  const std::string rule = "a list of hidden-layer widths, whole numbers >= 1";
  if (list.empty())
    r.fail(n, "widths", "an empty list of widths; give at least one (" + rule + ")");
  if (static_cast<std::int64_t>(list.size()) > kMaxDepth) {
    r.fail(n, "widths",
           "a network of " + std::to_string(list.size()) + " hidden layers, above the limit " +
               std::to_string(kMaxDepth) + Reader::kLimitsSection);
  }
  std::vector<int> widths;
  for (const toml::node& w : list) {
    if (!w.is_integer() || w.as_integer()->get() < 1 || w.as_integer()->get() > kMaxWidth) {
      r.fail(w, "widths",
             Reader::shown(w) + " is not a width (a whole number from 1 to " +
                 std::to_string(kMaxWidth) + ")");
    }
    widths.push_back(static_cast<int>(w.as_integer()->get()));
  }
  return widths;
}

// A taper { first = <W or [W...]>, last = W, depths = [L...], law = "geometric" | "linear" }:
// a layered network per (first, depth).
void read_taper(const Reader& grid, GridSpec& g) {
  const Reader r(*grid.node("widths")->as_table(), grid.key_path("widths"), grid.file());
  r.only({"first", "last", "depths", "law"});
  const std::string width_rule = "a width, a whole number from 1 to " + std::to_string(kMaxWidth);
  auto width = [](const int& v) { return v >= 1 && v <= kMaxWidth; };
  const std::vector<int> first =
      r.node("first") != nullptr && r.node("first")->is_array()
          ? r.distinct_list<int>("first", "widths of the first hidden layer", width)
          : std::vector<int>{r.required<int>("first", width_rule, width)};
  const int last =
      r.required<int>("last", "the width of the last hidden layer, " + width_rule, width);
  const std::vector<int> depths = r.distinct_list<int>(
      "depths", "numbers of hidden layers, whole numbers from 1 to " + std::to_string(kMaxDepth),
      [](const int& v) { return v >= 1 && v <= kMaxDepth; });
  const std::string law = r.optional<std::string>(
      "law", "geometric", "geometric or linear",
      [](const std::string& v) { return v == "geometric" || v == "linear"; });
  if (!product_at_most(
          {static_cast<std::int64_t>(first.size()), static_cast<std::int64_t>(depths.size())},
          kMaxGridPoints)) {
    r.fail_table("first x depths = " + std::to_string(first.size()) + " x " +
                 std::to_string(depths.size()) + " networks, above the limit " +
                 std::to_string(kMaxGridPoints) + " of grid points" + Reader::kLimitsSection);
  }
  std::int64_t layers = 0;
  for (int l : depths)
    layers += l;
  if (!product_at_most({static_cast<std::int64_t>(first.size()), layers}, kMaxListedLayers)) {
    r.fail_table("first x depths list " + std::to_string(first.size()) + " x " +
                 std::to_string(layers) + " hidden layers, above the limit " +
                 std::to_string(kMaxListedLayers) + Reader::kLimitsSection);
  }
  for (int w : first) {
    for (int l : depths)
      g.layered.push_back(
          taper_widths(law == "linear" ? Taper::linear : Taper::geometric, w, last, l));
  }
}

// "widths": a list whose entries are widths W (uniform networks, at each of the depths) or lists
// of hidden widths (layered networks), or a taper table. Each value at most once.
void read_widths(const Reader& r, GridSpec& g) {
  const toml::node* n = r.node("widths");
  if (n != nullptr && n->is_table()) return read_taper(r, g);
  const std::string rule =
      "hidden-layer widths, whole numbers >= 1, or lists of them (a layered network)";
  if (n == nullptr)
    r.fail_table("missing key '" + r.key_path("widths") + "' (a list: " + rule + ")");
  const toml::array* list = n->as_array();
  if (list == nullptr)
    r.fail(*n, "widths",
           "expected a list ([...]) of " + rule + ", or a taper table, got " + Reader::shown(*n));
  if (list->empty())
    r.fail(*n, "widths", "the list is empty; give at least one value (" + rule + ")");
  if (static_cast<std::int64_t>(list->size()) > kMaxListValues) {
    r.fail(*n, "widths",
           std::to_string(list->size()) + " values, above the limit " +
               std::to_string(kMaxListValues) + " of a list" + Reader::kLimitsSection);
  }
  std::int64_t layers = 0;
  std::set<std::vector<int>> listed;  // a repeat is found in O(log n), not by a scan
  std::set<int> uniform;
  for (const toml::node& entry : *list) {
    if (entry.is_array()) {
      std::vector<int> widths = read_layered(r, entry);
      layers += static_cast<std::int64_t>(widths.size());
      if (layers > kMaxListedLayers) {
        r.fail(entry, "widths",
               "the lists name more than " + std::to_string(kMaxListedLayers) +
                   " hidden layers, the limit" + Reader::kLimitsSection);
      }
      if (!listed.insert(widths).second)
        r.fail(entry, "widths", Reader::shown(entry) + " appears twice");
      g.layered.push_back(std::move(widths));
      continue;
    }
    if (!entry.is_integer() || entry.as_integer()->get() < 1)
      r.fail(entry, "widths", Reader::shown(entry) + " is not allowed (" + rule + ")");
    if (entry.as_integer()->get() > kMaxWidth) {
      r.fail(entry, "widths",
             Reader::shown(entry) + " is above the limit " + std::to_string(kMaxWidth) +
                 Reader::kLimitsSection);
    }
    const int w = static_cast<int>(entry.as_integer()->get());
    if (!uniform.insert(w).second) r.fail(entry, "widths", Reader::shown(entry) + " appears twice");
    g.widths.push_back(w);
  }
}

// A list of point rules under `key`, e.g. [{ model = "bond", width = 2 }]; none if absent. With
// `within`, every value a rule gives must be one of that grid's (a rule that can match nothing
// is a mistake).
std::vector<PointRule> read_point_rules(const Reader& r, const std::string& key,
                                        const GridSpec* within = nullptr) {
  std::vector<PointRule> rules;
  const toml::node* node = r.node(key);
  if (node == nullptr) return rules;
  const toml::array* list = node->as_array();
  if (list == nullptr)
    r.fail(*node, key, "expected a list of tables, e.g. [{ model = \"bond\", width = 2 }]");
  if (static_cast<std::int64_t>(list->size()) > kMaxRules) {
    r.fail(*node, key,
           std::to_string(list->size()) + " rules, above the limit " + std::to_string(kMaxRules) +
               Reader::kLimitsSection);
  }
  const GridValues values = within != nullptr ? grid_values(*within) : GridValues{};
  for (const toml::node& rule : *list) {
    const toml::table* t = rule.as_table();
    if (t == nullptr || t->empty())
      r.fail(rule, key, "each rule is a non-empty table of parameter values");
    const Reader rr(*t, r.section() + "." + key, r.file());
    rr.only({"model", "width", "depth", "p", "bias", "activation", "kernel", "residual"});
    // With `within`, every value must be one the grid has (else the rule would match nothing).
    auto on_grid = [&](const char* parameter, bool found, const std::string& value) {
      if (within == nullptr || found) return;
      rr.fail(*rr.node(parameter), parameter,
              value + " is not on the grid (no [grid] point has " + parameter + " " + value + ")");
    };
    PointRule s;
    if (rr.has("model")) {
      s.model = *parse_dropout_model(
          rr.required<std::string>("model", "site, bond or site+bond", model_name));
      on_grid("model", values.models.contains(*s.model), std::string(name(*s.model)));
    }
    if (rr.has("width")) {
      s.width = rr.required<int>("width", ">= 1", positive_int);
      on_grid("width", values.widths.contains(*s.width), std::to_string(*s.width));
    }
    if (rr.has("depth")) {
      s.depth = rr.required<int>("depth", ">= 1", positive_int);
      on_grid("depth", values.depths.contains(*s.depth), std::to_string(*s.depth));
    }
    if (rr.has("p")) {
      s.p = rr.required<double>("p", "in [0, 1]", probability);
      on_grid("p", values.has_p(*s.p), canonical_number(*s.p));
    }
    if (rr.has("bias")) {
      s.bias = rr.required<bool>("bias", "true or false");
      on_grid("bias", values.biases.contains(*s.bias), *s.bias ? "true" : "false");
    }
    if (rr.has("activation")) {
      s.activation = *parse_activation(
          rr.required<std::string>("activation", "relu, tanh or identity", activation_name));
      on_grid("activation", values.activations.contains(*s.activation),
              std::string(name(*s.activation)));
    }
    if (rr.has("kernel")) {
      s.kernel = rr.required<int>("kernel", ">= 1", positive_int);
      on_grid("kernel", values.kernels.contains(*s.kernel), std::to_string(*s.kernel));
    }
    if (rr.has("residual")) {
      s.residual = rr.required<int>("residual", ">= 0 (0: no skips)", non_negative_int);
      on_grid("residual", values.residuals.contains(*s.residual), std::to_string(*s.residual));
    }
    rules.push_back(std::move(s));
  }
  return rules;
}

// The laws must give, at every width, distinct depths and distinct drop probabilities in [0, 1].
void check_width_laws(const Reader& r, const GridSpec& g) {
  for (int w : g.widths) {
    const std::vector<GridValue> depths = depths_at(g, w);
    std::map<double, double> scale_of;  // depth -> the first scale that gave it
    for (std::size_t i = 0; i < depths.size(); ++i) {
      if (depths[i].value > kMaxDepth) {
        r.fail(*r.node("depths"), "depths",
               "scale " + canonical_number(depths[i].scale) + " gives depth " +
                   std::to_string(static_cast<std::int64_t>(depths[i].value)) + " at width " +
                   std::to_string(w) + ", above the limit " + std::to_string(kMaxDepth) +
                   Reader::kLimitsSection);
      }
      const auto [first, is_new] = scale_of.emplace(depths[i].value, depths[i].scale);
      if (!is_new) {
        r.fail(*r.node("depths"), "depths",
               "scales " + canonical_number(first->second) + " and " +
                   canonical_number(depths[i].scale) + " give the same depth " +
                   std::to_string(static_cast<int>(depths[i].value)) + " at width " +
                   std::to_string(w));
      }
    }
    if (!g.keep_law) continue;
    const std::vector<GridValue> ps = p_at(g, w);
    for (std::size_t i = 0; i < ps.size(); ++i) {
      if (!(ps[i].value >= 0.0 && ps[i].value <= 1.0)) {
        r.fail(*r.node("p"), "p",
               "keep scale " + canonical_number(ps[i].scale) +
                   " gives p = " + canonical_number(ps[i].value) + " at width " +
                   std::to_string(w) + ", outside [0, 1]");
      }
      if (i > 0 && ps[i].value - ps[i - 1].value <= kSameP) {
        r.fail(*r.node("p"), "p",
               "keep scales " + canonical_number(ps[i - 1].scale) + " and " +
                   canonical_number(ps[i].scale) + " give the same p at width " +
                   std::to_string(w));
      }
    }
  }
}

TeacherSpec read_teacher(const toml::table* t, const std::string& file) {
  TeacherSpec s;
  if (t == nullptr) return s;
  const Reader r(*t, "training.teacher", file);
  r.only({"task", "features", "outputs", "width", "depth", "train_size", "test_size", "noise"});
  s.task = r.optional<std::string>("task", "classification", "classification or regression",
                                   task_name) == "classification"
               ? LearningTask::classification
               : LearningTask::regression;
  s.input_width = r.at_most(
      "features", r.optional<int>("features", s.input_width, ">= 1", positive_int), kMaxWidth);
  s.outputs = r.at_most(
      "outputs",
      r.optional<int>("outputs", s.outputs, "classes or target components, >= 1", positive_int),
      kMaxWidth);
  s.width = r.at_most(
      "width", r.optional<int>("width", s.width, "the teacher's hidden width, >= 1", positive_int),
      kMaxWidth);
  s.depth = r.at_most(
      "depth", r.optional<int>("depth", s.depth, "the teacher's hidden layers, >= 1", positive_int),
      kMaxDepth);
  s.train_size = r.at_most(
      "train_size", r.optional<std::int64_t>("train_size", s.train_size, ">= 1", positive_int64),
      kMaxDataValues);
  s.test_size = r.at_most(
      "test_size", r.optional<std::int64_t>("test_size", s.test_size, ">= 1", positive_int64),
      kMaxDataValues);
  // The data: (train_size + test_size) samples of features + outputs numbers.
  if (!product_at_most({s.train_size + s.test_size, std::int64_t{s.input_width} + s.outputs},
                       kMaxDataValues)) {
    r.fail_table("the data of (train_size + test_size) x (features + outputs) = (" +
                 std::to_string(s.train_size) + " + " + std::to_string(s.test_size) + ") x (" +
                 std::to_string(s.input_width) + " + " + std::to_string(s.outputs) +
                 ") numbers is above the limit " + std::to_string(kMaxDataValues) +
                 Reader::kLimitsSection);
  }
  // The teacher network: about width^2 x depth edges.
  if (!product_at_most({s.width, s.width, s.depth}, kMaxEdges)) {
    r.fail_table("a teacher of width " + std::to_string(s.width) + " and depth " +
                 std::to_string(s.depth) + " has about width^2 x depth edges, above the limit " +
                 std::to_string(kMaxEdges) + Reader::kLimitsSection);
  }
  s.noise =
      r.optional<double>("noise", s.noise, "regression noise s.d., >= 0", non_negative_number);
  if (s.task == LearningTask::classification && s.outputs < 2) {
    r.fail(*t->get("outputs"), "outputs", "classification needs at least 2 classes");
  }
  return s;
}

double read_walltime(const Reader& r) {
  const toml::node* n = r.node("walltime");
  if (n->is_integer() || n->is_floating_point()) {
    return r.at_most(
        "walltime", r.required<double>("walltime", "seconds > 0, or \"HH:MM:SS\"", positive_number),
        kMaxSeconds);
  }
  const std::string text = r.required<std::string>("walltime", "seconds, or \"HH:MM:SS\"");
  const auto seconds = parse_duration(text);
  if (!seconds)
    r.fail(*n, "walltime",
           Reader::quoted(text) + " is not HH:MM:SS, MM:SS or a number of seconds > 0");
  return r.at_most("walltime", *seconds, kMaxSeconds);
}

// "seed": a whole number >= 0, or, for seeds above 2^63 - 1 (which TOML integers cannot hold),
// a string of decimal digits up to 2^64 - 1. Nothing aliases: a larger seed is refused.
std::uint64_t read_seed(const Reader& j) {
  const std::string rule = "a whole number >= 0, or a string of digits up to 2^64 - 1";
  const toml::node* n = j.node("seed");
  if (n == nullptr || !n->is_string())
    return static_cast<std::uint64_t>(
        j.optional<std::int64_t>("seed", 1, rule, non_negative_int64));
  const std::string text = n->as_string()->get();
  std::uint64_t seed = 0;
  const auto [last, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error == std::errc::result_out_of_range)
    j.fail(*n, "seed", Reader::shown(*n) + " is above 2^64 - 1 = 18446744073709551615");
  if (text.empty() || error != std::errc{} || last != text.data() + text.size())
    j.fail(*n, "seed", Reader::shown(*n) + " is not allowed (" + rule + ")");
  return seed;
}

}  // namespace

void read_job_section(const toml::table& root, JobSpec& job) {
  const std::string shown = job.file.string();
  const Reader j(section(root, "job", shown), "job", shown);
  j.only({"name", "seed", "output"});
  job.name = j.required<std::string>("name", "letters, digits, '_' and '-', at most 64", job_name);
  job.seed = read_seed(j);
  job.output = job.file.parent_path() /
               j.optional<std::string>("output", job.name + ".data", "the output directory");
}

// A whole number or a list of distinct ones (kernel, residual), each checked.
std::vector<int> int_or_list(const Reader& r, std::string_view key, const std::string& rule,
                             bool (*ok)(const int&), int limit) {
  const toml::node* n = r.node(key);
  std::vector<int> values = n != nullptr && n->is_array()
                                ? r.distinct_list<int>(key, rule, ok)
                                : std::vector{r.required<int>(key, rule, ok)};
  for (int v : values)
    r.at_most(key, v, limit);
  return values;
}

// The grid's topologies (job.hpp): kernels x residual steps. Whether each fits each network is
// checked with the tasks (parse_job).
std::vector<Topology> read_topologies(const Reader& r) {
  const auto connectivity = *parse_connectivity(
      r.optional<std::string>("connectivity", "dense", "dense or local", connectivity_name));
  Topology base;
  base.connectivity = connectivity;
  std::vector<int> kernels = {base.kernel};
  if (connectivity == Connectivity::local) {
    kernels =
        int_or_list(r, "kernel", "kernel sizes K, whole numbers >= 1", positive_int, kMaxWidth);
    base.boundary = *parse_boundary(
        r.optional<std::string>("boundary", "periodic", "periodic or open", boundary_name));
    base.dimensions = r.optional<int>("dimensions", 1, "1 or 2", dimension_count);
    base.channels = r.optional<int>("channels", 1, "channels per site, >= 1", positive_int);
    if (base.dimensions == 1 && r.has("channels")) {
      r.fail(*r.node("channels"), "channels",
             "channels are those of 2-D layers: set dimensions = 2");
    }
  } else {
    for (const char* key : {"kernel", "boundary", "dimensions", "channels"}) {
      if (r.has(key)) {
        r.fail(*r.node(key), key, "needs connectivity = \"local\" (the layers are dense)");
      }
    }
  }
  const std::vector<int> steps =
      r.has("residual")
          ? int_or_list(r, "residual", "skip steps S, whole numbers >= 0 (0: no skips)",
                        non_negative_int, kMaxDepth + 1)
          : std::vector<int>{0};
  if (r.has("residual_dropout") && !r.has("residual")) {
    r.fail(*r.node("residual_dropout"), "residual_dropout", "needs residual = S");
  }
  const bool droppable = r.optional<bool>("residual_dropout", true, "true or false");
  if (!product_at_most(
          {static_cast<std::int64_t>(kernels.size()), static_cast<std::int64_t>(steps.size())},
          kMaxGridPoints)) {
    r.fail_table("kernels x residual steps = " + std::to_string(kernels.size()) + " x " +
                 std::to_string(steps.size()) + ", above the limit " +
                 std::to_string(kMaxGridPoints) + " of grid points" + Reader::kLimitsSection);
  }
  std::vector<Topology> topologies;
  for (int kernel : kernels) {
    for (int step : steps) {
      Topology t = base;
      t.kernel = kernel;
      topologies.push_back(t.with_skips(step, droppable));
    }
  }
  return topologies;
}

GridSpec read_grid(const toml::table& root, const std::string& file) {
  const Reader r(section(root, "grid", file), "grid", file);
  r.only({"models", "widths", "depths", "p", "input_width", "output_width", "input_dropout",
          "biases", "activations", "skip", "connectivity", "kernel", "boundary", "dimensions",
          "channels", "residual", "residual_dropout"});
  GridSpec g;
  for (const auto& m :
       r.distinct_list<std::string>("models", "site, bond or site+bond", model_name)) {
    g.models.push_back(*parse_dropout_model(m));
  }
  read_widths(r, g);
  const toml::node* depths = r.node("depths");
  if (g.widths.empty()) {
    if (depths != nullptr) {
      r.fail(*depths, "depths",
             "depths are those of whole-number widths, and every widths entry lists its layers "
             "(its length is its depth): remove depths");
    }
  } else if (depths != nullptr && depths->is_table()) {
    g.depth_law = read_width_law(r, "depths", "scale", "depth scales a in L = round(a W^power)");
  } else {
    g.depths = r.distinct_list<int>("depths",
                                    "numbers of hidden layers, whole numbers >= 1, or "
                                    "{ scale = [...], power = ... }",
                                    positive_int);
    for (int l : g.depths)
      r.at_most("depths", l, kMaxDepth);
  }
  const toml::node* p = r.node("p");
  if (p != nullptr && p->is_table() && p->as_table()->contains("keep")) {
    if (!g.layered.empty()) {
      r.fail(*p, "p",
             "a keep law p = 1 - c W^power needs one width W, and the grid has layered networks: "
             "give p as a list or a range");
    }
    g.keep_law = read_width_law(r, "p", "keep", "keep scales c in p = 1 - c W^power");
  } else {
    g.p = read_probabilities(r, "p", "drop probabilities");
  }
  g.topologies = read_topologies(r);
  // Bounded before the laws are evaluated at every width (the rest in parse_job).
  const std::int64_t shape_count = network_shapes(g);
  const std::int64_t p_count =
      static_cast<std::int64_t>(g.keep_law ? g.keep_law->scales.size() : g.p.size());
  const auto topology_count = static_cast<std::int64_t>(g.topologies.size());
  if (!product_at_most(
          {static_cast<std::int64_t>(g.models.size()), shape_count, p_count, topology_count},
          kMaxGridPoints)) {
    r.fail_table("models x networks x p" + std::string(topology_count > 1 ? " x topologies" : "") +
                 " = " + std::to_string(g.models.size()) + " x " + networks_text(g) + " x " +
                 std::to_string(p_count) +
                 (topology_count > 1 ? " x " + std::to_string(topology_count) : "") +
                 " grid points, above the limit " + std::to_string(kMaxGridPoints) +
                 Reader::kLimitsSection);
  }
  check_width_laws(r, g);
  if (r.has("input_width")) {
    g.input_width =
        r.at_most("input_width", r.required<int>("input_width", ">= 1", positive_int), kMaxWidth);
  }
  if (r.has("output_width")) {
    g.output_width =
        r.at_most("output_width", r.required<int>("output_width", ">= 1", positive_int), kMaxWidth);
  }
  g.input_dropout = r.optional<double>(
      "input_dropout", 0.0, "the probability of dropping each input unit, in [0, 1]", probability);
  if (r.has("biases")) g.biases = r.distinct_list<bool>("biases", "true or false");
  if (r.has("activations")) {
    g.activations.clear();
    for (const auto& a :
         r.distinct_list<std::string>("activations", "relu, tanh or identity", activation_name)) {
      g.activations.push_back(*parse_activation(a));
    }
  }
  g.skip = read_point_rules(r, "skip");
  return g;
}

PercolationSpec read_percolation(const toml::table& t, const std::string& file) {
  const Reader r(t, "percolation", file);
  r.only({"samples", "method", "undirected", "block", "thresholds", "per_p", "survival_per_decade",
          "floor"});
  PercolationSpec s;
  s.samples = read_samples(r, "samples per grid point");
  s.method = *parse_method(
      r.optional<std::string>("method", "thresholds", "masks, thresholds or fast", method_name));
  s.undirected = r.optional<bool>("undirected", true, "true or false");
  s.block = read_block(r, s.samples);
  s.thresholds = r.optional<bool>("thresholds", false, "true or false");
  s.per_p = r.optional<bool>("per_p", true, "true or false");
  s.survival_per_decade = r.at_most(
      "survival_per_decade",
      r.optional<int>("survival_per_decade", 0, "survival depths per decade, >= 1", positive_int),
      kMaxSurvivalPerDecade);
  if (r.has("floor")) {
    s.floor = r.required<double>("floor", "a drop probability in [0, 1)", below_one);
  }
  for (const char* key : {"survival_per_decade", "floor"}) {
    if (r.has(key) && !s.thresholds) {
      r.fail(*t.get(key), key,
             std::string(key) + " is a setting of thresholds tasks: set thresholds = true");
    }
  }
  if (!s.per_p && !s.thresholds) {
    r.fail(*t.get("per_p"), "per_p",
           "per_p = false leaves nothing to measure without thresholds = true");
  }
  if (s.method == Method::fast && s.undirected) {
    r.fail(*t.get("method"), "method",
           "the fast method measures no undirected observables: set undirected = false or use "
           "masks or thresholds");
  }
  return s;
}

LatticeSpec read_lattice(const toml::table& t, const std::string& file) {
  const Reader r(t, "lattice", file);
  r.only({"models", "sizes", "samples", "block", "q"});
  LatticeSpec s;
  for (const auto& m : r.distinct_list<std::string>("models", "site or bond", lattice_model_name))
    s.models.push_back(*parse_lattice_model(m));
  s.sizes = r.distinct_list<int>(
      "sizes", "lattice sizes L, whole numbers in [1, " + std::to_string(kMaxLatticeSize) + "]",
      lattice_size);
  s.samples = read_samples(r, "samples per (model, size)");
  s.block = read_block(r, s.samples);
  s.q = r.has("q") ? read_probabilities(r, "q", "occupation probabilities")
                   : evenly_spaced(0.0, 1.0, 101);
  return s;
}

TrainingSpec read_training(const toml::table& t, const GridSpec& grid,
                           const std::filesystem::path& directory, const std::string& file) {
  const Reader r(t, "training", file);
  r.only({"steps", "batch", "learning_rate", "momentum", "replicas", "eval_interval", "target_loss",
          "shared_mask", "init", "dataset", "test_fraction", "teacher", "only"});
  TrainingSpec s;
  s.steps = r.at_most(
      "steps", r.required<std::int64_t>("steps", "SGD steps per replica, >= 1", positive_int64),
      kMaxSteps);
  s.batch = r.at_most(
      "batch", r.optional<int>("batch", s.batch, "minibatch size, >= 1", positive_int), kMaxBatch);
  s.learning_rate = r.optional<double>("learning_rate", s.learning_rate, "> 0", positive_number);
  s.momentum = r.optional<double>("momentum", s.momentum, "in [0, 1)", below_one);
  s.replicas =
      r.at_most("replicas",
                r.optional<int>("replicas", s.replicas,
                                "independently trained networks per point, >= 1", positive_int),
                kMaxReplicas);
  s.eval_interval = r.at_most(
      "eval_interval",
      r.optional<std::int64_t>("eval_interval", s.eval_interval, "steps, >= 1", positive_int64),
      kMaxSteps);
  // A task's curves: an evaluation every eval_interval steps (and at the start) per replica.
  if (!product_at_most({s.replicas, s.steps / s.eval_interval + 1}, kMaxEvaluations)) {
    r.fail_table("replicas x (steps / eval_interval + 1) = " + std::to_string(s.replicas) + " x " +
                 std::to_string(s.steps / s.eval_interval + 1) +
                 " evaluations per task, above the limit " + std::to_string(kMaxEvaluations) +
                 Reader::kLimitsSection + "; raise eval_interval");
  }
  if (r.has("target_loss"))
    s.target_loss = r.required<double>("target_loss", ">= 0", non_negative_number);
  s.shared_mask = r.optional<bool>("shared_mask", false, "true or false");
  s.initialisation = *parse_initialisation(
      r.optional<std::string>("init", "he", "he or glorot", initialisation_name));
  s.test_fraction =
      r.optional<double>("test_fraction", s.test_fraction, "in (0, 1)", open_fraction);
  if (r.has("dataset")) {
    const std::string path = r.required<std::string>("dataset", "an HDF5 file with /X and /y");
    s.dataset =
        std::filesystem::path(path).is_absolute() ? std::filesystem::path(path) : directory / path;
    std::error_code error;
    const auto status = std::filesystem::status(*s.dataset, error);
    if (!std::filesystem::exists(status)) {
      r.fail(*t.get("dataset"), "dataset", "no such file: " + Reader::quoted(s.dataset->string()));
    }
    if (!std::filesystem::is_regular_file(status)) {
      r.fail(*t.get("dataset"), "dataset",
             Reader::quoted(s.dataset->string()) + " is not a regular file");
    }
    if (r.has("teacher"))
      r.fail(*t.get("teacher"), "teacher", "give either dataset or [training.teacher], not both");
  }
  const toml::node* teacher = r.node("teacher");
  if (teacher != nullptr && !teacher->is_table())
    r.fail(*teacher, "teacher", "expected a section [training.teacher]");
  s.teacher = read_teacher(teacher != nullptr ? teacher->as_table() : nullptr, file);
  if (s.dataset) {
    // The network's W_in and W_out are the data's: read (and checked) now, so that a bad file
    // stops the job before anything runs and the tasks carry the widths their theta needs.
    try {
      const Dataset train = load_dataset(*s.dataset, s.test_fraction, 0).train;
      s.teacher.input_width = train.features();
      s.teacher.outputs = train.outputs();
      if (std::max(s.teacher.input_width, s.teacher.outputs) > kMaxWidth) {
        r.fail(*t.get("dataset"), "dataset",
               "its widths (" + std::to_string(s.teacher.input_width) + " features, " +
                   std::to_string(s.teacher.outputs) + " outputs) are above the limit " +
                   std::to_string(kMaxWidth) + Reader::kLimitsSection);
      }
    } catch (const DatasetError& e) {
      r.fail(*t.get("dataset"), "dataset", e.what());
    }
  }
  s.only = read_point_rules(r, "only", &grid);
  return s;
}

RunSpec read_run(const toml::table* t, const std::string& file) {
  RunSpec s;
  if (t == nullptr) return s;
  const Reader r(*t, "run", file);
  r.only({"checkpoint_interval", "walltime"});
  s.checkpoint_interval = r.at_most("checkpoint_interval",
                                    r.optional<double>("checkpoint_interval", s.checkpoint_interval,
                                                       "seconds > 0", positive_number),
                                    kMaxSeconds);
  if (r.has("walltime")) s.walltime = read_walltime(r);
  return s;
}

}  // namespace dropperc
