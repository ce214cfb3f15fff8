#include "dropperc/runner/store.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "kinds/kinds.hpp"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "dropperc/io/h5.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

void remove_quietly(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

// Writes `target` through a temporary file in the same directory and a rename, so the target
// is either the old file or the complete new one.
template <class Write>
void write_atomically(const std::filesystem::path& target, Write write) {
  std::filesystem::create_directories(target.parent_path());
  const std::filesystem::path temporary = temporary_path(target);
  try {
    h5::File file = h5::File::create(temporary);
    h5::Group root = file.root();
    write(root);
    file.close();
  } catch (...) {
    remove_quietly(temporary);  // a full disk, say: leave nothing behind
    throw;
  }
  std::filesystem::rename(temporary, target);
}

// Settings that no longer decide results and are ignored in fingerprints written before: a unit
// file records its samples [first, last), so a unit whose block changed is computed again.
constexpr std::string_view kRetiredSettings[] = {"block"};

// Stores the checksum of everything the file holds so far: call last.
void seal(h5::Group& root) {
  root.set_attribute(schema::kChecksum, std::int64_t{root.checksum(schema::kChecksum)});
}

// Throws h5::Error (the file is then computed again) unless a unit file or checkpoint is of this
// format version and, when it has a checksum, holds what it held when it was written.
void check_integrity(const h5::Group& root, const std::filesystem::path& path) {
  const std::int64_t version = root.integer_attribute(schema::kFormatVersionAttribute);
  if (version != schema::kFormatVersion) {
    throw h5::Error(path.string() + ": format version " + std::to_string(version) + ", not " +
                    std::to_string(schema::kFormatVersion));
  }
  if (root.has_attribute(schema::kChecksum) &&
      root.integer_attribute(schema::kChecksum) != root.checksum(schema::kChecksum)) {
    throw h5::Error(path.string() + ": checksum mismatch: the file was changed or damaged");
  }
}

std::string to_text(const DirectoryFingerprint& f) {
  std::ostringstream out;
  out << "# What each task of this directory computes (statistics targets excluded); tasks that\n"
         "# left the job are kept, so that they are checked when they return.\n";
  out << "job = " << f.job << "\n";
  for (const auto& [task, settings] : f.tasks) {
    out << "[task " << task << "]\n";
    for (const auto& [key, value] : settings)
      out << key << " = " << value << "\n";
  }
  return out.str();
}

DirectoryFingerprint from_text(std::istream& in) {
  DirectoryFingerprint f;
  std::map<std::string, std::string>* current = nullptr;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find(" = ");
    if (line.rfind("[task ", 0) == 0 && line.back() == ']') {
      current = &f.tasks[line.substr(6, line.size() - 7)];
    } else if (eq != std::string::npos && current != nullptr) {
      (*current)[line.substr(0, eq)] = line.substr(eq + 3);
    } else if (eq != std::string::npos && line.substr(0, eq) == "job") {
      f.job = line.substr(eq + 3);
    }
  }
  for (auto& [task, settings] : f.tasks) {
    for (std::string_view key : kRetiredSettings)
      settings.erase(std::string(key));
  }
  return f;
}

std::optional<DirectoryFingerprint> read_fingerprint(const std::filesystem::path& directory) {
  std::ifstream in(directory / schema::kFingerprintFile);
  if (!in) return std::nullopt;
  return from_text(in);
}

}  // namespace

Fingerprint fingerprint(const JobSpec& job, const std::vector<Task>& tasks) {
  Fingerprint f;
  for (const Task& t : tasks) {
    f[t.name] =
        kinds::visit_kind(t.kind, [&](auto kind) { return decltype(kind)::settings(job, t); });
  }
  return f;
}

std::vector<std::string> fingerprint_changes(const Fingerprint& stored,
                                             const Fingerprint& current) {
  std::vector<std::string> changes;
  for (const auto& [task, settings] : current) {
    const auto old = stored.find(task);
    if (old == stored.end()) continue;
    std::map<std::string, std::string> keys;
    for (const auto& [key, value] : old->second)
      keys[key];
    for (const auto& [key, value] : settings)
      keys[key];
    for (const auto& [key, unused] : keys) {
      const auto a = old->second.find(key);
      const auto b = settings.find(key);
      const std::string before = a == old->second.end() ? "(absent)" : a->second;
      const std::string after = b == settings.end() ? "(absent)" : b->second;
      if (before != after) changes.push_back(task + ": " + key + ": " + before + " -> " + after);
    }
  }
  return changes;
}

