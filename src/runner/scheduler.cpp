#include "dropperc/runner/scheduler.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <iomanip>
#include <limits>
#include <sstream>
#include <thread>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>

#include "dropperc/io/provenance.hpp"
#include "dropperc/runner/merge.hpp"
#include "dropperc/runner/store.hpp"

namespace dropperc {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int) {
  g_stop_signal = 1;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The protocol's one message type. Workers send `ready` (carrying the unit just finished, if
// any); the coordinator answers `assign`, `finished` or `stop`, and may send `stop` unasked to
// a busy worker. A worker that is leaving says so and waits for no answer.
enum class MessageKind : int { ready, assign, finished, stop };
struct Message {
  MessageKind kind = MessageKind::ready;
  std::int64_t task = -1;
  std::int64_t index = -1;
  double seconds = 0.0;    // ready: compute time of the unit just done
  bool completed = false;  // ready: that unit completed (false: stopped and checkpointed)
  bool leaving = false;    // ready: the worker exits without waiting for an answer

  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& kind& task& index& seconds& completed& leaving;
  }
};
constexpr int kTag = 17;

struct Unit {
  std::size_t task = 0;
  std::int64_t index = 0;
  double cost = 0.0;
};

// Training data, loaded by a rank when its first training unit needs it.
class DataCache {
 public:
  explicit DataCache(const JobSpec& job) : job_(job) {}
  const DataSplit* get() {
    if (!data_) {
      const TrainingSpec& t = *job_.training;
      data_ = t.dataset ? load_dataset(*t.dataset, t.test_fraction, job_.seed)
                        : teacher_student(t.teacher, job_.seed);
    }
    return &*data_;
  }

 private:
  const JobSpec& job_;
  std::optional<DataSplit> data_;
};

// A stop is due on a signal or once the deadline (steady-clock seconds) has passed.
struct StopCondition {
  double deadline = std::numeric_limits<double>::infinity();
  bool due() const { return g_stop_signal != 0 || now() >= deadline; }
};

// Seconds from now until the run must stop: the walltime, or the allocation's end minus a margin.
double time_left(const JobSpec& job, const RunOptions& options) {
  double left = std::numeric_limits<double>::infinity();
  if (const auto walltime = options.walltime ? options.walltime : job.run.walltime)
    left = *walltime;
  if (options.end_time) {
    left = std::min(left, *options.end_time - static_cast<double>(std::time(nullptr)) -
                              options.walltime_margin);
  }
  return left;
}

// Runs one unit (training resumes from its checkpoint) and saves its result; false if stopped.
bool execute(const Store& store, const JobSpec& job, DataCache& cache, const Unit& unit,
             const std::function<bool()>& stop, double& seconds) {
  const Task& task = store.tasks()[unit.task];
  const UnitContext context{&job, &task, task.kind == TaskKind::training ? cache.get() : nullptr};
  UnitControl control;
  control.stop = stop;
  control.interval = job.run.checkpoint_interval;
  control.checkpoint = [&](const TrainingState<float>& s) {
    store.save_checkpoint(unit.task, unit.index, s);
  };
  std::optional<TrainingState<float>> resume;
  if (task.kind == TaskKind::training) resume = store.resume_point(unit.task, unit.index);
  const double start = now();
  const auto result = run_unit(context, unit.index, control, std::move(resume));
  seconds = now() - start;
  if (!result) return false;
  store.save(unit.task, unit.index, *result, seconds);
  return true;
}

// Progress lines at most every `interval` seconds: units done, running, elapsed, and the time
// left estimated from the cost done per second.
class Progress {
 public:
  Progress(const RunOptions& options, std::size_t total, double total_cost)
      : options_(options), total_(total), total_cost_(total_cost), start_(now()), last_(start_) {}

  void done(const Unit& unit) {
    ++done_;
    done_cost_ += unit.cost;
  }
  void report(std::size_t running, bool force = false) {
    const double t = now();
    if (!options_.log || (!force && t - last_ < options_.progress_interval)) return;
    last_ = t;
    const double elapsed = t - start_;
    std::ostringstream line;
    line << "dropperc run: " << done_ << "/" << total_ << " units done, " << running << " running, "
         << static_cast<long long>(elapsed) << " s elapsed, " << std::setprecision(3)
         << static_cast<double>(done_) / elapsed << " units/s";
    if (done_cost_ > 0 && done_ < total_) {
      line << ", about "
           << static_cast<long long>(elapsed * (total_cost_ - done_cost_) / done_cost_)
           << " s left";
    }
    options_.log(line.str());
  }
  double elapsed() const { return now() - start_; }

