#include "dropperc/runner/job.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "dropperc/training/dataset.hpp"

namespace dropperc {

namespace {

// Reads one TOML table of a job file. Every failure is a JobError that names the file, the
// position, the key (as "section.key") and what is allowed.
class Reader {
 public:
  Reader(const toml::table& table, std::string section, const std::string& file)
      : table_(table), section_(std::move(section)), file_(file) {}

  // Refuses keys outside `allowed`.
  void only(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      fail(node, key.str(), "unknown key (allowed here: " + list + ")");
    }
  }

  bool has(std::string_view key) const { return table_.contains(key); }
  const toml::node* node(std::string_view key) const { return table_.get(key); }

  // A required or optional value of type T, checked by `ok` (which explains the rule).
  template <class T>
  T required(std::string_view key, const std::string& rule, bool (*ok)(const T&) = nullptr) const {
    const toml::node* n = table_.get(key);
    if (n == nullptr) fail_table("missing key '" + key_path(key) + "' (" + rule + ")");
    return value<T>(*n, key, rule, ok);
  }
  template <class T>
  T optional(std::string_view key, T fallback, const std::string& rule,
             bool (*ok)(const T&) = nullptr) const {
    const toml::node* n = table_.get(key);
    return n == nullptr ? fallback : value<T>(*n, key, rule, ok);
  }
  // A non-empty list of T, each checked.
  template <class T>
  std::vector<T> list(std::string_view key, const std::string& rule, bool (*ok)(const T&) = nullptr,
                      bool is_required = true) const {
    const toml::node* n = table_.get(key);
    if (n == nullptr) {
      if (is_required) fail_table("missing key '" + key_path(key) + "' (a list: " + rule + ")");
      return {};
    }
    const toml::array* array = n->as_array();
    if (array == nullptr)
      fail(*n, key, "expected a list ([...]) of " + rule + ", got " + shown(*n));
    if (array->empty()) fail(*n, key, "the list is empty; give at least one value (" + rule + ")");
    std::vector<T> values;
    for (const toml::node& element : *array)
      values.push_back(value<T>(element, key, rule, ok));
    return values;
  }
  // A non-empty list of distinct T, each checked; a repeat is refused where it appears.
  template <class T>
  std::vector<T> distinct_list(std::string_view key, const std::string& rule,
                               bool (*ok)(const T&) = nullptr) const {
    std::vector<T> values = list<T>(key, rule, ok);
    const toml::array& array = *table_.get(key)->as_array();
    for (std::size_t k = 1; k < values.size(); ++k) {
      const auto before = values.begin() + static_cast<std::ptrdiff_t>(k);
      if (std::find(values.begin(), before, values[k]) != before)
        fail(array[k], key, shown(array[k]) + " appears twice (" + rule + ")");
    }
    return values;
  }

  [[noreturn]] void fail(const toml::node& n, std::string_view key,
                         const std::string& message) const {
    const auto& at = n.source().begin;
    throw JobError(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                   key_path(key) + ": " + message);
  }
  [[noreturn]] void fail_table(const std::string& message) const {
    const auto& at = table_.source().begin;
    throw JobError(file_ + ":" + std::to_string(at.line) + ": [" + section_ + "]: " + message);
  }

  std::string key_path(std::string_view key) const {
    return section_.empty() ? std::string(key) : section_ + "." + std::string(key);
  }
  const std::string& file() const { return file_; }
  const std::string& section() const { return section_; }

 private:
  // The value as the message quotes it: 'text' for strings, the TOML spelling otherwise.
  static std::string shown(const toml::node& n) {
    if (n.is_string()) return "'" + n.as_string()->get() + "'";
    std::ostringstream out;
    n.visit([&](auto&& v) { out << v; });
    return "'" + out.str() + "'";
  }

  template <class T>
  T value(const toml::node& n, std::string_view key, const std::string& rule,
          bool (*ok)(const T&)) const {
    T result{};
    if constexpr (std::is_same_v<T, bool>) {
      if (!n.is_boolean()) fail(n, key, "expected true or false, got " + shown(n));
      result = n.as_boolean()->get();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!n.is_string()) fail(n, key, "expected a string (" + rule + "), got " + shown(n));
      result = n.as_string()->get();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (n.is_integer()) {
        result = static_cast<T>(n.as_integer()->get());
      } else if (n.is_floating_point()) {
        result = static_cast<T>(n.as_floating_point()->get());
      } else {
        fail(n, key, "expected a number (" + rule + "), got " + shown(n));
      }
    } else {
      if (!n.is_integer()) fail(n, key, "expected a whole number (" + rule + "), got " + shown(n));
      const std::int64_t v = n.as_integer()->get();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        fail(n, key, shown(n) + " is out of range (" + rule + ")");
      }
      result = static_cast<T>(v);
    }
    if (ok != nullptr && !ok(result)) fail(n, key, shown(n) + " is not allowed (" + rule + ")");
    return result;
  }

  const toml::table& table_;
  std::string section_;
  const std::string& file_;
};

