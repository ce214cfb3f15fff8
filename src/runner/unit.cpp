#include "dropperc/runner/unit.hpp"

#include <algorithm>
#include <queue>
#include <utility>

#include "kinds/kinds.hpp"

namespace dropperc {

std::optional<UnitResult> run_unit(const UnitContext& context, std::int64_t index,
                                   const UnitControl& control,
                                   std::optional<TrainingState<float>> resume) {
  return kinds::visit_kind(context.task->kind, [&](auto kind) {
    return decltype(kind)::run(context, index, control, std::move(resume));
  });
}

double unit_cost(const JobSpec& job, const Task& task, std::int64_t index) {
  return kinds::visit_kind(task.kind,
                           [&](auto kind) { return decltype(kind)::cost(job, task, index); });
}

double unit_memory(const JobSpec& job, const Task& task) {
  return kinds::visit_kind(task.kind, [&](auto kind) { return decltype(kind)::memory(job, task); });
}

std::vector<std::vector<std::int64_t>> slice_owners(const JobSpec& job,
                                                    const std::vector<Task>& tasks,
                                                    std::int64_t count) {
  struct Weighted {
    double cost;
    std::size_t task;
    std::int64_t index;
  };
  std::vector<Weighted> units;
  std::vector<std::vector<std::int64_t>> owners(tasks.size());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    owners[t].resize(static_cast<std::size_t>(tasks[t].units));
    for (std::int64_t u = 0; u < tasks[t].units; ++u)
      units.push_back({unit_cost(job, tasks[t], u), t, u});
  }
  std::stable_sort(units.begin(), units.end(),
                   [](const Weighted& a, const Weighted& b) { return a.cost > b.cost; });
  // (cost so far, slice): the top is the least loaded slice, the lowest index among equals.
  using Load = std::pair<double, std::int64_t>;
  std::priority_queue<Load, std::vector<Load>, std::greater<>> loads;
  for (std::int64_t k = 0; k < count; ++k)
    loads.push({0.0, k});
  for (const Weighted& w : units) {
    auto [cost, slice] = loads.top();
    loads.pop();
    owners[w.task][static_cast<std::size_t>(w.index)] = slice;
    loads.push({cost + w.cost, slice});
  }
  return owners;
}

}  // namespace dropperc