 private:
  const RunOptions& options_;
  std::size_t total_;
  double total_cost_;
  std::size_t done_ = 0;
  double done_cost_ = 0.0;
  double start_;
  double last_;
};

// The units without a complete result (of the slice, if sliced), largest estimated cost first.
std::deque<Unit> pending_units(const Store& store, const JobSpec& job,
                               const std::optional<Slice>& slice) {
  std::vector<std::vector<std::int64_t>> owners;
  if (slice) owners = slice_owners(job, store.tasks(), slice->count);
  std::vector<Unit> units;
  for (std::size_t t = 0; t < store.tasks().size(); ++t) {
    for (std::int64_t u = 0; u < store.tasks()[t].units; ++u) {
      if (slice && owners[t][static_cast<std::size_t>(u)] != slice->index) continue;
      if (!store.complete(t, u)) units.push_back({t, u, unit_cost(job, store.tasks()[t], u)});
    }
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const Unit& a, const Unit& b) { return a.cost > b.cost; });
  return {units.begin(), units.end()};
}

double total_cost(const std::deque<Unit>& units) {
  double cost = 0.0;
  for (const Unit& u : units)
    cost += u.cost;
  return cost;
}

RunOutcome run_alone(const Store& store, const JobSpec& job, const RunOptions& options,
                     const StopCondition& stop) {
  std::deque<Unit> pending = pending_units(store, job, options.slice);
  Progress progress(options, pending.size(), total_cost(pending));
  DataCache cache(job);
  for (const Unit& unit : pending) {
    if (stop.due()) return RunOutcome::stopped;
    double seconds = 0.0;
    if (!execute(
            store, job, cache, unit, [&] { return stop.due(); }, seconds))
      return RunOutcome::stopped;
    progress.done(unit);
    progress.report(1);
  }
  return RunOutcome::complete;
}

// Rank 0 with workers. Returns the number of messages sent to each worker.
RunOutcome coordinate(const boost::mpi::communicator& world, const Store& store, const JobSpec& job,
                      const RunOptions& options, const StopCondition& stop,
                      std::vector<int>& sent) {
  std::deque<Unit> pending = pending_units(store, job, options.slice);
  Progress progress(options, pending.size(), total_cost(pending));
  const int workers = world.size() - 1;
  std::vector<std::optional<Unit>> running(world.size());
  std::vector<bool> gone(world.size(), false), stop_sent(world.size(), false);
  int active = workers;
  bool stopping = false, interrupted = false;
  double busy_seconds = 0.0;
  auto send = [&](int rank, const Message& m) {
    world.send(rank, kTag, m);
    ++sent[rank];
  };
  while (active > 0) {
    if (!stopping && stop.due()) {
      stopping = true;
      for (int r = 1; r < world.size(); ++r) {
        if (!gone[r] && running[r]) {
          send(r, {MessageKind::stop});
          stop_sent[r] = true;
        }
      }
    }
    const auto status = world.iprobe(boost::mpi::any_source, kTag);
    if (!status) {
      progress.report(static_cast<std::size_t>(workers));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // do not spin the core
      continue;
    }
    Message m;
    world.recv(status->source(), kTag, m);
    const int r = status->source();
    if (running[r]) {
      busy_seconds += m.seconds;
      if (m.completed)
        progress.done(*running[r]);
      else
        interrupted = true;
      running[r].reset();
    }
    if (m.leaving || stop_sent[r]) {
      gone[r] = true;
      --active;
      continue;
    }
    if (stopping || pending.empty()) {
      send(r, {stopping ? MessageKind::stop : MessageKind::finished});
      gone[r] = true;
      --active;
      continue;
    }
    running[r] = pending.front();
    pending.pop_front();
    send(r, {MessageKind::assign, static_cast<std::int64_t>(running[r]->task), running[r]->index});
  }
  const double wall = progress.elapsed();
  if (options.log && busy_seconds > 0 && wall > 0) {
    std::ostringstream line;
    line << "dropperc run: scheduling efficiency "
         << static_cast<int>(std::lround(100 * busy_seconds / (workers * wall)))
         << "% (unit compute time / (" << workers << " workers x " << wall << " s))";
    options.log(line.str());
  }
  return stopping || interrupted || !pending.empty() ? RunOutcome::stopped : RunOutcome::complete;
}

