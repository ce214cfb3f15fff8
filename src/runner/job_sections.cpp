// The section parsers of job files: [job], [grid], [percolation], [lattice], [training],
// [training.teacher] and [run], each read by a Reader (toml_reader.hpp) into its spec (job.hpp).

#include "job_sections.hpp"

#include <algorithm>
#include <cmath>

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

}  // namespace

void read_job_section(const toml::table& root, JobSpec& job) {
  const std::string shown = job.file.string();
  const Reader j(section(root, "job", shown), "job", shown);
  j.only({"name", "seed", "output"});
  job.name = j.required<std::string>("name", "letters, digits, '_' and '-', at most 64", job_name);
  job.seed = static_cast<std::uint64_t>(
      j.optional<std::int64_t>("seed", 1, "a whole number >= 0", non_negative_int64));
  job.output = job.file.parent_path() /
               j.optional<std::string>("output", job.name + ".data", "the output directory");
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

}  // namespace dropperc
