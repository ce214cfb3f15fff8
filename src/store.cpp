#include "dropperc/store.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "dropperc/h5.hpp"
#include "dropperc/schema.hpp"

namespace dropperc {

namespace {

std::string yes_no(bool value) {
  return value ? "true" : "false";
}

// Writes `target` through a temporary file in the same directory and a rename, so the target
// is either the old file or the complete new one.
template <class Write>
void write_atomically(const std::filesystem::path& target, Write write) {
  std::filesystem::create_directories(target.parent_path());
  const std::filesystem::path temporary = temporary_path(target);
  {
    h5::File file = h5::File::create(temporary);
    h5::Group root = file.root();
    write(root);
    file.close();
  }
  std::filesystem::rename(temporary, target);
}

// A lattice task's settings: everything of [lattice] but `samples`, which may grow. The q grid
// counts as a setting like the rest, though only the merged curves depend on it.
std::map<std::string, std::string> lattice_settings(const JobSpec& job, const Task& task) {
  const LatticeSpec& lattice = *job.lattice;
  std::string q;
  for (double v : lattice.q)
    q += (q.empty() ? "" : ", ") + canonical_number(v);
  return {
      {"kind", std::string(name(task.kind))},      {"model", std::string(name(task.lattice_model))},
      {"size", std::to_string(task.lattice_size)}, {"seed", std::to_string(job.seed)},
      {"block", std::to_string(lattice.block)},    {"q", q}};
}

std::map<std::string, std::string> task_settings(const JobSpec& job, const Task& task) {
  if (task.kind == TaskKind::lattice) return lattice_settings(job, task);
  std::map<std::string, std::string> s = {{"kind", std::string(name(task.kind))},
                                          {"model", std::string(name(task.model))},
                                          {"width", std::to_string(task.arch.width)},
                                          {"depth", std::to_string(task.arch.depth)},
                                          {"seed", std::to_string(job.seed)}};
  if (task.kind != TaskKind::thresholds) s["p"] = canonical_number(task.p);
  if (task.kind != TaskKind::training) {
    const PercolationSpec& p = *job.percolation;
    s.insert({{"input_width", std::to_string(task.arch.input_width)},
              {"output_width", std::to_string(task.arch.output_width)},
              {"method", std::string(name(p.method))},
              {"undirected", yes_no(p.undirected)},
              {"block", std::to_string(p.block)}});
    return s;
  }
  const TrainingSpec& t = *job.training;
  s.insert({{"bias", yes_no(task.bias)},
            {"activation", std::string(name(task.activation))},
            {"batch", std::to_string(t.batch)},
            {"learning_rate", canonical_number(t.learning_rate)},
            {"momentum", canonical_number(t.momentum)},
            {"eval_interval", std::to_string(t.eval_interval)},
            {"target_loss", t.target_loss ? canonical_number(*t.target_loss) : "none"},
            {"shared_mask", yes_no(t.shared_mask)},
            {"init", std::string(name(t.initialisation))}});
  if (t.dataset) {
    s.insert(
        {{"dataset", t.dataset->string()}, {"test_fraction", canonical_number(t.test_fraction)}});
  } else {
    const TeacherSpec& teacher = t.teacher;
    s.insert(
        {{"dataset", "teacher-student"},
         {"teacher",
          std::string(name(teacher.task)) + " features=" + std::to_string(teacher.input_width) +
              " outputs=" + std::to_string(teacher.outputs) + " width=" +
              std::to_string(teacher.width) + " depth=" + std::to_string(teacher.depth) +
              " train=" + std::to_string(teacher.train_size) + " test=" +
              std::to_string(teacher.test_size) + " noise=" + canonical_number(teacher.noise)}});
  }
  return s;
}

std::string to_text(const Fingerprint& f) {
  std::ostringstream out;
  out << "# What each task of this directory computes (statistics targets excluded).\n";
  for (const auto& [task, settings] : f) {
    out << "[task " << task << "]\n";
    for (const auto& [key, value] : settings)
      out << key << " = " << value << "\n";
  }
  return out.str();
}

Fingerprint from_text(std::istream& in) {
  Fingerprint f;
  std::map<std::string, std::string>* current = nullptr;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("[task ", 0) == 0 && line.back() == ']') {
      current = &f[line.substr(6, line.size() - 7)];
    } else if (const auto eq = line.find(" = "); current != nullptr && eq != std::string::npos) {
      (*current)[line.substr(0, eq)] = line.substr(eq + 3);
    }
  }
  return f;
}

