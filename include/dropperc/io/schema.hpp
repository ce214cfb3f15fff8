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
/// The step at which a run diverged, 0: none (TrainingState::diverged_at); also a kSummary
/// attribute of a run file and a per-replica dataset of a merged training task.
inline constexpr std::string_view kDivergedAt = "diverged_at";
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
inline constexpr std::string_view kStepsDone = "steps";  ///< kSummary attribute of a run file

// An output directory (store.hpp).
inline constexpr std::string_view kFingerprintFile = "fingerprint.txt";
inline constexpr std::string_view kFingerprintLockFile = "fingerprint.lock";
inline constexpr std::string_view kUnitsDirectory = "units";
inline constexpr std::string_view kCheckpointsDirectory = "checkpoints";

// A unit file: root attributes naming the unit, then its result.
inline constexpr std::string_view kUnitTask = "task";
inline constexpr std::string_view kUnitKind = "kind";
inline constexpr std::string_view kUnitIndex = "index";
inline constexpr std::string_view kComputeSeconds = "compute_seconds";  ///< measured, not merged
/// CRC-32C of the rest of the file (h5::Group::checksum), also in checkpoints; files written
/// before it existed have none and are not checked.
inline constexpr std::string_view kChecksum = "checksum";
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
/// [sample, depth]: B_t, the sample reaches hidden layer t iff p < B_t (with survival depths)
inline constexpr std::string_view kSurvivalThresholds = "survival_thresholds";

// A merged job file <name>.h5 (merge.hpp, docs/hdf5-layout.md).
inline constexpr std::string_view kJob = "job";
inline constexpr std::string_view kTasks = "tasks";
inline constexpr std::string_view kTiming = "timing";  ///< the only place for measured times
inline constexpr std::string_view kDescription = "description";  ///< every dataset
inline constexpr std::string_view kUnits = "units";              ///< every dataset: "1", "s", ...

// Attributes of kJob: the run's provenance.
inline constexpr std::string_view kJobName = "name";
inline constexpr std::string_view kJobSeed = "seed";
inline constexpr std::string_view kJobFile = "job_file";  ///< the job file's text
inline constexpr std::string_view kJobFilePath = "job_file_path";
inline constexpr std::string_view kDroppercVersion = "dropperc_version";
inline constexpr std::string_view kGitRevision = "git_revision";
inline constexpr std::string_view kBuild = "build";
inline constexpr std::string_view kStarted = "started";  ///< UTC, ISO 8601
inline constexpr std::string_view kFinished = "finished";
inline constexpr std::string_view kRanks = "ranks";

// Attributes of kTasks/<task>: its parameters; also the columns of the kSummary table.
inline constexpr std::string_view kTaskName = "name";  ///< kSummary only: the group's name
inline constexpr std::string_view kKind = "kind";      ///< percolation, thresholds, training
inline constexpr std::string_view kModel = "model";
inline constexpr std::string_view kWidth = "width";  ///< -1 for a layered network
inline constexpr std::string_view kDepth = "depth";
inline constexpr std::string_view kInputWidth = "input_width";
inline constexpr std::string_view kOutputWidth = "output_width";
/// A layered network's hidden widths, "512,256,128" (absent for a uniform one).
inline constexpr std::string_view kHiddenWidths = "widths";
inline constexpr std::string_view kInputDropout = "input_dropout";  ///< absent: none
/// A network other than the dense MLP (absent for it): topology_text, and its numbers.
inline constexpr std::string_view kTopology = "topology";
inline constexpr std::string_view kConnectivity = "connectivity";  ///< "dense" or "local"
inline constexpr std::string_view kKernel = "kernel";  ///< local only, as the next three
inline constexpr std::string_view kBoundary = "boundary";
inline constexpr std::string_view kDimensions = "dimensions";
inline constexpr std::string_view kChannels = "channels";
inline constexpr std::string_view kResidual = "residual";                 ///< S; 0: no skips
inline constexpr std::string_view kResidualDropout = "residual_dropout";  ///< 1: droppable
inline constexpr std::string_view kWorkUnits = "work_units";
inline constexpr std::string_view kP = "p";
inline constexpr std::string_view kDepthScale = "depth_scale";  ///< a of L = round(a W^power)
inline constexpr std::string_view kKeepScale = "keep_scale";    ///< c of p = 1 - c W^power
inline constexpr std::string_view kBias = "bias";
inline constexpr std::string_view kActivation = "activation";

