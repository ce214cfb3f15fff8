#include "contents.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include "dropperc/core/sampling.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc::detail {

namespace {

// The task's network: uniform (width, depth), or layered (widths).
Architecture architecture_of(const h5::Group& g) {
  auto attribute = [&](std::string_view name) {
    return static_cast<int>(g.integer_attribute(name));
  };
  if (!g.has_attribute(schema::kHiddenWidths)) {
    return {attribute(schema::kInputWidth), attribute(schema::kWidth), attribute(schema::kDepth),
            attribute(schema::kOutputWidth)};
  }
  try {
    Architecture arch = Architecture::layered(
        attribute(schema::kInputWidth), parse_widths(g.string_attribute(schema::kHiddenWidths)),
        attribute(schema::kOutputWidth));
    validate(arch);
    return arch;
  } catch (const std::invalid_argument& e) {
    throw h5::Error(g.file_name() + ": " + g.path() + ": attribute " +
                    std::string(schema::kHiddenWidths) + ": " + e.what());
  }
}

// The task's topology (schema.hpp): the dense MLP when it has none, as files before them.
Topology topology_of(const h5::Group& g) {
  Topology t;
  if (!g.has_attribute(schema::kConnectivity)) return t;
  auto integer = [&](std::string_view name) { return static_cast<int>(g.integer_attribute(name)); };
  const auto connectivity = parse_connectivity(g.string_attribute(schema::kConnectivity));
  if (!connectivity) {
    throw h5::Error(g.file_name() + ": " + g.path() + ": attribute " +
                    std::string(schema::kConnectivity) + ": unknown connectivity");
  }
  t.connectivity = *connectivity;
  if (t.connectivity == Connectivity::local) {
    t.kernel = integer(schema::kKernel);
    const auto boundary = parse_boundary(g.string_attribute(schema::kBoundary));
    if (!boundary) {
      throw h5::Error(g.file_name() + ": " + g.path() + ": attribute " +
                      std::string(schema::kBoundary) + ": unknown boundary");
    }
    t.boundary = *boundary;
    t.dimensions = integer(schema::kDimensions);
    t.channels = integer(schema::kChannels);
  }
  t.residual = integer(schema::kResidual);
  if (t.residual > 0) t.residual_dropout = g.integer_attribute(schema::kResidualDropout) != 0;
  try {
    validate(t, architecture_of(g));
  } catch (const std::invalid_argument& e) {
    throw h5::Error(g.file_name() + ": " + g.path() + ": its topology: " + e.what());
  }
  return t;
}

double input_dropout_of(const h5::Group& g) {
  return g.has_attribute(schema::kInputDropout) ? g.number_attribute(schema::kInputDropout) : 0.0;
}

std::vector<double> optional_vector(const h5::Group& g, std::string_view name) {
  return g.contains(name) ? g.read<double>(name) : std::vector<double>{};
}

double depth_scale_of(const h5::Group& g) {
  return g.has_attribute(schema::kDepthScale) ? g.number_attribute(schema::kDepthScale) : kNaN;
}

// A percolation task of a keep law that measured the extinction depth, else nullopt.
std::optional<KeepLawTask> keep_law_task(const std::string& task, const h5::Group& g) {
  const std::string depth(name(Observable::extinction_depth));
  const std::string error = depth + std::string(schema::kStderrSuffix);
  if (!g.has_attribute(schema::kKeepScale) || !g.contains(depth) || !g.contains(error))
    return std::nullopt;
  KeepLawTask t{task,
                g.string_attribute(schema::kModel),
                architecture_of(g),
                g.number_attribute(schema::kP),
                g.number_attribute(schema::kKeepScale),
                depth_scale_of(g),
                input_dropout_of(g)};
  t.topology = topology_of(g);
  t.extinction_depth = g.read<double>(depth).at(0);
  t.extinction_depth_error = g.read<double>(error).at(0);
  return t;
}

}  // namespace