void write_estimate(h5::Group& group, const PointEstimate& e) {
  group.set_attribute(schema::kSamples, e.samples);
  group.set_attribute(schema::kDirectedSpans, e.directed_spans);
  group.set_attribute(schema::kUndirectedSpans, e.undirected_spans);
  auto write_accumulators = [&](auto first, auto last, std::string_view count_name,
                                std::string_view value_name, std::string_view squares_name) {
    std::vector<std::int64_t> counts;
    std::vector<double> means, squares;
    for (auto it = first; it != last; ++it) {
      const MeanAccumulator::State s = it->state();
      counts.push_back(s.count);
      means.push_back(s.mean);
      squares.push_back(s.squares);
    }
    group.write(count_name, counts);
    group.write(value_name, means);
    group.write(squares_name, squares);
  };
  write_accumulators(e.means.begin(), e.means.end(), schema::kMeanCount, schema::kMeanValue,
                     schema::kMeanSquares);
  write_accumulators(e.reachable.begin(), e.reachable.end(), schema::kReachableCount,
                     schema::kReachableValue, schema::kReachableSquares);
}

std::vector<MeanAccumulator> read_accumulators(const h5::Group& group, std::string_view count_name,
                                               std::string_view value_name,
                                               std::string_view squares_name) {
  const auto counts = group.read<std::int64_t>(count_name);
  const auto means = group.read<double>(value_name);
  const auto squares = group.read<double>(squares_name);
  if (means.size() != counts.size() || squares.size() != counts.size()) {
    throw h5::Error(group.file_name() + ": " + group.path() +
                    ": accumulator columns differ in length");
  }
  std::vector<MeanAccumulator> result;
  for (std::size_t k = 0; k < counts.size(); ++k) {
    result.push_back(MeanAccumulator::from_state({counts[k], means[k], squares[k]}));
  }
  return result;
}

PointEstimate read_estimate(const h5::Group& group, const Task& task) {
  PointEstimate e;
  e.p = task.p;
  e.dropout = Dropout::of(task.model, task.p);
  e.samples = group.integer_attribute(schema::kSamples);
  e.directed_spans = group.integer_attribute(schema::kDirectedSpans);
  e.undirected_spans = group.integer_attribute(schema::kUndirectedSpans);
  const auto means =
      read_accumulators(group, schema::kMeanCount, schema::kMeanValue, schema::kMeanSquares);
  if (means.size() != e.means.size()) {
    throw h5::Error(group.file_name() + ": " + group.path() + ": expected " +
                    std::to_string(e.means.size()) + " observables, found " +
                    std::to_string(means.size()));
  }
  std::copy(means.begin(), means.end(), e.means.begin());
  e.reachable = read_accumulators(group, schema::kReachableCount, schema::kReachableValue,
                                  schema::kReachableSquares);
  if (e.reachable.size() != static_cast<std::size_t>(task.arch.layers())) {
    throw h5::Error(group.file_name() + ": " + group.path() +
                    ": reachable profile has the wrong number of layers");
  }
  return e;
}

// Refuses a block's per-sample values unless there is one per sample of [first, last).
void check_block_length(const std::filesystem::path& path, std::size_t values, std::int64_t first,
                        std::int64_t last) {
  if (values != static_cast<std::size_t>(last - first)) {
    throw h5::Error(path.string() + ": holds " + std::to_string(values) + " thresholds, not " +
                    std::to_string(last - first));
  }
}

void write_range(h5::Group& root, std::int64_t first, std::int64_t last) {
  root.set_attribute(schema::kFirstSample, first);
  root.set_attribute(schema::kLastSample, last);
}

// A stored replica's architecture: W and L from its task, W_in and W_out (the data's) from the
// shapes of its first and last weight matrices; read_state then checks every shape.
Architecture replica_arch_of(const h5::Group& state, const Task& task) {
  const h5::Group weights =
      state.group(std::string(schema::kParameters) + "/" + std::string(schema::kWeights));
  const h5::Shape first = weights.shape("0");
  const h5::Shape last = weights.shape(std::to_string(task.arch.depth));
  if (first.size() != 2 || last.size() != 2) {
    throw h5::Error(state.file_name() + ": " + weights.path() + ": weights are not matrices");
  }
  return {static_cast<int>(first[1]), task.arch.width, task.arch.depth, static_cast<int>(last[0])};
}

}  // namespace

Fingerprint fingerprint(const JobSpec& job, const std::vector<Task>& tasks) {
  Fingerprint f;
  for (const Task& t : tasks)
    f[t.name] = task_settings(job, t);
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

std::filesystem::path temporary_path(const std::filesystem::path& target) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return target.string() + ".tmp." + host + "." + std::to_string(::getpid());
}