void work(const boost::mpi::communicator& world, const Store& store, const JobSpec& job,
          const StopCondition& stop, int& received) {
  DataCache cache(job);
  Message report;
  bool leaving = false;
  while (true) {
    report.leaving = leaving;
    world.send(0, kTag, report);
    if (leaving) return;
    Message order;
    world.recv(0, kTag, order);
    ++received;
    if (order.kind != MessageKind::assign) return;
    const Unit unit{static_cast<std::size_t>(order.task), order.index, 0.0};
    bool told_to_stop = false;
    // A long unit stops on this rank's own signal or deadline, or when the coordinator says so.
    auto stop_now = [&] {
      if (stop.due()) return true;
      if (world.iprobe(0, kTag)) {
        Message m;
        world.recv(0, kTag, m);
        ++received;
        told_to_stop = m.kind == MessageKind::stop;
      }
      return told_to_stop;
    };
    double seconds = 0.0;
    const bool completed = execute(store, job, cache, unit, stop_now, seconds);
    report = {MessageKind::ready, order.task, order.index, seconds, completed, false};
    leaving = !completed || told_to_stop || stop.due();
  }
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGTERM, SIGUSR1, SIGINT})
    sigaction(signal, &action, nullptr);
}

bool stop_requested() {
  return g_stop_signal != 0;
}

RunOutcome run_job(const JobSpec& job, const RunOptions& options) {
  // Not aborting on exceptions: bad input (JobError, StoreError) is thrown on every rank alike
  // and must end the run cleanly with exit 2; a failure on one rank aborts explicitly below.
  boost::mpi::environment environment(false);
  const boost::mpi::communicator world;
  const std::string started = utc_now();
  const std::vector<Task> tasks = expand(job);

  // Rank 0 prepares the output directory (refusing a changed job); every rank learns the verdict
  // so that bad input ends every rank alike, before anything is computed.
  std::string refusal;
  if (world.rank() == 0) {
    try {
      Store(job, tasks, Store::Role::coordinator, options.force, options.log);
    } catch (const StoreError& e) {
      refusal = e.what();
    }
  }
  boost::mpi::broadcast(world, refusal, 0);
  if (!refusal.empty()) throw StoreError(refusal);

  double left = time_left(job, options);
  boost::mpi::broadcast(world, left, 0);
  const StopCondition stop{now() + left};
  const Store store(job, tasks, Store::Role::worker, false, options.log);

  int outcome = 0;
  try {
    if (world.size() == 1) {
      outcome = static_cast<int>(run_alone(store, job, options, stop));
    } else if (world.rank() == 0) {
      std::vector<int> sent(world.size(), 0);
      outcome = static_cast<int>(coordinate(world, store, job, options, stop, sent));
      int mine = 0;
      boost::mpi::scatter(world, sent, mine, 0);
    } else {
      int received = 0, sent = 0;
      work(world, store, job, stop, received);
      boost::mpi::scatter(world, sent, 0);
      // Collect what the coordinator sent after this rank stopped listening.
      for (; received < sent; ++received) {
        Message m;
        world.recv(0, kTag, m);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropperc run: rank %d failed: %s\n", world.rank(), e.what());
    environment.abort(1);
  }
  boost::mpi::broadcast(world, outcome, 0);
  // Rank 0 merges; a failure there must end every rank, not leave them waiting.
  std::string merge_error;
  if (outcome == static_cast<int>(RunOutcome::complete) && world.rank() == 0 && options.slice) {
    if (options.log) {
      options.log("dropperc run: slice " + std::to_string(options.slice->index) + "/" +
                  std::to_string(options.slice->count) +
                  " complete; once every slice is, `dropperc merge` gathers the results");
    }
  } else if (outcome == static_cast<int>(RunOutcome::complete) && world.rank() == 0) {
    try {
      const auto file = merge_job(store, job, {started, utc_now(), world.size()});
      if (options.log) options.log("dropperc run: complete; results in " + file.string());
    } catch (const std::exception& e) {
      merge_error = e.what();
    }
  }
  boost::mpi::broadcast(world, merge_error, 0);
  if (!merge_error.empty()) throw StoreError("merging the results failed: " + merge_error);
  return static_cast<RunOutcome>(outcome);
}

}  // namespace dropperc