Contents read_contents(const h5::Group& root) {
  Contents c;
  c.seed = static_cast<std::uint64_t>(root.group(schema::kJob).integer_attribute(schema::kJobSeed));
  const h5::Group tasks = root.group(schema::kTasks);
  for (const std::string& name : tasks.members()) {
    const h5::Group g = tasks.group(name);
    const std::string kind = g.string_attribute(schema::kKind);
    if (kind == "thresholds") {
      ThresholdTask t;
      t.name = name;
      t.model = g.string_attribute(schema::kModel);
      t.arch = architecture_of(g);
      t.p_input = input_dropout_of(g);
      t.topology = topology_of(g);
      t.thresholds[0] = g.read<double>(schema::kDirectedThresholds);
      t.thresholds[1] = optional_vector(g, schema::kUndirectedThresholds);
      t.depth_scale = depth_scale_of(g);
      t.curve_keep = optional_vector(g, schema::kCurveKeep);
      t.curve_p = optional_vector(g, schema::kCurveP);
      if (g.has_attribute(schema::kFloor)) t.floor = g.number_attribute(schema::kFloor);
      if (g.contains(schema::kSurvivalThresholds)) {
        t.survival.depths = g.read<double>(schema::kSurvivalDepths);
        t.survival.thresholds = g.read<double>(schema::kSurvivalThresholds);
        const std::vector<double>& d = t.survival.depths;
        if (d.empty() || !std::is_sorted(d.begin(), d.end()) ||
            t.survival.thresholds.size() != d.size() * t.thresholds[0].size()) {
          throw h5::Error("task " + name + ": " + std::string(schema::kSurvivalThresholds) +
                          " is not one row of " + std::string(schema::kSurvivalDepths) +
                          " (ascending) per sample");
        }
      }
      c.thresholds.push_back(std::move(t));
    } else if (kind == "percolation") {
      if (auto t = keep_law_task(name, g)) c.keep_law.push_back(std::move(*t));
    } else if (kind == "lattice") {
      c.lattice.push_back({name, "lattice_" + g.string_attribute(schema::kModel),
                           g.integer_attribute(schema::kLatticeSize),
                           g.read<double>(schema::kOccupationThresholds)});
    } else if (kind == "training") {
      TrainingTask t;
      t.name = name;
      t.model = g.string_attribute(schema::kModel);
      t.activation = g.string_attribute(schema::kActivation);
      t.arch = architecture_of(g);
      t.p = g.number_attribute(schema::kP);
      t.p_input = input_dropout_of(g);
      t.topology = topology_of(g);
      t.bias = g.integer_attribute(schema::kBias);
      t.test_loss = g.read<double>(schema::kFinalTestLoss);
      t.test_accuracy = g.read<double>(schema::kFinalTestAccuracy);
      t.zero_gradient = g.read<double>(schema::kZeroGradientFraction);
      t.steps_to_target = g.read<double>(schema::kStepsToTarget);
      t.diverged_at = optional_vector(g, schema::kDivergedAt);
      c.training.push_back(std::move(t));
    }
  }
  return c;
}

bool in_families(const Architecture& arch, double p_input, const Topology& topology) {
  return arch.is_uniform() && p_input == 0.0 && topology.is_dense_mlp();
}

ScanLine scan_line(const std::string& model, double p_input) {
  return ScanLine::of(*parse_dropout_model(model), p_input);
}

std::vector<double> pick(const std::vector<double>& values, const std::vector<std::size_t>& at) {
  std::vector<double> chosen;
  chosen.reserve(at.size());
  for (std::size_t i : at)
    chosen.push_back(values[i]);
  return chosen;
}
std::vector<const ThresholdTask*> select(const Contents& c, const std::string& model, int s) {
  std::vector<const ThresholdTask*> chosen;
  for (const ThresholdTask& t : c.thresholds) {
    if (t.model == model && !t.thresholds[s].empty() && in_families(t.arch, t.p_input, t.topology))
      chosen.push_back(&t);
  }
  return chosen;
}

std::vector<std::size_t> sample_counts(const std::vector<const ThresholdTask*>& tasks, int s) {
  std::vector<std::size_t> counts;
  for (const ThresholdTask* t : tasks)
    counts.push_back(t->thresholds[s].size());
  return counts;
}

// The data themselves as a resample: every sample of every task, in order.
Resample every_sample(const std::vector<const ThresholdTask*>& tasks, int s) {
  Resample all;
  for (const ThresholdTask* t : tasks) {
    all.emplace_back(t->thresholds[s].size());
    std::iota(all.back().begin(), all.back().end(), std::size_t{0});
  }
  return all;
}

std::vector<std::string> task_names(const std::vector<const ThresholdTask*>& tasks) {
  std::vector<std::string> names;
  for (const ThresholdTask* t : tasks)
    names.push_back(t->name);
  return names;
}

// The input width the tasks share, else NaN.
double shared_input_width(const std::vector<const ThresholdTask*>& tasks) {
  for (const ThresholdTask* t : tasks) {
    if (t->arch.input_width != tasks.front()->arch.input_width) return kNaN;
  }
  return tasks.front()->arch.input_width;
}

}  // namespace dropperc::detail