std::string DirectoryCheck::message(const std::filesystem::path& directory) const {
  if (!other_job.empty()) {
    return directory.string() + " holds the results of job '" + other_job +
           "'; use another output directory, or --force to take it over (results of tasks whose "
           "settings differ are discarded)";
  }
  std::string text = directory.string() + " holds results of a job with other settings (" +
                     std::to_string(changes.size()) +
                     " differences); rerun with --force to discard the changed tasks' results, or "
                     "use another output directory:";
  for (std::size_t k = 0; k < changes.size() && k < 40; ++k)
    text += "\n  " + changes[k];
  if (changes.size() > 40) text += "\n  ...";
  return text;
}

std::set<std::string> DirectoryCheck::changed_tasks() const {
  std::set<std::string> tasks;
  for (const std::string& change : changes)
    tasks.insert(change.substr(0, change.find(':')));
  return tasks;
}

DirectoryCheck check_directory(const JobSpec& job, const std::vector<Task>& tasks) {
  DirectoryCheck check;
  const auto stored = read_fingerprint(job.output);
  if (!stored) return check;
  if (!stored->job.empty() && stored->job != job.name) check.other_job = stored->job;
  check.changes = fingerprint_changes(stored->tasks, fingerprint(job, tasks));
  return check;
}

namespace {

// An exclusive flock on <output>/fingerprint.lock while the stored fingerprint is checked and
// replaced: runs that start together in one directory (slices) take turns, so a changed task's
// old results are discarded once, before any of them computes it. On a file system without
// flock (some Lustre mounts) it goes on without the lock and says so: start such slices one
// after another, or without --force.
class FingerprintLock {
 public:
  FingerprintLock(const std::filesystem::path& directory, const Store::Log& log) {
    const auto path = directory / schema::kFingerprintLockFile;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StoreError(path.string() + ": " + std::strerror(errno));
    int status = 0;
    while ((status = ::flock(fd_, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (status != 0 && log) {
      log(path.string() + ": no file lock (" + std::strerror(errno) +
          "); runs sharing this directory must not start together");
    }
  }
  ~FingerprintLock() { ::close(fd_); }  // closing releases the lock
  FingerprintLock(const FingerprintLock&) = delete;
  FingerprintLock& operator=(const FingerprintLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

namespace {

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

// Whether `name` is a temporary file (temporary_path) of a process of this host that is gone.
bool stale_temporary(const std::string& name, const std::string& host) {
  const std::string mark = ".tmp." + host + ".";
  const auto at = name.rfind(mark);
  if (at == std::string::npos) return false;
  const std::string pid = name.substr(at + mark.size());
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  const long long value = std::stoll(pid);
  return value > 0 && value <= std::numeric_limits<pid_t>::max() &&
         ::kill(static_cast<pid_t>(value), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::filesystem::path temporary_path(const std::filesystem::path& target) {
  return target.string() + ".tmp." + host_name() + "." + std::to_string(::getpid());
}

std::int64_t remove_stale_temporaries(const std::filesystem::path& directory) {
  const std::string host = host_name();
  std::int64_t removed = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file(error) && stale_temporary(it->path().filename().string(), host)) {
      removed += std::filesystem::remove(it->path(), error) ? 1 : 0;
    }
  }
  return removed;
}

Store::Store(const JobSpec& job, std::vector<Task> tasks, Role role, bool force, Log log)
    : job_(&job), tasks_(std::move(tasks)), directory_(job.output), log_(std::move(log)) {
  if (role == Role::worker) return;
  std::filesystem::create_directories(directory_ / schema::kUnitsDirectory);
  std::filesystem::create_directories(directory_ / schema::kCheckpointsDirectory);
  const FingerprintLock lock(directory_, log_);
  if (const std::int64_t removed = remove_stale_temporaries(directory_); removed > 0) {
    report("removed " + std::to_string(removed) +
           " temporary files left by interrupted runs of this host");
  }
  const DirectoryCheck check = check_directory(job, tasks_);
  if (check.refused() && !force) throw StoreError(check.message(directory_));
  for (const std::string& task : check.changed_tasks()) {
    std::filesystem::remove_all(directory_ / schema::kUnitsDirectory / task);
    std::filesystem::remove_all(directory_ / schema::kCheckpointsDirectory / task);
  }
  // The tasks of this job replace their entries; those of tasks that left it stay.
  DirectoryFingerprint next = read_fingerprint(directory_).value_or(DirectoryFingerprint{});
  next.job = job.name;
  for (auto& [task, settings] : fingerprint(job, tasks_))
    next.tasks[task] = std::move(settings);
  const auto path = directory_ / schema::kFingerprintFile;
  const std::string text = to_text(next);
  if (std::ifstream in(path); in && std::string(std::istreambuf_iterator<char>(in), {}) == text)
    return;  // unchanged: runs sharing the directory leave it alone
  const auto temporary = temporary_path(path);
  std::ofstream out(temporary);
  out << text;
  out.close();
  if (!out) {
    std::filesystem::remove(temporary);
    throw StoreError(path.string() + ": cannot write the fingerprint (" + std::strerror(errno) +
                     ")");
  }
  std::filesystem::rename(temporary, path);
}

std::filesystem::path Store::unit_path(std::size_t task, std::int64_t index) const {
  return directory_ / schema::kUnitsDirectory / tasks_[task].name / (std::to_string(index) + ".h5");
}

std::filesystem::path Store::checkpoint_path(std::size_t task, std::int64_t index) const {
  return directory_ / schema::kCheckpointsDirectory / tasks_[task].name /
         (std::to_string(index) + ".h5");
}

void Store::report(const std::string& message) const {
  if (log_) log_(message);
}

bool Store::complete(std::size_t task, std::int64_t index) const {
  const auto path = unit_path(task, index);
  if (!std::filesystem::exists(path)) return false;
  const Task& t = tasks_[task];
  try {
    const h5::File file = h5::File::open(path);
    const h5::Group root = file.root();
    if (root.string_attribute(schema::kUnitTask) != t.name ||
        root.integer_attribute(schema::kUnitIndex) != index) {
      throw h5::Error(path.string() + ": belongs to another unit");
    }
    check_integrity(root, path);
    return kinds::visit_kind(
        t.kind, [&](auto kind) { return decltype(kind)::complete(root, *job_, t, index); });
  } catch (const h5::Error& e) {
    report(std::string("unreadable unit file, computing it again: ") + e.what());
    std::filesystem::remove(path);
    return false;
  }
}

std::optional<UnitResult> Store::load(std::size_t task, std::int64_t index) const {
  if (!complete(task, index)) return std::nullopt;
  const auto path = unit_path(task, index);
  const Task& t = tasks_[task];
  try {
    const h5::File file = h5::File::open(path);
    const h5::Group root = file.root();
    return kinds::visit_kind(
        t.kind, [&](auto kind) { return UnitResult(decltype(kind)::load(root, *job_, t, index)); });
  } catch (const h5::Error& e) {
    report(std::string("unreadable unit file, computing it again: ") + e.what());
    std::filesystem::remove(path);
  }
  return std::nullopt;
}

void Store::save(std::size_t task, std::int64_t index, const UnitResult& result,
                 double seconds) const {
  const Task& t = tasks_[task];
  write_atomically(unit_path(task, index), [&](h5::Group& root) {
    root.set_attribute(schema::kFormatVersionAttribute, schema::kFormatVersion);
    root.set_attribute(schema::kComputeSeconds, seconds);
    root.set_attribute(schema::kUnitTask, std::string_view(t.name));
    root.set_attribute(schema::kUnitKind, name(t.kind));
    root.set_attribute(schema::kUnitIndex, index);
    kinds::visit_kind(t.kind, [&](auto kind) {
      using Kind = decltype(kind);
      Kind::save(root, std::get<typename Kind::Result>(result));
    });
    seal(root);
  });
  std::filesystem::remove(checkpoint_path(task, index));
}

double Store::seconds(std::size_t task, std::int64_t index) const {
  const h5::File file = h5::File::open(unit_path(task, index));
  return file.root().number_attribute(schema::kComputeSeconds);
}

void Store::save_checkpoint(std::size_t task, std::int64_t index,
                            const TrainingState<float>& state) const {
  write_atomically(checkpoint_path(task, index), [&](h5::Group& root) {
    root.set_attribute(schema::kFormatVersionAttribute, schema::kFormatVersion);
    root.set_attribute(schema::kUnitTask, std::string_view(tasks_[task].name));
    root.set_attribute(schema::kUnitIndex, index);
    h5::Group group = root.create_group(schema::kState);
    write_state(group, state);
    seal(root);
  });
}

std::optional<TrainingState<float>> Store::resume_point(std::size_t task,
                                                        std::int64_t index) const {
  for (const auto& path : {checkpoint_path(task, index), unit_path(task, index)}) {
    if (!std::filesystem::exists(path)) continue;
    try {
      const h5::File file = h5::File::open(path);
      const h5::Group root = file.root();
      check_integrity(root, path);
      if (root.group(schema::kState).integer_attribute(schema::kStep) > job_->training->steps)
        continue;
      return kinds::Training::load(root, *job_, tasks_[task], index).state;
    } catch (const h5::Error& e) {
      report(std::string("unreadable checkpoint, starting the replica again: ") + e.what());
      std::filesystem::remove(path);
    }
  }
  return std::nullopt;
}

}  // namespace dropperc
