// dropperc run / status / merge: studies described by job files (docs/job-file.md).
// Exit codes: 0 done, 1 failure, 2 bad input (nothing computed), 3 unfinished (run again).

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "commands.hpp"
#include "network_options.hpp"
#include "table.hpp"

#include "dropperc/io/provenance.hpp"
#include "dropperc/runner/merge.hpp"
#include "dropperc/runner/scheduler.hpp"
#include "dropperc/runner/store.hpp"

namespace dropperc::cli {

namespace {

constexpr int kUnfinished = 3;

struct JobOptions {
  std::string job;
  std::optional<std::string> output;
  bool force = false;
  std::optional<std::string> walltime;
  std::optional<std::string> slice;
  bool quiet = false;
  BudgetOptions budget;
};

JobSpec load(const JobOptions& o) {
  try {
    JobSpec job = parse_job(o.job);
    if (o.output) job.output = *o.output;
    return job;
  } catch (const JobError& e) {
    throw UsageError(e.what());
  }
}

void add_job_options(CLI::App& command, JobOptions& o) {
  command.add_option("job", o.job, "The job file (TOML)")->required();
  command.add_option("--output", o.output, "Output directory, instead of the job file's");
}

// The job's tasks; a JobError (names that collide) is bad input.
std::vector<Task> expanded(const JobSpec& job) {
  try {
    return expand(job);
  } catch (const JobError& e) {
    throw UsageError(e.what());
  }
}

// The units of `tasks` still to run in `slice` (all slices if none) and their cost in seconds: a
// unit whose file exists is done, unless its task changed (run --force discards it) or the
// directory holds another job. One look per unit, so only for jobs beyond the time limit.
std::pair<double, double> remaining_work(const JobSpec& job, const std::vector<Task>& tasks,
                                         const std::optional<Slice>& slice) {
  const Store store(job, tasks, Store::Role::worker);
  const DirectoryCheck check = check_directory(job, tasks);
  const std::set<std::string> changed = check.changed_tasks();
  std::vector<std::vector<std::int64_t>> owners;
  if (slice) owners = slice_owners(job, tasks, slice->count);
  double seconds = 0.0, units = 0.0;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const bool kept = check.other_job.empty() && !changed.contains(tasks[t].name);
    for (std::int64_t u = 0; u < tasks[t].units; ++u) {
      if (slice && owners[t][static_cast<std::size_t>(u)] != slice->index) continue;
      if (kept && std::filesystem::exists(store.unit_path(t, u))) continue;
      seconds += unit_cost(job, tasks[t], u);
      units += 1.0;
    }
  }
  return {seconds, units};
}

// Before any work: every unit must fit in memory, the work still to do in the time limit. A
// task's units cost about the same (a last, smaller block costs less), so the whole job's time
// is units x the cost of the first, without visiting each of up to 10^6 units; a job beyond the
// limit is counted again without the units done and those of other slices, so that a long job
// run again, or sliced, is judged by the work it has left.
void check_budget(const JobSpec& job, const std::vector<Task>& tasks, const BudgetOptions& o,
                  const std::optional<Slice>& slice) {
  const Limits limits = limits_of(o, kJobCoreHours);
  double seconds = 0.0, units = 0.0;
  for (const Task& task : tasks) {
    require_memory(unit_memory(job, task), limits, "a unit of task " + task.name);
    seconds += static_cast<double>(task.units) * unit_cost(job, task, 0);
    units += static_cast<double>(task.units);
  }
  if (seconds / 3600.0 > limits.core_hours && (slice || std::filesystem::exists(job.output)))
    std::tie(seconds, units) = remaining_work(job, tasks, slice);
  char count[32];
  std::snprintf(count, sizeof count, "%.0f", units);
  require_time(
      seconds / 3600.0, limits,
      "job '" + job.name + "' (" + count + " units to run, cost model of docs/performance.md)");
}

void add_slice_option(CLI::App& command, JobOptions& o) {
  command.add_option("--slice", o.slice,
                     "Only slice I of N (I/N, 0 <= I < N) of the work units, e.g. "
                     "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; slices may share one output "
                     "directory, `dropperc merge` gathers them");
}

// "I/N" with integers 0 <= I < N: Slurm numbers the tasks of --array=0-(N-1) so.
std::optional<Slice> parse_slice(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  Slice slice;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [slash, e1] = std::from_chars(begin, end, slice.index);
  bool good = e1 == std::errc() && slash != end && *slash == '/';
  if (good) {
    auto [rest, e2] = std::from_chars(slash + 1, end, slice.count);
    good = e2 == std::errc() && rest == end && slice.count >= 1 && slice.index >= 0 &&
           slice.index < slice.count;
  }
  if (!good) {
    throw UsageError("--slice: '" + *text +
                     "' is not I/N with integers 0 <= I < N (e.g. 0/4 for the first of four)");
  }
  return slice;
}

void log_line(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

int run(const JobOptions& o) {
  const JobSpec job = load(o);
  RunOptions options;
  options.force = o.force;
  options.slice = parse_slice(o.slice);
  check_budget(job, expanded(job), o.budget, options.slice);
  if (o.walltime) {
    options.walltime = parse_duration(*o.walltime);
    if (!options.walltime) {
      throw UsageError("--walltime: '" + *o.walltime +
                       "' is not HH:MM:SS, MM:SS or a number of seconds > 0");
    }
  }
  if (const char* end = std::getenv("SLURM_JOB_END_TIME"); end != nullptr && *end != '\0') {
    // Slurm sets it to the Unix time at which the allocation ends.
    char* rest = nullptr;
    options.end_time = std::strtod(end, &rest);
    if (*rest != '\0' || !std::isfinite(*options.end_time) || *options.end_time <= 0) {
      throw UsageError(std::string("environment variable SLURM_JOB_END_TIME: '") + end +
                       "' is not a Unix time in seconds");
    }
  }
  if (!o.quiet) options.log = log_line;
  install_stop_handlers();  // before MPI starts: a signal during its start-up would kill the rank
  try {
    if (run_job(job, options) == RunOutcome::complete) return 0;
  } catch (const StoreError& e) {
    throw UsageError(e.what());
  }
  log_line("dropperc run: stopped; run the same command again to continue");
  return kUnfinished;
}

int status(const JobOptions& o) {
  const JobSpec job = load(o);
  const std::optional<Slice> slice = parse_slice(o.slice);
  const std::vector<Task> tasks = expanded(job);
  check_budget(job, tasks, o.budget, slice);
  const Store store(job, tasks, Store::Role::worker);
  // What run would refuse: say so, and count the changed tasks' units as not done (run --force
  // discards them).
  const DirectoryCheck check = check_directory(job, tasks);
  const std::set<std::string> changed = check.changed_tasks();
  if (check.refused()) {
    log_line("dropperc status: `dropperc run` would refuse this directory: " +
             check.message(job.output));
  }
  std::vector<std::vector<std::int64_t>> owners;
  if (slice) owners = slice_owners(job, tasks, slice->count);
  Table table({"task", "kind", "done", "units"});
  std::int64_t done = 0, total = 0;
  double done_cost = 0.0, done_seconds = 0.0, remaining_cost = 0.0;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    std::int64_t task_done = 0, task_units = 0;
    for (std::int64_t u = 0; u < tasks[t].units; ++u) {
      if (slice && owners[t][static_cast<std::size_t>(u)] != slice->index) continue;
      ++task_units;
      const double cost = unit_cost(job, tasks[t], u);
      if (!changed.count(tasks[t].name) && store.complete(t, u)) {
        ++task_done;
        done_cost += cost;
        done_seconds += store.seconds(t, u);
      } else {
        remaining_cost += cost;
      }
    }
    done += task_done;
    total += task_units;
    if (task_units == 0) continue;  // wholly in other slices
    table.add_row({tasks[t].name, std::string(name(tasks[t].kind)),
                   std::to_string(task_done) + (changed.count(tasks[t].name) ? " (changed)" : ""),
                   std::to_string(task_units)});
  }
  table.print(stdout, false);
  std::printf("\n");
  if (slice) std::printf("slice %s: ", o.slice->c_str());
  std::printf("%lld of %lld units done (%.1f%%)", static_cast<long long>(done),
              static_cast<long long>(total),
              total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0);
  if (done > 0) std::printf("; %.3g core-hours spent on them", done_seconds / 3600.0);
  if (done < total && done_cost > 0) {
    // The cost model rescaled by the seconds measured on the units done so far.
    std::printf("; about %.3g core-hours left (from the units done on this machine)",
                remaining_cost * done_seconds / done_cost / 3600.0);
  } else if (done < total) {
    std::printf("; about %.3g core-hours left (cost model of the development machine)",
                remaining_cost / 3600.0);
  }
  std::printf("\n");
  return done == total && !check.refused() ? 0 : kUnfinished;
}

int merge_results(const JobOptions& o) {
  const JobSpec job = load(o);
  const Store store(job, expand(job), Store::Role::worker);
  remove_stale_temporaries(job.output);
  try {
    const auto file = merge_job(store, job, {"", utc_now(), 0});
    std::printf("%s\n", file.string().c_str());
    return 0;
  } catch (const StoreError& e) {
    log_line(std::string("dropperc merge: ") + e.what());
    return kUnfinished;
  }
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "run",
      "Run a job over all MPI ranks (mpirun -n N dropperc run JOB); running it again "
      "continues an unfinished run. Exit 3: stopped, resumable");
  auto o = std::make_shared<JobOptions>();
  add_job_options(*command, *o);
  command->add_flag("--force", o->force, "Discard the results of tasks whose settings changed");
  command->add_option("--walltime", o->walltime,
                      "Stop (checkpoint, exit 3) after HH:MM:SS or seconds");
  add_slice_option(*command, *o);
  add_budget_options(*command, o->budget, kJobCoreHours);
  command->add_flag("--quiet", o->quiet, "No progress lines");
  return {command, [o] { return run(*o); }};
}

Command add_status_command(CLI::App& app) {
  auto* command = app.add_subcommand("status",
                                     "Progress of a job: units done per task and the core-hours "
                                     "left. Exit 0 when complete, 3 when not");
  auto o = std::make_shared<JobOptions>();
  add_job_options(*command, *o);
  add_slice_option(*command, *o);
  add_budget_options(*command, o->budget, kJobCoreHours);
  return {command, [o] { return status(*o); }};
}

Command add_merge_command(CLI::App& app) {
  auto* command = app.add_subcommand("merge",
                                     "Gather a job's completed units into <output>/<name>.h5 (run "
                                     "does it at the end). Exit 3 if incomplete");
  auto o = std::make_shared<JobOptions>();
  add_job_options(*command, *o);
  return {command, [o] { return merge_results(*o); }};
}

}  // namespace dropperc::cli