Store::Store(const JobSpec& job, std::vector<Task> tasks, Role role, bool force, Log log)
    : job_(&job), tasks_(std::move(tasks)), directory_(job.output), log_(std::move(log)) {
  if (role == Role::worker) return;
  std::filesystem::create_directories(directory_ / schema::kUnitsDirectory);
  std::filesystem::create_directories(directory_ / schema::kCheckpointsDirectory);
  const FingerprintLock lock(directory_, log_);
  const auto path = directory_ / schema::kFingerprintFile;
  const Fingerprint current = fingerprint(job, tasks_);
  if (std::ifstream in(path); in) {
    const auto changes = fingerprint_changes(from_text(in), current);
    if (!changes.empty() && !force) {
      std::string message = directory_.string() + " holds results of a job with other settings (" +
                            std::to_string(changes.size()) +
                            " differences); rerun with --force to " +
                            "discard the changed tasks' results, or use another output directory:";
      for (std::size_t k = 0; k < changes.size() && k < 40; ++k)
        message += "\n  " + changes[k];
      if (changes.size() > 40) message += "\n  ...";
      throw StoreError(message);
    }
    for (const std::string& change : changes) {
      const std::string task = change.substr(0, change.find(':'));
      std::filesystem::remove_all(directory_ / schema::kUnitsDirectory / task);
      std::filesystem::remove_all(directory_ / schema::kCheckpointsDirectory / task);
    }
  }
  const std::string text = to_text(current);
  if (std::ifstream in(path); in && std::string(std::istreambuf_iterator<char>(in), {}) == text)
    return;  // unchanged: runs sharing the directory leave it alone
  const auto temporary = temporary_path(path);
  std::ofstream(temporary) << text;
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
    if (t.kind == TaskKind::training) {
      const std::int64_t step = root.group(schema::kState).integer_attribute(schema::kStep);
      return step == job_->training->steps;  // fewer steps: the job asks for more, continue it
    }
    const auto [first, last] = block_range(*job_, t, index);
    return root.integer_attribute(schema::kFirstSample) == first &&
           root.integer_attribute(schema::kLastSample) == last;
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
    if (t.kind == TaskKind::training) {
      return TrainingReplica{read_state<float>(root.group(schema::kState),
                                               replica_arch_of(root.group(schema::kState), t))};
    }
    const auto [first, last] = block_range(*job_, t, index);
    if (t.kind == TaskKind::percolation)
      return PercolationBlock{first, last, read_estimate(root.group(schema::kEstimate), t)};
    if (t.kind == TaskKind::thresholds) {
      ThresholdBlock block{first, last, root.read<double>(schema::kDirectedThresholds),
                           root.read<double>(schema::kUndirectedThresholds)};
      check_block_length(path, block.directed.size(), first, last);
      return block;
    }
    LatticeBlock block{first, last, root.read<double>(schema::kOccupationThresholds)};
    check_block_length(path, block.thresholds.size(), first, last);
    return block;
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
    if (const auto* block = std::get_if<PercolationBlock>(&result)) {
      write_range(root, block->first, block->last);
      h5::Group estimate = root.create_group(schema::kEstimate);
      write_estimate(estimate, block->estimate);
    } else if (const auto* thresholds = std::get_if<ThresholdBlock>(&result)) {
      write_range(root, thresholds->first, thresholds->last);
      root.write(schema::kDirectedThresholds, thresholds->directed);
      root.write(schema::kUndirectedThresholds, thresholds->undirected);
    } else if (const auto* lattice = std::get_if<LatticeBlock>(&result)) {
      write_range(root, lattice->first, lattice->last);
      root.write(schema::kOccupationThresholds, lattice->thresholds);
    } else {
      h5::Group state = root.create_group(schema::kState);
      write_state(state, std::get<TrainingReplica>(result).state);
    }
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
  });
}

std::optional<TrainingState<float>> Store::resume_point(std::size_t task,
                                                        std::int64_t index) const {
  for (const auto& path : {checkpoint_path(task, index), unit_path(task, index)}) {
    if (!std::filesystem::exists(path)) continue;
    try {
      const h5::File file = h5::File::open(path);
      const h5::Group state = file.root().group(schema::kState);
      if (state.integer_attribute(schema::kStep) > job_->training->steps) continue;
      return read_state<float>(state, replica_arch_of(state, tasks_[task]));
    } catch (const h5::Error& e) {
      report(std::string("unreadable checkpoint, starting the replica again: ") + e.what());
      std::filesystem::remove(path);
    }
  }
  return std::nullopt;
}

}  // namespace dropperc