bool positive_int(const int& v) {
  return v >= 1;
}
bool positive_int64(const std::int64_t& v) {
  return v >= 1;
}
bool non_negative_int64(const std::int64_t& v) {
  return v >= 0;
}
bool probability(const double& v) {
  return v >= 0.0 && v <= 1.0;
}
bool positive_number(const double& v) {
  return std::isfinite(v) && v > 0.0;
}
bool non_negative_number(const double& v) {
  return std::isfinite(v) && v >= 0.0;
}
bool below_one(const double& v) {
  return v >= 0.0 && v < 1.0;
}
bool open_fraction(const double& v) {
  return v > 0.0 && v < 1.0;
}
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

// Work units of `samples` samples in blocks of `block`: the last block takes the remainder.
std::int64_t blocks(std::int64_t samples, std::int64_t block) {
  return (samples + block - 1) / block;
}

// `num` >= 2 equally spaced values from start to stop, both included exactly.
std::vector<double> evenly_spaced(double start, double stop, int num) {
  std::vector<double> values;
  for (int k = 0; k < num; ++k)
    values.push_back(k + 1 == num ? stop : start + (stop - start) * k / (num - 1));
  return values;
}

const toml::table& section(const toml::table& root, std::string_view key, const std::string& file) {
  const toml::node* n = root.get(key);
  if (n == nullptr) throw JobError(file + ": missing section [" + std::string(key) + "]");
  if (!n->is_table())
    Reader(root, "", file).fail(*n, key, "expected a section [" + std::string(key) + "]");
  return *n->as_table();
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
    const int num =
        r.required<int>("num", "a whole number >= 2", [](const int& v) { return v >= 2; });
    if (!(stop > start)) r.fail(*range->get("stop"), "stop", "must be above start");
    values = evenly_spaced(start, stop, num);
  } else {
    values = section.list<double>(key, rule, probability);
  }
  std::sort(values.begin(), values.end());
  if (std::adjacent_find(values.begin(), values.end()) != values.end()) {
    section.fail(*n, key, "a value appears twice");
  }
  return values;
}

// "block": samples per work unit; by default all samples, at most 10000 per unit.
std::int64_t read_block(const Reader& r, std::int64_t samples) {
  return r.optional<std::int64_t>("block", std::min<std::int64_t>(samples, 10000),
                                  "samples per work unit, >= 1", positive_int64);
}

// A table { <scale_key> = [distinct numbers > 0], power = <number> }: a WidthLaw.
WidthLaw read_width_law(const Reader& section, std::string_view key, std::string_view scale_key,
                        const std::string& meaning) {
  const toml::table& table = *section.node(key)->as_table();
  const Reader r(table, section.key_path(key), section.file());
  r.only({scale_key, "power"});
  WidthLaw law;
  law.scales = r.distinct_list<double>(scale_key, meaning + ", numbers > 0", positive_number);
  law.power = r.required<double>("power", "the power of W, a number");
  return law;
}