// Datasets of a percolation task: per observable `name(o)` (sampling.hpp) its mean, with
// kLowSuffix/kHighSuffix (Clopper-Pearson) for probabilities, kStderrSuffix for means.
inline constexpr std::string_view kSampleCount = "samples";
inline constexpr std::string_view kLowSuffix = "_low";
inline constexpr std::string_view kHighSuffix = "_high";
inline constexpr std::string_view kStderrSuffix = "_stderr";
inline constexpr std::string_view kReachable = "reachable";  ///< per layer k = 0..L+1
inline constexpr std::string_view kTheta = "theta";          ///< also a kSummary column

// Datasets of a thresholds task: kDirectedThresholds, kUndirectedThresholds and
// kSurvivalThresholds (as in unit files), and theta on the job's p grid: kCurveP, kDirectedCurve +
// kTheta (+ suffixes), and the same for kUndirectedCurve.
inline constexpr std::string_view kCurveP = "curve_p";
inline constexpr std::string_view kCurveKeep = "curve_keep";  ///< with a keep law: c of each p
/// With survival depths: the hidden layers t of kSurvivalThresholds' columns.
inline constexpr std::string_view kSurvivalDepths = "survival_depths";
/// Attribute of a thresholds task with a floor: its stored thresholds at or below it mean only
/// p* <= floor.
inline constexpr std::string_view kFloor = "floor";
inline constexpr std::string_view kDirectedCurve = "curve_";
inline constexpr std::string_view kUndirectedCurve = "curve_undirected_";

// Datasets of a training task besides the per-step and evaluation columns above, which become
// [replica, step] and [replica, evaluation] matrices; per-replica vectors below.
inline constexpr std::string_view kEvaluationStep = "evaluation_step";
inline constexpr std::string_view kFinalTestLoss = "final_test_loss";
inline constexpr std::string_view kFinalTestAccuracy = "final_test_accuracy";
inline constexpr std::string_view kFinalTrainLoss = "final_train_loss";
inline constexpr std::string_view kFinalTrainAccuracy = "final_train_accuracy";
inline constexpr std::string_view kZeroGradientFraction = "zero_gradient_fraction";
inline constexpr std::string_view kSpanningFractionMean = "spanning_fraction_mean";
inline constexpr std::string_view kStepsToTarget = "steps_to_target";
inline constexpr std::string_view kSamplesPerSecond = "samples_per_second";  ///< kTiming
// kTiming of every task also holds kComputeSeconds: one entry per work unit.

// A lattice task (kind "lattice", lattice.hpp): attributes kModel, kLatticeSize, kWorkUnits;
// datasets kOccupationThresholds (q* per sample: spans iff q > q*) and theta on the job's q grid:
// kCurveQ, kDirectedCurve + kTheta (+ suffixes).
inline constexpr std::string_view kLatticeSize = "size";
inline constexpr std::string_view kOccupationThresholds = "occupation_thresholds";
inline constexpr std::string_view kCurveQ = "curve_q";

// /analysis of a merged job file (dropperc analyze; rewritten whole by every analysis).
inline constexpr std::string_view kAnalysis = "analysis";
inline constexpr std::string_view kCurves = "curves";  ///< table, a row per (task, spanning, p)
inline constexpr std::string_view kAnalysisThresholds = "thresholds";  ///< table, a row per curve
inline constexpr std::string_view kFits = "fits";           ///< table, a row per fitted parameter
inline constexpr std::string_view kFitTasks = "fit_tasks";  ///< table, a row per (fit, task used)
/// table, a row per point of a collapse (and of a kappa fit's collapse in x) at its fit
inline constexpr std::string_view kCollapsePoints = "collapse_points";
inline constexpr std::string_view kKappaSlopes = "kappa_slopes";   ///< table, a row per width
inline constexpr std::string_view kAnalysisTraining = "training";  ///< table, a row per task
inline constexpr std::string_view kSurvival = "survival";    ///< table, a row per (task, t, p)
inline constexpr std::string_view kResamples = "resamples";  ///< group: [resample, parameter] sets
inline constexpr std::string_view kParameterNames = "parameters";  ///< attribute of a resample set
inline constexpr std::string_view kResampleCount = "resample_count";
inline constexpr std::string_view kCreated = "created";

}  // namespace dropperc::schema
