// parse_job(): the job file read, its sections parsed (job_sections.cpp) and checked as a whole.

#include "dropperc/runner/job.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "job_sections.hpp"
#include "toml_reader.hpp"
#include <toml++/toml.h>

namespace dropperc {

namespace {

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
  const toml::node* run = root.get("run");
  job.run = read_run(run != nullptr ? run->as_table() : nullptr, shown);
  check_work(job, shown);
  return job;
}

}  // namespace dropperc
