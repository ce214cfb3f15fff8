#include "dropperc/training/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "dropperc/core/budget.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/io/schema.hpp"

namespace dropperc {

namespace {

// Labels beyond this are surely a mistake (a float column read as labels, say).
constexpr std::int64_t kMaxClasses = std::int64_t{1} << 20;

std::string where(const std::filesystem::path& file, std::string_view dataset) {
  return file.string() + ": /" + std::string(dataset);
}

// One part (train or test) of a file: features and labels or targets.
struct Part {
  Matrix<float> x;
  std::vector<int> labels;
  Matrix<float> targets;
  LearningTask task = LearningTask::classification;
};

// Refuses, before reading, a dataset whose declared shape the file cannot back or this machine
// cannot hold: `bytes_per_value` as read, against the memory limit; and the values' bytes as the
// file types them against the bytes it stores (deflate compresses at most 1032:1, so a file
// storing less than 1/2048 of them declared a shape it never wrote).
void require_plausible_size(const h5::Group& root, const std::filesystem::path& file,
                            std::string_view name, double bytes_per_value, double max_bytes) {
  const h5::Shape shape = root.shape(name);
  double values = 1.0;
  std::string dims;
  for (std::uint64_t n : shape) {
    values *= static_cast<double>(n);
    dims += (dims.empty() ? "" : " x ") + std::to_string(n);
  }
  const double bytes = values * bytes_per_value;
  const double stored = static_cast<double>(root.storage_size(name));
  if (values > 0 && stored * 2048.0 < values * static_cast<double>(root.element_size(name))) {
    throw DatasetError(where(file, name) + ": declares shape " + dims + " but the file stores " +
                       std::to_string(root.storage_size(name)) +
                       " bytes of its values (never written, or truncated)");
  }
  try {
    Limits limits;
    limits.memory_bytes = max_bytes;
    require_memory(bytes, limits, where(file, name) + " (shape " + dims + ")");
  } catch (const BudgetError& e) {
    throw DatasetError(e.what());
  }
}

// Throws DatasetError at the first NaN or infinity of a row-major n x columns array.
void require_finite(const std::vector<float>& values, std::uint64_t columns,
                    const std::filesystem::path& file, std::string_view dataset) {
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k])) {
      throw DatasetError(where(file, dataset) + ": row " + std::to_string(k / columns) +
                         ", column " + std::to_string(k % columns) + " is " +
                         std::to_string(values[k]) + "; values must be finite");
    }
  }
}

// Features: n x d row-major in the file is exactly d x n column-major in memory.
Matrix<float> read_features(const h5::Group& root, const std::filesystem::path& file,
                            std::string_view name, double max_bytes) {
  if (!root.contains(name)) {
    throw DatasetError(where(file, name) + ": missing (expected features, a float n x d array)");
  }
  const h5::Shape shape = root.shape(name);
  if (shape.size() != 2 || shape[0] == 0 || shape[1] == 0) {
    throw DatasetError(where(file, name) + ": expected a non-empty n x d array, got " +
                       std::to_string(shape.size()) + " dimensions");
  }
  // Read as float, then copied into the matrix.
  require_plausible_size(root, file, name, 8.0, max_bytes);
  const auto values = root.read<float>(name);
  require_finite(values, shape[1], file, name);
  return Eigen::Map<const Matrix<float>>(values.data(), static_cast<Eigen::Index>(shape[1]),
                                         static_cast<Eigen::Index>(shape[0]));
}

