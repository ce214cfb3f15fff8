// parse_job(): the job file read, its sections parsed (job_sections.cpp) and checked as a whole.

#include "dropperc/runner/job.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "grid.hpp"
#include "job_sections.hpp"
#include "kinds/network_blocks.hpp"
#include "toml_reader.hpp"
#include <toml++/toml.h>

#include "dropperc/core/budget.hpp"

namespace dropperc {

namespace {

std::string read_text(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    throw JobError(file.string() + ": is a directory, not a job file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw JobError(file.string() + ": cannot read the job file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The grid's points: models x networks x p, and x biases x activations with training. Bounded
// before expand() makes a task of each.
void check_grid_size(const JobSpec& job, const std::string& file) {
  const GridSpec& g = job.grid;
  const auto count = [](const auto& list) { return static_cast<std::int64_t>(list.size()); };
  const std::int64_t networks = network_shapes(g);
  const std::int64_t ps = g.keep_law ? count(g.keep_law->scales) : count(g.p);
  const std::int64_t topologies = count(g.topologies);
  const auto points =
      job.training ? product_at_most({count(g.models), networks, ps, topologies, count(g.biases),
                                      count(g.activations)},
                                     kMaxGridPoints)
                   : product_at_most({count(g.models), networks, ps, topologies}, kMaxGridPoints);
  if (!points) {
    throw JobError(
        file + ": [grid]: models x networks x p" + (topologies > 1 ? " x topologies" : "") +
        (job.training ? std::string(" x biases x activations") : "") + " = " +
        std::to_string(count(g.models)) + " x " + networks_text(g) + " x " + std::to_string(ps) +
        (topologies > 1 ? " x " + std::to_string(topologies) : "") +
        (job.training ? " x " + std::to_string(count(g.biases)) + " x " +
                            std::to_string(count(g.activations))
                      : "") +
        " grid points, above the limit " + std::to_string(kMaxGridPoints) + Reader::kLimitsSection);
  }
}

// A message of validate(Topology) names command-line options ("--kernel 5: ..."); in a job it
// names the [grid] key instead ("grid.kernel = 5: ...").
std::string as_grid_key(const std::string& message) {
  std::string result;
  for (std::size_t at = 0; at < message.size();) {
    const std::size_t option = message.find("--", at);
    if (option == std::string::npos) {
      result += message.substr(at);
      break;
    }
    result += message.substr(at, option - at);
    const std::size_t end = std::min(message.find_first_of(" :)", option), message.size());
    std::string key = message.substr(option + 2, end - option - 2);
    std::replace(key.begin(), key.end(), '-', '_');
    // The leading option is followed by its value: "grid.kernel = 5".
    result +=
        "grid." + key + (option == 0 && end < message.size() && message[end] == ' ' ? " =" : "");
    at = end;
  }
  return result;
}

// A skip rule for the task's network and topology: "skip = [{ width = 8, kernel = 9 }]".
std::string skip_example(const Task& t) {
  std::string rule =
      t.arch.is_uniform() ? "width = " + std::to_string(t.arch.width()) + ", " : std::string();
  rule += "depth = " + std::to_string(t.arch.depth());
  if (t.topology.connectivity == Connectivity::local)
    rule += ", kernel = " + std::to_string(t.topology.kernel);
  if (t.topology.residual > 0) rule += ", residual = " + std::to_string(t.topology.residual);
  return "skip = [{ " + rule + " }]";
}

// A task on local layers or with skips: its topology fits its network, the samplers it needs take
// it, and its Graph is within kMaxGraphEdges.
void check_topology(const JobSpec& job, const Task& t, const std::string& file) {
  const std::string where = file + ": [grid]: task " + t.name + ": ";
  if (t.kind == TaskKind::training && t.topology.connectivity == Connectivity::local) {
    throw JobError(where +
                   "training takes dense layers, with or without residual skips; "
                   "connectivity = \"local\" is for [percolation] alone");
  }
  try {
    validate(t.topology, t.arch);
  } catch (const std::invalid_argument& e) {
    throw JobError(where + as_grid_key(e.what()) + " (a skip rule leaves such points out, e.g. " +
                   skip_example(t) + ")");
  }
  if (t.kind == TaskKind::training) return;
  if (job.percolation->method == Method::fast) {
    throw JobError(where +
                   "[percolation] method = \"fast\" samples the dense MLP only; local and "
                   "residual networks take method = \"masks\" or \"thresholds\"");
  }
  // Directed thresholds of local layers stream without a Graph (local_percolation.hpp), but a
  // stop signal is answered between samples: one sample may take at most kMaxStreamedSeconds.
  if (kinds::streamed(job, t, t.kind == TaskKind::thresholds)) {
    const double seconds = streamed_threshold_seconds(t.arch, t.topology);
    if (seconds > kMaxStreamedSeconds) {
      throw JobError(where + "one sample of this network streams for about " +
                     Reader::number(seconds) + " s, above the limit " +
                     Reader::number(kMaxStreamedSeconds) +
                     " s (a stop signal waits for the sample)" + Reader::kLimitsSection);
    }
    return;
  }
  const std::int64_t edges = edge_count(t.arch, t.topology);
  if (edges > kMaxGraphEdges) {
    throw JobError(where + "the network has " + std::to_string(edges) + " edges, above the limit " +
                   std::to_string(kMaxGraphEdges) + " of local and residual networks" +
                   Reader::kLimitsSection);
  }
}

// Survival depths and a floor are results of the streamed pass, and a floor leaves thresholds
// below it unresolved: the task's theta curves must stay at p >= floor.
void check_survival(const JobSpec& job, const Task& t, const std::string& file) {
  const PercolationSpec& spec = *job.percolation;
  const bool floored = spec.floor > -std::numeric_limits<double>::infinity();
  if (t.kind != TaskKind::thresholds || (spec.survival_per_decade == 0 && !floored)) return;
  const std::string key = spec.survival_per_decade > 0 ? "survival_per_decade" : "floor";
  if (!kinds::streamed(job, t, true)) {
    throw JobError(file + ": [percolation]: " + key + ": task " + t.name +
                   ": survival depths and a floor need local layers without skips ([grid] "
                   "connectivity = \"local\", no residual) and undirected = false");
  }
  if (!floored) return;
  for (const GridValue& p : p_at(job.grid, t.arch.is_uniform() ? t.arch.width() : 0)) {
    if (p.value < spec.floor) {
      throw JobError(file + ": [grid]: p = " + Reader::number(p.value) +
                     " is below [percolation] floor = " + Reader::number(spec.floor) +
                     ": thresholds below the floor are not resolved, so theta there is unknown");
    }
  }
}

// Every network below kMaxEdges; the job's work units below kMaxJobUnits and its samples below
// kMaxJobSamples (sums of bounded terms: no overflow).
void check_tasks(const JobSpec& job, const std::vector<Task>& tasks, const std::string& file) {
  std::int64_t units = 0;
  std::int64_t samples = 0;
  for (const Task& t : tasks) {
    units += t.units;
    if (t.kind == TaskKind::percolation || t.kind == TaskKind::thresholds)
      samples += job.percolation->samples;
    if (t.kind == TaskKind::lattice) samples += job.lattice->samples;
    if (t.kind != TaskKind::lattice && !t.topology.is_dense_mlp()) check_topology(job, t, file);
    if (job.percolation) check_survival(job, t, file);
    const bool dense = t.topology.connectivity == Connectivity::dense;
    if (t.kind != TaskKind::lattice && dense && t.arch.edges() > kMaxEdges) {
      std::ostringstream network;
      network << t.arch;
      throw JobError(file + ": task " + t.name + ": a network of " + network.str() + " has " +
                     std::to_string(t.arch.edges()) + " edges, above the limit " +
                     std::to_string(kMaxEdges) + Reader::kLimitsSection);
    }
    if (units > kMaxJobUnits) {
      throw JobError(file + ": the job's tasks make more than " + std::to_string(kMaxJobUnits) +
                     " work units (blocks of samples, and replicas), the limit of a job" +
                     Reader::kLimitsSection + "; raise block or use fewer grid values");
    }
    if (samples > kMaxJobSamples) {
      throw JobError(file + ": samples x tasks is above the limit " +
                     std::to_string(kMaxJobSamples) + " of a job" + Reader::kLimitsSection);
    }
  }
}

// A job must compute something, and a grid job something on its grid, within the limits.
void check_work(const JobSpec& job, const std::string& file) {
  if (!job.percolation && !job.training && !job.lattice) {
    throw JobError(file +
                   ": nothing to do: give a [percolation] or a [training] section (or both) with "
                   "a [grid], or a [lattice] section");
  }
  if (job.percolation || job.training) check_grid_size(job, file);
  const std::vector<Task> tasks = expand(job);
  check_tasks(job, tasks, file);
  if (!job.percolation && !job.training) return;
  if (std::all_of(tasks.begin(), tasks.end(),
                  [](const Task& t) { return t.kind == TaskKind::lattice; })) {
    throw JobError(file + ": [grid]: the skip rules leave no task");
  }
}

}  // namespace

std::vector<int> survival_depths(int per_decade, int depth) {
  std::vector<int> depths;
  for (int k = 0;; ++k) {
    const double t = std::round(std::pow(10.0, static_cast<double>(k) / per_decade));
    if (t >= depth) break;
    if (depths.empty() || depths.back() < t) depths.push_back(static_cast<int>(t));
  }
  depths.push_back(depth);
  return depths;
}

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
  return parse_job_text(read_text(file), file);
}

JobSpec parse_job_text(std::string_view text, const std::filesystem::path& file) {
  JobSpec job;
  job.file = file;
  job.text = std::string(text);
  const std::string shown = file.string();
  toml::table root;
  try {
    root = toml::parse(job.text, shown);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw JobError(shown + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                   ": not valid TOML: " + std::string(e.description().substr(0, 200)) +
                   (e.description().find("not representable in 64 bits") != std::string::npos
                        ? " (TOML's whole numbers are 64-bit signed: write a seed above 2^63 - 1 "
                          "as a string, e.g. seed = \"18446744073709551615\")"
                        : ""));
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
  read_job_section(root, job);
  const std::filesystem::path directory = file.parent_path();
  // [grid] is required by [percolation] and [training], and checked whenever given.
  if (root.contains("grid") || root.contains("percolation") || root.contains("training"))
    job.grid = read_grid(root, shown);
  if (root.contains("percolation"))
    job.percolation = read_percolation(section(root, "percolation", shown), shown);
  if (root.contains("training"))
    job.training = read_training(section(root, "training", shown), job.grid, directory, shown);
  if (root.contains("lattice")) job.lattice = read_lattice(section(root, "lattice", shown), shown);
  job.run = read_run(root.contains("run") ? &section(root, "run", shown) : nullptr, shown);
  check_work(job, shown);
  return job;
}

}  // namespace dropperc
