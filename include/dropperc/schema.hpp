#pragma once
// Every group, dataset and attribute name that dropperc reads or writes in HDF5 files, in one
// place (docs/hdf5-layout.md describes the layout they make).

#include <cstdint>
#include <string_view>

namespace dropperc::schema {

/// Version of the layout dropperc writes; readers refuse files of a newer version.
inline constexpr std::int64_t kFormatVersion = 1;
inline constexpr std::string_view kFormatVersionAttribute = "dropperc_format_version";

// Data sets for training (dataset.hpp): features n x d, labels n or targets n x k.
inline constexpr std::string_view kFeatures = "X";
inline constexpr std::string_view kLabels = "y";
inline constexpr std::string_view kTestFeatures = "X_test";
inline constexpr std::string_view kTestLabels = "y_test";

// A training state (training.hpp: write_state / read_state), under any group.
inline constexpr std::string_view kStep = "step";
inline constexpr std::string_view kPrecision = "precision";  ///< "float32" or "float64"
inline constexpr std::string_view kTrainingSeconds = "training_seconds";
inline constexpr std::string_view kParameters = "parameters";
inline constexpr std::string_view kVelocity = "velocity";
inline constexpr std::string_view kWeights =
    "weights";                                         ///< kParameters/kWeights/<gap>: rows x cols
inline constexpr std::string_view kBiases = "biases";  ///< kParameters/kBiases/<gap>
inline constexpr std::string_view kStepRecords = "steps";
inline constexpr std::string_view kEvaluations = "evaluations";
// Columns of kStepRecords and kEvaluations (one dataset each, one entry per record).
inline constexpr std::string_view kLoss = "loss";
inline constexpr std::string_view kSpanningFraction = "spanning_fraction";
inline constexpr std::string_view kBackboneWeightFraction = "backbone_weight_fraction";
inline constexpr std::string_view kGradientNorm = "gradient_norm";
inline constexpr std::string_view kZeroGradientSamples = "zero_gradient_samples";
inline constexpr std::string_view kTrainLoss = "train_loss";
inline constexpr std::string_view kTrainAccuracy = "train_accuracy";
inline constexpr std::string_view kTestLoss = "test_loss";
inline constexpr std::string_view kTestAccuracy = "test_accuracy";

// A training run file (dropperc train --out): attributes of the run in kConfig, the state in
// kState, the summary's numbers as attributes of kSummary.
inline constexpr std::string_view kConfig = "config";
inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kSummary = "summary";

// An output directory (store.hpp).
inline constexpr std::string_view kFingerprintFile = "fingerprint.txt";
inline constexpr std::string_view kUnitsDirectory = "units";
inline constexpr std::string_view kCheckpointsDirectory = "checkpoints";

// A unit file: root attributes naming the unit, then its result.
inline constexpr std::string_view kUnitTask = "task";
inline constexpr std::string_view kUnitKind = "kind";
inline constexpr std::string_view kUnitIndex = "index";
inline constexpr std::string_view kComputeSeconds = "compute_seconds";  ///< measured, not merged
inline constexpr std::string_view kFirstSample = "first";  ///< blocks: samples [first, last)
inline constexpr std::string_view kLastSample = "last";
inline constexpr std::string_view kEstimate = "estimate";  ///< percolation block
inline constexpr std::string_view kSamples = "samples";
inline constexpr std::string_view kDirectedSpans = "directed_spans";
inline constexpr std::string_view kUndirectedSpans = "undirected_spans";
inline constexpr std::string_view kMeanCount =
    "mean_count";  ///< per observable (sampling.hpp order)
inline constexpr std::string_view kMeanValue = "mean_value";
inline constexpr std::string_view kMeanSquares = "mean_squares";
inline constexpr std::string_view kReachableCount = "reachable_count";  ///< per layer
inline constexpr std::string_view kReachableValue = "reachable_value";
inline constexpr std::string_view kReachableSquares = "reachable_squares";
inline constexpr std::string_view kDirectedThresholds =
    "directed_thresholds";  ///< thresholds block
inline constexpr std::string_view kUndirectedThresholds = "undirected_thresholds";

// A merged job file <name>.h5 (merge.hpp, docs/hdf5-layout.md).
inline constexpr std::string_view kJob = "job";
inline constexpr std::string_view kTasks = "tasks";
inline constexpr std::string_view kTiming = "timing";  ///< the only place for measured times
inline constexpr std::string_view kDescription = "description";
inline constexpr std::string_view kUnits = "units";

}  // namespace dropperc::schema