Part read_part(const h5::Group& root, const std::filesystem::path& file, std::string_view x_name,
               std::string_view y_name, double max_bytes) {
  Part part;
  part.x = read_features(root, file, x_name, max_bytes);
  const auto n = static_cast<std::uint64_t>(part.x.cols());
  if (!root.contains(y_name)) {
    throw DatasetError(where(file, y_name) +
                       ": missing (expected n integer labels or n x k float targets)");
  }
  const h5::Shape shape = root.shape(y_name);
  if (shape.empty() || shape.size() > 2 || shape[0] != n) {
    throw DatasetError(where(file, y_name) + ": expected " + std::to_string(n) +
                       " rows to match /" + std::string(x_name) + ", got shape with " +
                       (shape.empty() ? std::string("no") : std::to_string(shape[0])) + " rows");
  }
  require_plausible_size(root, file, y_name, 8.0, max_bytes);
  if (root.element_kind(y_name) == h5::ElementKind::integer && shape.size() == 1) {
    for (std::int64_t label : root.read<std::int64_t>(y_name)) {
      if (label < 0 || label >= kMaxClasses) {
        throw DatasetError(where(file, y_name) + ": row " + std::to_string(part.labels.size()) +
                           " has label " + std::to_string(label) + "; labels must lie in [0, " +
                           std::to_string(kMaxClasses) + ")");
      }
      part.labels.push_back(static_cast<int>(label));
    }
    return part;
  }
  if (root.element_kind(y_name) != h5::ElementKind::floating) {
    throw DatasetError(where(file, y_name) +
                       ": expected integer labels (n) or float targets (n or n x k)");
  }
  part.task = LearningTask::regression;
  const std::uint64_t k = shape.size() == 2 ? shape[1] : 1;
  const auto values = root.read<float>(y_name);
  require_finite(values, k, file, y_name);
  part.targets = Eigen::Map<const Matrix<float>>(values.data(), static_cast<Eigen::Index>(k),
                                                 static_cast<Eigen::Index>(n));
  return part;
}

Dataset to_dataset(Part part, int classes) {
  Dataset d;
  d.task = part.task;
  d.x = std::move(part.x);
  d.labels = std::move(part.labels);
  d.targets = std::move(part.targets);
  d.classes = part.task == LearningTask::classification ? classes : 0;
  return d;
}

// The columns of a part at `indices`.
Part select(const Part& part, std::span<const std::int64_t> indices) {
  Part out;
  out.task = part.task;
  out.x.resize(part.x.rows(), static_cast<Eigen::Index>(indices.size()));
  if (part.task == LearningTask::regression) out.targets.resize(part.targets.rows(), out.x.cols());
  for (std::size_t c = 0; c < indices.size(); ++c) {
    const auto s = static_cast<Eigen::Index>(indices[c]);
    out.x.col(static_cast<Eigen::Index>(c)) = part.x.col(s);
    if (part.task == LearningTask::classification)
      out.labels.push_back(part.labels[indices[c]]);
    else
      out.targets.col(static_cast<Eigen::Index>(c)) = part.targets.col(s);
  }
  return out;
}

// Holds out the last round(fraction n) samples of a seeded shuffle (Fisher-Yates).
std::pair<Part, Part> split(const Part& all, double fraction, std::uint64_t seed,
                            const std::filesystem::path& file) {
  const std::int64_t n = all.x.cols();
  const auto test = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n)));
  if (test < 1 || test >= n) {
    throw DatasetError(file.string() + ": holding out a fraction " + std::to_string(fraction) +
                       " of " + std::to_string(n) + " samples leaves an empty part; give /" +
                       std::string(schema::kTestFeatures) + " or another test fraction");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  RandomStream rng({seed, stream_id(StreamDomain::split, 0), 0, 0});
  for (std::int64_t i = n - 1; i > 0; --i) {
    std::swap(order[i], order[draw_below(rng, static_cast<std::uint64_t>(i + 1))]);
  }
  const std::span<const std::int64_t> all_indices(order);
  return {select(all, all_indices.first(n - test)), select(all, all_indices.last(test))};
}

// A classification learns nothing from one class (its loss is minimised by a constant output).
void require_two_classes(const Part& train, const std::filesystem::path& file) {
  if (train.task != LearningTask::classification || train.labels.empty()) return;
  const int first = train.labels.front();
  if (std::ranges::all_of(train.labels, [&](int label) { return label == first; })) {
    throw DatasetError(where(file, schema::kLabels) + ": every training label is " +
                       std::to_string(first) + "; a classification needs at least two classes");
  }
}

int class_count(const Part& a, const Part& b) {
  int top = -1;
  for (int label : a.labels)
    top = std::max(top, label);
  for (int label : b.labels)
    top = std::max(top, label);
  return top + 1;
}

}  // namespace