// Every value of every grid parameter, as the canonical text point rules compare.
std::map<std::string, std::set<std::string>> grid_values(const GridSpec& g) {
  std::map<std::string, std::set<std::string>> values;
  for (DropoutModel m : g.models)
    values["model"].insert(std::string(name(m)));
  for (int w : g.widths)
    values["width"].insert(std::to_string(w));
  for (int w : g.widths) {
    for (const GridValue& l : depths_at(g, w))
      values["depth"].insert(std::to_string(static_cast<int>(l.value)));
    for (const GridValue& p : p_at(g, w))
      values["p"].insert(canonical_number(p.value));
  }
  for (bool b : g.biases)
    values["bias"].insert(b ? "true" : "false");
  for (Activation a : g.activations)
    values["activation"].insert(std::string(name(a)));
  return values;
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
  const auto values =
      within != nullptr ? grid_values(*within) : std::map<std::string, std::set<std::string>>{};
  for (const toml::node& rule : *list) {
    const toml::table* t = rule.as_table();
    if (t == nullptr || t->empty())
      r.fail(rule, key, "each rule is a non-empty table of parameter values");
    const Reader rr(*t, r.section() + "." + key, r.file());
    rr.only({"model", "width", "depth", "p", "bias", "activation"});
    PointRule s;
    if (rr.has("model"))
      s.match["model"] = rr.required<std::string>("model", "site, bond or site+bond", model_name);
    if (rr.has("width"))
      s.match["width"] = std::to_string(rr.required<int>("width", ">= 1", positive_int));
    if (rr.has("depth"))
      s.match["depth"] = std::to_string(rr.required<int>("depth", ">= 1", positive_int));
    if (rr.has("p"))
      s.match["p"] = canonical_number(rr.required<double>("p", "in [0, 1]", probability));
    if (rr.has("bias"))
      s.match["bias"] = rr.required<bool>("bias", "true or false") ? "true" : "false";
    if (rr.has("activation")) {
      s.match["activation"] =
          rr.required<std::string>("activation", "relu, tanh or identity", activation_name);
    }
    if (within != nullptr) {
      for (const auto& [parameter, value] : s.match) {
        if (!values.at(parameter).count(value)) {
          rr.fail(
              *rr.node(parameter), parameter,
              value + " is not on the grid (no [grid] point has " + parameter + " " + value + ")");
        }
      }
    }
    rules.push_back(std::move(s));
  }
  return rules;
}

// The laws must give, at every width, distinct depths and distinct drop probabilities in [0, 1].
void check_width_laws(const Reader& r, const GridSpec& g) {
  for (int w : g.widths) {
    const std::vector<GridValue> depths = depths_at(g, w);
    for (std::size_t i = 0; i < depths.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (depths[i].value == depths[j].value) {
          r.fail(*r.node("depths"), "depths",
                 "scales " + canonical_number(depths[j].scale) + " and " +
                     canonical_number(depths[i].scale) + " give the same depth " +
                     std::to_string(static_cast<int>(depths[i].value)) + " at width " +
                     std::to_string(w));
        }
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
      if (i > 0 && ps[i].value == ps[i - 1].value) {
        r.fail(*r.node("p"), "p",
               "keep scales " + canonical_number(ps[i - 1].scale) + " and " +
                   canonical_number(ps[i].scale) + " give the same p at width " +
                   std::to_string(w));
      }
    }
  }
}

GridSpec read_grid(const toml::table& root, const std::string& file) {
  const Reader r(section(root, "grid", file), "grid", file);
  r.only({"models", "widths", "depths", "p", "input_width", "output_width", "biases", "activations",
          "skip"});
  GridSpec g;
  for (const auto& m : r.list<std::string>("models", "site, bond or site+bond", model_name)) {
    g.models.push_back(*parse_dropout_model(m));
  }
  g.widths = r.list<int>("widths", "hidden-layer widths, whole numbers >= 1", positive_int);
  const toml::node* depths = r.node("depths");
  if (depths != nullptr && depths->is_table()) {
    g.depth_law = read_width_law(r, "depths", "scale", "depth scales a in L = round(a W^power)");
  } else {
    g.depths = r.list<int>("depths",
                           "numbers of hidden layers, whole numbers >= 1, or "
                           "{ scale = [...], power = ... }",
                           positive_int);
  }
  const toml::node* p = r.node("p");
  if (p != nullptr && p->is_table() && p->as_table()->contains("keep")) {
    g.keep_law = read_width_law(r, "p", "keep", "keep scales c in p = 1 - c W^power");
  } else {
    g.p = read_probabilities(r, "p", "drop probabilities");
  }
  check_width_laws(r, g);
  if (r.has("input_width")) g.input_width = r.required<int>("input_width", ">= 1", positive_int);
  if (r.has("output_width")) g.output_width = r.required<int>("output_width", ">= 1", positive_int);
  if (r.has("biases")) g.biases = r.list<bool>("biases", "true or false");
  if (r.has("activations")) {
    g.activations.clear();
    for (const auto& a :
         r.list<std::string>("activations", "relu, tanh or identity", activation_name)) {
      g.activations.push_back(*parse_activation(a));
    }
  }
  g.skip = read_point_rules(r, "skip");
  return g;
}

