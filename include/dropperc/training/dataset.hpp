#pragma once
// Data sets for training: a teacher-student generator and HDF5 files (docs/training.md).
//
// Features are stored one column per sample (d x n, float), like a batch of mlp.hpp.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "dropperc/core/budget.hpp"
#include "dropperc/training/mlp.hpp"

namespace dropperc {

/// Bad data: the message names the file, the dataset and the offending value or index.
struct DatasetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Dataset {
  LearningTask task = LearningTask::classification;
  Matrix<float> x;          ///< d x n
  std::vector<int> labels;  ///< classification: n labels in [0, classes)
  Matrix<float> targets;    ///< regression: k x n
  int classes = 0;          ///< classification only

  std::int64_t size() const { return x.cols(); }
  int features() const { return static_cast<int>(x.rows()); }
  /// The network's output width: classes, or target components.
  int outputs() const {
    return task == LearningTask::classification ? classes : static_cast<int>(targets.rows());
  }
  Loss loss() const {
    return task == LearningTask::classification ? Loss::cross_entropy : Loss::mse;
  }
  /// The samples at `indices`, as a batch in precision Scalar.
  template <class Scalar>
  void batch(std::span<const std::int64_t> indices, Matrix<Scalar>& x_out,
             BatchTargets<Scalar>& targets_out) const;
};

struct DataSplit {
  Dataset train;
  Dataset test;
};

/// Teacher-student data of `spec` (settings.hpp). Sample s of either part is drawn from its own
/// stream, so the data depend on the seed alone.
DataSplit teacher_student(const TeacherSpec& spec, std::uint64_t seed);

/// Loads an HDF5 data set: /X (float, n x d) and /y (integers, n: classification; or floats,
/// n or n x k: regression), and /X_test, /y_test if present. Without them the test part is the
/// last round(test_fraction n) samples after a shuffle drawn from `seed`. Classes are
/// max(label) + 1 of the two parts. Checks shapes, NaN and infinities, negative labels, a
/// training part of one class, and, before reading, shapes the file does not store (values never
/// written) or that need more than `max_bytes` of memory (default: physical memory); every
/// failure throws DatasetError naming the file, the dataset and the bad value or row.
DataSplit load_dataset(const std::filesystem::path& path, double test_fraction, std::uint64_t seed,
                       double max_bytes = physical_memory_bytes());

}  // namespace dropperc
