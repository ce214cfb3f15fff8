#include "support/run_in_process.hpp"

#include <optional>

#include "dropperc/io/provenance.hpp"
#include "dropperc/runner/merge.hpp"
#include "dropperc/runner/store.hpp"
#include "dropperc/runner/unit.hpp"

namespace dropperc {

std::filesystem::path run_in_process(const JobSpec& job) {
  const std::vector<Task> tasks = expand(job);
  const Store store(job, tasks, Store::Role::coordinator);
  std::optional<DataSplit> data;
  if (job.training) data = teacher_student(job.training->teacher, job.seed);
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    for (std::int64_t u = 0; u < tasks[t].units; ++u)
      store.save(t, u, *run_unit({&job, &tasks[t], data ? &*data : nullptr}, u, {}));
  }
  return merge_job(store, job, {utc_now(), utc_now(), 1});
}

}  // namespace dropperc
