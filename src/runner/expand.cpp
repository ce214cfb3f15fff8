// expand(): a job's grid and lattice as tasks, in a fixed order (job.hpp).

#include <set>
#include <string_view>

#include "grid.hpp"
#include "task_names.hpp"

#include "dropperc/runner/job.hpp"

namespace dropperc {

namespace {

// Work units of `samples` samples in blocks of `block`: the last block takes the remainder.
std::int64_t blocks(std::int64_t samples, std::int64_t block) {
  return (samples + block - 1) / block;
}

// One task per (model, size), in the order of the file.
std::vector<Task> lattice_tasks(const LatticeSpec& lattice) {
  std::vector<Task> tasks;
  for (LatticeModel m : lattice.models) {
    for (int size : lattice.sizes) {
      Task t;
      t.name = lattice_task_name(m, size);
      t.kind = TaskKind::lattice;
      t.units = blocks(lattice.samples, lattice.block);
      t.lattice_model = m;
      t.lattice_size = size;
      tasks.push_back(t);
    }
  }
  return tasks;
}

// The grid as percolation and thresholds tasks see it: in a job that trains, W_in and W_out are
// the data's (a data set's features and classes, or the teacher's) unless [grid] sets them, so
// that theta describes the networks that are trained; their names then carry _in and _out, as
// when the grid sets them.
GridSpec percolation_grid(const JobSpec& job) {
  GridSpec g = job.grid;
  if (job.training) {
    if (!g.input_width) g.input_width = job.training->teacher.input_width;
    if (!g.output_width) g.output_width = job.training->teacher.outputs;
  }
  return g;
}

// The tasks of one network of the grid (model, shape, topology), in order: its thresholds task,
// then at each p its percolation task and its training tasks.
void add_network_tasks(const JobSpec& job, const GridSpec& percolation, DropoutModel m,
                       const GridShape& shape, const Topology& topology, std::vector<Task>& tasks) {
  const GridSpec& g = job.grid;
  auto add = [&](Task t) {
    t.p_input = g.input_dropout;
    t.topology = topology;
    t.depth_scale = shape.depth_scale;
    tasks.push_back(std::move(t));
  };
  const Architecture arch = shape.architecture(percolation.input_width, percolation.output_width);
  GridPoint point{
      m, shape.width, shape.depth, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0};
  if (topology.connectivity == Connectivity::local) point.kernel = topology.kernel;
  point.residual = topology.residual;
  if (job.percolation && job.percolation->thresholds && !matches_any(g.skip, point)) {
    Task t{thresholds_task_name(percolation, m, shape, topology), TaskKind::thresholds, arch, m};
    t.units = blocks(job.percolation->samples, job.percolation->block);
    add(t);
  }
  for (const GridValue& drop : p_at(g, shape.width)) {
    const double p = drop.value;
    point.p = p;
    if (job.percolation && job.percolation->per_p && !matches_any(g.skip, point)) {
      Task t{percolation_task_name(percolation, m, shape, topology, p), TaskKind::percolation, arch,
             m, p};
      t.units = blocks(job.percolation->samples, job.percolation->block);
      t.keep = drop.scale;
      add(t);
    }
    if (!job.training) continue;
    for (bool bias : g.biases) {
      for (Activation a : g.activations) {
        point.bias = bias;
        point.activation = a;
        const std::vector<PointRule>& only = job.training->only;
        if (matches_any(g.skip, point) || (!only.empty() && !matches_any(only, point))) continue;
        const TeacherSpec& teacher = job.training->teacher;
        Task t{training_task_name(g, m, shape, topology, p, bias, a), TaskKind::training,
               shape.architecture(teacher.input_width, teacher.outputs), m, p};
        t.bias = bias;
        t.activation = a;
        t.units = job.training->replicas;
        t.keep = drop.scale;
        add(t);
      }
    }
    point.bias.reset();
    point.activation.reset();
  }
}

}  // namespace

std::vector<Task> expand(const JobSpec& job) {
  const GridSpec& g = job.grid;
  const GridSpec percolation = percolation_grid(job);
  std::vector<Task> tasks;
  for (DropoutModel m : g.models) {
    for (const GridShape& shape : shapes(g)) {
      for (const Topology& topology : g.topologies)
        add_network_tasks(job, percolation, m, shape, topology, tasks);
    }
  }
  if (job.lattice) {
    const std::vector<Task> lattice = lattice_tasks(*job.lattice);
    tasks.insert(tasks.end(), lattice.begin(), lattice.end());
  }
  // Results are stored and merged by name: two tasks of one name would collide after the work.
  std::set<std::string_view> names;
  for (const Task& t : tasks) {
    if (!names.insert(t.name).second)
      throw JobError(job.file.string() + ": two tasks would be named " + t.name +
                     ": give each grid and lattice value once");
  }
  return tasks;
}

}  // namespace dropperc