PercolationSpec read_percolation(const toml::table& t, const std::string& file) {
  const Reader r(t, "percolation", file);
  r.only({"samples", "method", "undirected", "block", "thresholds", "per_p"});
  PercolationSpec s;
  s.samples = r.required<std::int64_t>("samples", "samples per grid point, >= 1", positive_int64);
  s.method = *parse_method(
      r.optional<std::string>("method", "thresholds", "masks, thresholds or fast", method_name));
  s.undirected = r.optional<bool>("undirected", true, "true or false");
  s.block = read_block(r, s.samples);
  s.thresholds = r.optional<bool>("thresholds", false, "true or false");
  s.per_p = r.optional<bool>("per_p", true, "true or false");
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
  s.samples =
      r.required<std::int64_t>("samples", "samples per (model, size), >= 1", positive_int64);
  s.block = read_block(r, s.samples);
  s.q = r.has("q") ? read_probabilities(r, "q", "occupation probabilities")
                   : evenly_spaced(0.0, 1.0, 101);
  return s;
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
  s.input_width = r.optional<int>("features", s.input_width, ">= 1", positive_int);
  s.outputs =
      r.optional<int>("outputs", s.outputs, "classes or target components, >= 1", positive_int);
  s.width = r.optional<int>("width", s.width, "the teacher's hidden width, >= 1", positive_int);
  s.depth = r.optional<int>("depth", s.depth, "the teacher's hidden layers, >= 1", positive_int);
  s.train_size = r.optional<std::int64_t>("train_size", s.train_size, ">= 1", positive_int64);
  s.test_size = r.optional<std::int64_t>("test_size", s.test_size, ">= 1", positive_int64);
  s.noise =
      r.optional<double>("noise", s.noise, "regression noise s.d., >= 0", non_negative_number);
  if (s.task == LearningTask::classification && s.outputs < 2) {
    r.fail(*t->get("outputs"), "outputs", "classification needs at least 2 classes");
  }
  return s;
}

TrainingSpec read_training(const toml::table& t, const GridSpec& grid,
                           const std::filesystem::path& directory, const std::string& file) {
  const Reader r(t, "training", file);
  r.only({"steps", "batch", "learning_rate", "momentum", "replicas", "eval_interval", "target_loss",
          "shared_mask", "init", "dataset", "test_fraction", "teacher", "only"});
  TrainingSpec s;
  s.steps = r.required<std::int64_t>("steps", "SGD steps per replica, >= 1", positive_int64);
  s.batch = r.optional<int>("batch", s.batch, "minibatch size, >= 1", positive_int);
  s.learning_rate = r.optional<double>("learning_rate", s.learning_rate, "> 0", positive_number);
  s.momentum = r.optional<double>("momentum", s.momentum, "in [0, 1)", below_one);
  s.replicas = r.optional<int>("replicas", s.replicas,
                               "independently trained networks per point, >= 1", positive_int);
  s.eval_interval =
      r.optional<std::int64_t>("eval_interval", s.eval_interval, "steps, >= 1", positive_int64);
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
    if (!std::filesystem::exists(*s.dataset))
      r.fail(*t.get("dataset"), "dataset", "no such file: " + s.dataset->string());
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
    } catch (const DatasetError& e) {
      r.fail(*t.get("dataset"), "dataset", e.what());
    }
  }
  s.only = read_point_rules(r, "only", &grid);
  return s;
}

double read_walltime(const Reader& r) {
  const toml::node* n = r.node("walltime");
  if (n->is_integer() || n->is_floating_point()) {
    return r.required<double>("walltime", "seconds > 0, or \"HH:MM:SS\"", positive_number);
  }
  const std::string text = r.required<std::string>("walltime", "seconds, or \"HH:MM:SS\"");
  const auto seconds = parse_duration(text);
  if (!seconds)
    r.fail(*n, "walltime", "'" + text + "' is not HH:MM:SS, MM:SS or a number of seconds > 0");
  return *seconds;
}