template <class Scalar>
void Dataset::batch(std::span<const std::int64_t> indices, Matrix<Scalar>& x_out,
                    BatchTargets<Scalar>& targets_out) const {
  const auto size = static_cast<Eigen::Index>(indices.size());
  x_out.resize(x.rows(), size);
  targets_out.labels.clear();
  if (task == LearningTask::regression) targets_out.values.resize(targets.rows(), size);
  for (Eigen::Index c = 0; c < size; ++c) {
    const auto s = static_cast<Eigen::Index>(indices[static_cast<std::size_t>(c)]);
    x_out.col(c) = x.col(s).template cast<Scalar>();
    if (task == LearningTask::classification)
      targets_out.labels.push_back(labels[static_cast<std::size_t>(s)]);
    else
      targets_out.values.col(c) = targets.col(s).template cast<Scalar>();
  }
}

DataSplit teacher_student(const TeacherSpec& spec, std::uint64_t seed) {
  const MlpSpec teacher{spec.architecture(), Activation::tanh, false, Initialisation::he};
  RandomStream init({seed, stream_id(StreamDomain::teacher, 0), 0, 0});
  const Parameters<double> weights = initial_parameters<double>(teacher, init);

  // Part 0 is the training set, part 1 the test set; sample s of a part has its own stream.
  auto make = [&](std::int64_t size, std::uint64_t part) {
    Matrix<double> x(spec.input_width, size);
    std::vector<RandomStream> streams;
    for (std::int64_t s = 0; s < size; ++s) {
      streams.emplace_back(
          StreamKey{seed, stream_id(StreamDomain::data, part), static_cast<std::uint64_t>(s), 0});
      for (int i = 0; i < spec.input_width; ++i)
        x(i, s) = draw_normal(streams.back());
    }
    const Matrix<double> y = predict(teacher, weights, x);
    Dataset d;
    d.task = spec.task;
    d.x = x.cast<float>();
    if (spec.task == LearningTask::classification) {
      d.classes = spec.outputs;
      for (std::int64_t s = 0; s < size; ++s) {
        Eigen::Index top = 0;
        y.col(s).maxCoeff(&top);
        d.labels.push_back(static_cast<int>(top));
      }
    } else {
      d.targets = y.cast<float>();
      for (std::int64_t s = 0; s < size; ++s) {
        for (int k = 0; k < spec.outputs; ++k) {
          d.targets(k, s) +=
              static_cast<float>(spec.noise * draw_normal(streams[static_cast<std::size_t>(s)]));
        }
      }
    }
    return d;
  };
  return {make(spec.train_size, 0), make(spec.test_size, 1)};
}

DataSplit load_dataset(const std::filesystem::path& path, double test_fraction, std::uint64_t seed,
                       double max_bytes) {
  try {
    const h5::File file = h5::File::open(path);
    const h5::Group root = file.root();
    const Part all = read_part(root, path, schema::kFeatures, schema::kLabels, max_bytes);
    Part train, test;
    if (root.contains(schema::kTestFeatures)) {
      train = all;
      test = read_part(root, path, schema::kTestFeatures, schema::kTestLabels, max_bytes);
      if (test.x.rows() != train.x.rows() || test.task != train.task ||
          test.targets.rows() != train.targets.rows()) {
        throw DatasetError(where(path, schema::kTestFeatures) + ": the test part has " +
                           std::to_string(test.x.rows()) + " features and task " +
                           std::string(name(test.task)) + ", the training part " +
                           std::to_string(train.x.rows()) + " and " +
                           std::string(name(train.task)));
      }
    } else {
      std::tie(train, test) = split(all, test_fraction, seed, path);
    }
    require_two_classes(train, path);
    const int classes = class_count(train, test);
    return {to_dataset(std::move(train), classes), to_dataset(std::move(test), classes)};
  } catch (const h5::Error& e) {
    throw DatasetError(e.what());
  }
}

template void Dataset::batch<float>(std::span<const std::int64_t>, Matrix<float>&,
                                    BatchTargets<float>&) const;
template void Dataset::batch<double>(std::span<const std::int64_t>, Matrix<double>&,
                                     BatchTargets<double>&) const;

}  // namespace dropperc
