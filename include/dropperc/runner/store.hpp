#pragma once
// The output directory of a job (docs/hdf5-layout.md):
//
//   <output>/fingerprint.txt           what every task computes, minus statistics targets
//   <output>/units/<task>/<index>.h5   completed units, each written atomically
//   <output>/checkpoints/<task>/<index>.h5   states of interrupted training replicas
//   <output>/<name>.h5                 everything merged (merge.hpp)
//
// Files are never half-written: each is written to a temporary name and renamed. A unit file that
// cannot be read (truncated, corrupt) or that belongs to other statistics targets (fewer samples
// in its block, fewer steps) is not complete: it is reported, and the unit is computed again
// (a replica with fewer steps continues from its final state).

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dropperc/runner/job.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Where to write `target` before renaming it into place: in its directory, with a name unique to
/// this host and process, so that runs in independent allocations sharing an output directory
/// (dropperc run --slice) never write one file together.
std::filesystem::path temporary_path(const std::filesystem::path& target);

/// Removes the temporary files under `directory` that processes of this host left when they were
/// killed (their process is gone); those of other hosts, or of live processes, stay. Returns how
/// many it removed. The coordinator of a run and `dropperc merge` call it.
std::int64_t remove_stale_temporaries(const std::filesystem::path& directory);

/// Per task, the settings that decide its results, as text: everything but the statistics
/// targets (samples, replicas, steps), which may grow between runs of one output directory, and
/// the block size (a unit file records its samples; a unit whose block changed is computed again).
using Fingerprint = std::map<std::string, std::map<std::string, std::string>>;
Fingerprint fingerprint(const JobSpec& job, const std::vector<Task>& tasks);

/// "task: key: old -> new" lines for every task present in both whose settings differ.
std::vector<std::string> fingerprint_changes(const Fingerprint& stored, const Fingerprint& current);

/// What an output directory's fingerprint file records: the job whose results it holds and the
/// settings of every task ever computed there, including tasks that have since left the job (so
/// that a task that returns with other settings is refused, not silently reused).
struct DirectoryFingerprint {
  std::string job;  ///< empty in directories written before dropperc recorded it
  Fingerprint tasks;
};

/// What `dropperc run` would find in the job's output directory (read without writing).
struct DirectoryCheck {
  std::string other_job;             ///< the job that wrote the directory, if not this one
  std::vector<std::string> changes;  ///< fingerprint_changes: "task: key: old -> new"
  bool refused() const { return !other_job.empty() || !changes.empty(); }
  /// Why run refuses it, what differs and what to do.
  std::string message(const std::filesystem::path& directory) const;
  std::set<std::string> changed_tasks() const;
};
DirectoryCheck check_directory(const JobSpec& job, const std::vector<Task>& tasks);

class Store {
 public:
  enum class Role {
    coordinator,  ///< checks the directory (check_directory: refusing another job's directory or
                  ///< changed tasks unless forced, then discarding the changed tasks' results)
                  ///< and writes the fingerprint
    worker,       ///< uses a directory the coordinator has prepared
  };
  using Log = std::function<void(const std::string&)>;

  Store(const JobSpec& job, std::vector<Task> tasks, Role role, bool force = false, Log log = {});

  const std::filesystem::path& directory() const { return directory_; }
  const std::vector<Task>& tasks() const { return tasks_; }

  /// Whether unit `index` of task `task` has a complete result for the current job (reads the
  /// unit file's attributes only).
  bool complete(std::size_t task, std::int64_t index) const;
  /// The unit's stored result, or nullopt (reporting and removing an unreadable file).
  std::optional<UnitResult> load(std::size_t task, std::int64_t index) const;
  /// Writes the unit's result, with the seconds it took (kept in the unit file for status and
  /// scheduling statistics; never merged into /tasks).
  void save(std::size_t task, std::int64_t index, const UnitResult& result,
            double seconds = 0.0) const;
  /// The seconds recorded with a complete unit.
  double seconds(std::size_t task, std::int64_t index) const;

  void save_checkpoint(std::size_t task, std::int64_t index,
                       const TrainingState<float>& state) const;
  /// Where a training replica continues from: its checkpoint, or its completed state when the
  /// job now asks for more steps; nullopt to start afresh.
  std::optional<TrainingState<float>> resume_point(std::size_t task, std::int64_t index) const;

  std::filesystem::path unit_path(std::size_t task, std::int64_t index) const;
  std::filesystem::path checkpoint_path(std::size_t task, std::int64_t index) const;

 private:
  void report(const std::string& message) const;

  const JobSpec* job_;
  std::vector<Task> tasks_;
  std::filesystem::path directory_;
  Log log_;
};

}  // namespace dropperc