RunSpec read_run(const toml::table* t, const std::string& file) {
  RunSpec s;
  if (t == nullptr) return s;
  const Reader r(*t, "run", file);
  r.only({"checkpoint_interval", "walltime"});
  s.checkpoint_interval = r.optional<double>("checkpoint_interval", s.checkpoint_interval,
                                             "seconds > 0", positive_number);
  if (r.has("walltime")) s.walltime = read_walltime(r);
  return s;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw JobError(file.string() + ": cannot read the job file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A job must compute something, and a grid job something on its grid.
void check_work(const JobSpec& job, const std::string& file) {
  if (!job.percolation && !job.training && !job.lattice) {
    throw JobError(file +
                   ": nothing to do: give a [percolation] or a [training] section (or both) with "
                   "a [grid], or a [lattice] section");
  }
  if (!job.percolation && !job.training) return;
  const std::vector<Task> tasks = expand(job);
  if (std::all_of(tasks.begin(), tasks.end(),
                  [](const Task& t) { return t.kind == TaskKind::lattice; })) {
    throw JobError(file + ": [grid]: the skip rules leave no task");
  }
}

// One task per (model, size), in the order of the file.
std::vector<Task> lattice_tasks(const LatticeSpec& lattice) {
  std::vector<Task> tasks;
  for (LatticeModel m : lattice.models) {
    for (int size : lattice.sizes) {
      Task t;
      t.name = "lattice_" + std::string(name(m)) + "_L" + std::to_string(size);
      t.kind = TaskKind::lattice;
      t.units = blocks(lattice.samples, lattice.block);
      t.lattice_model = m;
      t.lattice_size = size;
      tasks.push_back(t);
    }
  }
  return tasks;
}

bool matches_any(const std::vector<PointRule>& rules,
                 const std::map<std::string, std::string>& point) {
  return std::any_of(rules.begin(), rules.end(), [&](const PointRule& rule) {
    return std::all_of(rule.match.begin(), rule.match.end(), [&](const auto& kv) {
      const auto it = point.find(kv.first);
      return it != point.end() && it->second == kv.second;
    });
  });
}

}  // namespace

std::optional<double> parse_duration(std::string_view text) {
  double seconds = 0.0;
  const auto end = text.data() + text.size();
  if (const auto [last, error] = std::from_chars(text.data(), end, seconds);
      error == std::errc{} && last == end) {
    return seconds > 0 ? std::optional(seconds) : std::nullopt;
  }
  seconds = 0.0;
  int fields = 0;
  for (std::size_t start = 0; start <= text.size(); ++fields) {
    const std::size_t colon = std::min(text.find(':', start), text.size());
    int v = -1;
    const auto [last, error] = std::from_chars(text.data() + start, text.data() + colon, v);
    if (error != std::errc{} || last != text.data() + colon || v < 0 || fields >= 3)
      return std::nullopt;
    seconds = seconds * 60 + v;
    start = colon + 1;
  }
  return fields >= 2 && seconds > 0 ? std::optional(seconds) : std::nullopt;
}

std::string_view name(TaskKind kind) {
  switch (kind) {
    case TaskKind::percolation:
      return "percolation";
    case TaskKind::thresholds:
      return "thresholds";
    case TaskKind::training:
      return "training";
    case TaskKind::lattice:
      return "lattice";
  }
  return "?";
}

std::string_view model_name(const Task& task) {
  return task.kind == TaskKind::lattice ? name(task.lattice_model) : name(task.model);
}

JobSpec parse_job(const std::filesystem::path& file) {
  JobSpec job;
  job.file = file;
  job.text = read_text(file);
  const std::string shown = file.string();
  toml::table root;
  try {
    root = toml::parse(job.text, shown);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw JobError(shown + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                   ": not valid TOML: " + std::string(e.description()));
  }
  const Reader top(root, "", shown);
  for (const auto& [key, node] : root) {
    static const std::set<std::string_view> sections = {"job",      "grid",    "percolation",
                                                        "training", "lattice", "run"};
    if (!sections.count(key.str())) {
      top.fail(node, key.str(),
               "unknown section (allowed: job, grid, percolation, training, lattice, run)");
    }
  }
  const Reader j(section(root, "job", shown), "job", shown);
  j.only({"name", "seed", "output"});
  job.name = j.required<std::string>("name", "letters, digits, '_' and '-', at most 64", job_name);
  job.seed = static_cast<std::uint64_t>(
      j.optional<std::int64_t>("seed", 1, "a whole number >= 0", non_negative_int64));
  const std::filesystem::path directory = file.parent_path();
  job.output =
      directory / j.optional<std::string>("output", job.name + ".data", "the output directory");
  // [grid] is required by [percolation] and [training], and checked whenever given.
  if (root.contains("grid") || root.contains("percolation") || root.contains("training"))
    job.grid = read_grid(root, shown);
  if (root.contains("percolation"))
    job.percolation = read_percolation(section(root, "percolation", shown), shown);
  if (root.contains("training"))
    job.training = read_training(section(root, "training", shown), job.grid, directory, shown);
  if (root.contains("lattice")) job.lattice = read_lattice(section(root, "lattice", shown), shown);
  const toml::node* run = root.get("run");
  job.run = read_run(run != nullptr ? run->as_table() : nullptr, shown);
  check_work(job, shown);
  return job;
}

std::vector<GridValue> depths_at(const GridSpec& grid, int width) {
  std::vector<GridValue> values;
  if (!grid.depth_law) {
    for (int l : grid.depths)
      values.push_back({static_cast<double>(l)});
    return values;
  }
  for (double a : grid.depth_law->scales) {
    const double l = std::round(a * std::pow(static_cast<double>(width), grid.depth_law->power));
    values.push_back({std::max(1.0, std::min(l, 1e9)), a});
  }
  return values;
}

std::vector<GridValue> p_at(const GridSpec& grid, int width) {
  std::vector<GridValue> values;
  if (!grid.keep_law) {
    for (double p : grid.p)
      values.push_back({p});
    return values;
  }
  for (double c : grid.keep_law->scales)
    values.push_back({1.0 - c * std::pow(static_cast<double>(width), grid.keep_law->power), c});
  std::sort(values.begin(), values.end(),
            [](const GridValue& a, const GridValue& b) { return a.value < b.value; });
  return values;
}

std::vector<Task> expand(const JobSpec& job) {
  const GridSpec& g = job.grid;
  std::vector<Task> tasks;
  auto arch_of = [&](int width, int depth, std::optional<int> in, std::optional<int> out) {
    return Architecture{in.value_or(width), width, depth, out.value_or(width)};
  };
  auto shape_name = [&](DropoutModel m, int w, int l) {
    std::string s = std::string(m == DropoutModel::site_bond ? "sitebond" : name(m)) + "_W" +
                    std::to_string(w) + "_L" + std::to_string(l);
    if (g.input_width) s += "_in" + std::to_string(*g.input_width);
    if (g.output_width) s += "_out" + std::to_string(*g.output_width);
    return s;
  };
  for (DropoutModel m : g.models) {
    for (int w : g.widths) {
      for (const GridValue& depth : depths_at(g, w)) {
        const int l = static_cast<int>(depth.value);
        std::map<std::string, std::string> point = {{"model", std::string(name(m))},
                                                    {"width", std::to_string(w)},
                                                    {"depth", std::to_string(l)}};
        if (job.percolation && job.percolation->thresholds && !matches_any(g.skip, point)) {
          Task t{shape_name(m, w, l) + "_thresholds", TaskKind::thresholds,
                 arch_of(w, l, g.input_width, g.output_width), m};
          t.units = blocks(job.percolation->samples, job.percolation->block);
          t.depth_scale = depth.scale;
          tasks.push_back(t);
        }
        for (const GridValue& drop : p_at(g, w)) {
          const double p = drop.value;
          point["p"] = canonical_number(p);
          if (job.percolation && job.percolation->per_p && !matches_any(g.skip, point)) {
            Task t{shape_name(m, w, l) + "_p" + canonical_number(p), TaskKind::percolation,
                   arch_of(w, l, g.input_width, g.output_width), m, p};
            t.units = blocks(job.percolation->samples, job.percolation->block);
            t.depth_scale = depth.scale;
            t.keep = drop.scale;
            tasks.push_back(t);
          }
          if (!job.training) continue;
          for (bool bias : g.biases) {
            for (Activation a : g.activations) {
              point["bias"] = bias ? "true" : "false";
              point["activation"] = std::string(name(a));
              const std::vector<PointRule>& only = job.training->only;
              if (matches_any(g.skip, point) || (!only.empty() && !matches_any(only, point)))
                continue;
              const TeacherSpec& teacher = job.training->teacher;
              Task t{"train_" + shape_name(m, w, l) + "_p" + canonical_number(p) +
                         (bias ? "_bias_" : "_nobias_") + std::string(name(a)),
                     TaskKind::training,
                     {teacher.input_width, w, l, teacher.outputs},
                     m,
                     p,
                     bias,
                     a,
                     job.training->replicas};
              t.depth_scale = depth.scale;
              t.keep = drop.scale;
              tasks.push_back(t);
            }
          }
          point.erase("bias");
          point.erase("activation");
        }
      }
    }
  }
  if (job.lattice) {
    const std::vector<Task> lattice = lattice_tasks(*job.lattice);
    tasks.insert(tasks.end(), lattice.begin(), lattice.end());
  }
  return tasks;
}

}  // namespace dropperc
