// The estimates made before any work, and the refusals they lead to.

#include <string>

#include <gtest/gtest.h>

#include "dropperc/core/budget.hpp"
#include "dropperc/core/rng.hpp"

namespace dropperc {
namespace {

std::string refusal(auto&& check) {
  try {
    check();
  } catch (const BudgetError& e) {
    return e.what();
  }
  return "";
}

TEST(Budget, PhysicalMemoryIsPlausible) {
  const double bytes = physical_memory_bytes();
  EXPECT_GT(bytes, 1e8);
  EXPECT_LT(bytes, 1e14);
  EXPECT_EQ(Limits{}.memory_bytes, bytes);
  EXPECT_EQ(Limits{}.core_hours, kCommandCoreHours);
}

// The message says the estimate, the limit and the option that raises it.
TEST(Budget, RefusalsSayEstimateLimitAndOption) {
  Limits limits;
  limits.memory_bytes = 2e9;
  limits.core_hours = 3;
  EXPECT_EQ(refusal([&] { require_memory(2e9, limits, "x"); }), "");
  const std::string memory = refusal([&] { require_memory(5e12, limits, "a sample"); });
  EXPECT_NE(memory.find("a sample needs about 5e+03 GB"), std::string::npos) << memory;
  EXPECT_NE(memory.find("limit of 2 GB"), std::string::npos) << memory;
  EXPECT_NE(memory.find("--max-memory"), std::string::npos) << memory;
  EXPECT_EQ(refusal([&] { require_time(3, limits, "x"); }), "");
  const std::string time = refusal([&] { require_time(7.5, limits, "the job"); });
  EXPECT_NE(time.find("the job needs about 7.5 core-hours"), std::string::npos) << time;
  EXPECT_NE(time.find("limit of 3"), std::string::npos) << time;
  EXPECT_NE(time.find("--max-hours"), std::string::npos) << time;
}

// A thresholds block keeps per-unit labels and at most an eighth of the edges (the widest-path
// search), not every edge sorted: 7 bytes per edge, against 24 for a per-p sample.
TEST(Budget, ThresholdBlocksHoldAnEighthOfTheEdges) {
  const Architecture arch = Architecture::uniform(64, 4096);
  const double edges = static_cast<double>(arch.edges());
  const double units = static_cast<double>(arch.units());
  EXPECT_EQ(threshold_sample_bytes(arch, DropoutModel::bond, true), 32 * units + 7 * edges);
  EXPECT_EQ(threshold_sample_bytes(arch, DropoutModel::bond, false), 32 * units);
  EXPECT_EQ(threshold_sample_bytes(arch, DropoutModel::site, true), 32 * units);
  EXPECT_LT(threshold_sample_bytes(arch, DropoutModel::bond, true),
            sample_bytes(arch, DropoutModel::bond, Method::thresholds, true) / 3);
}

// A 10^6 x 10^6 network: estimates are finite, absurd, and computed without overflow.
TEST(Budget, AbsurdNetworksGiveAbsurdEstimates) {
  const Architecture huge{1000000, 1000000, 1000000, 1000000};
  EXPECT_GT(chain_bytes(huge), 8e12);   // (10^6 + 1)^2 doubles
  EXPECT_GT(chain_seconds(huge), 1e8);  // 10^6 gaps of 10^12 terms
  for (Method method : {Method::masks, Method::thresholds, Method::fast}) {
    EXPECT_GT(sample_bytes(huge, DropoutModel::bond, method, false), 1e12);
    EXPECT_GT(sample_seconds(huge, DropoutModel::bond, method, false), 1e3);
  }
  EXPECT_GT(training_bytes(huge, 32, 1000, 1), 1e18);
  EXPECT_GT(teacher_data_bytes(huge, 1), 8e18);
  EXPECT_GT(training_seconds(huge, DropoutModel::bond, 0.5, false, 1000, 32), 1e12);
}

// The cost models are those the scheduler orders units by (docs/performance.md, "Scheduling"):
// nanoseconds per sample proportional to the weights (bond) or units (site).
TEST(Budget, CostModelsFollowTheNetworkSize) {
  const Architecture a{4, 4, 3, 4};  // 16 + 2 x 16 + 16 = 64 weights, 20 units
  EXPECT_DOUBLE_EQ(sample_seconds(a, DropoutModel::bond, Method::thresholds, false), 640e-9);
  EXPECT_DOUBLE_EQ(sample_seconds(a, DropoutModel::bond, Method::thresholds, true),
                   640e-9 + 70 * 64e-9);
  EXPECT_DOUBLE_EQ(sample_seconds(a, DropoutModel::site, Method::fast, false), 40e-9);
  EXPECT_DOUBLE_EQ(threshold_sample_seconds(a, DropoutModel::site_bond, Method::fast, false),
                   640e-9);
  // Training: 0.3 ns per weight with a shared mask, plus 15 per unit, per example.
  EXPECT_DOUBLE_EQ(training_seconds(a, DropoutModel::bond, 0.5, true, 10, 2),
                   1e-9 * 20 * (64 * 0.3 + 15 * 20));
  // The chain's tables: (W + 1)^2 doubles, three at once; and two profiles over the 5 layers.
  EXPECT_DOUBLE_EQ(chain_bytes(a), 3 * 8 * 25 + 2 * 8 * 5);
  EXPECT_GT(chain_bytes({1, 1, 2'000'000'000, 1}), 3.2e10);  // 2 x 10^9 layers: the profiles
  EXPECT_LT(chain_bytes({8, 8, 100, 8}), 1e4);
}

// A run keeps a record of every step: 10^9 steps of a tiny network need about 176 GB, and the
// teacher's weights and activations count as the student's do.
TEST(Budget, TrainingMemoryCountsTheRecordsOfEveryStepAndTheTeacher) {
  const Architecture a{4, 4, 3, 4};
  EXPECT_DOUBLE_EQ(training_bytes(a, 2, 0, 1e9) - training_bytes(a, 2, 0, 0),
                   kTrainingRecordBytes * 1e9);
  // Weights 8 x 64, and per example a stream, 12 x 4 (inputs) + 16 x 4 (activations) + 12 x 4
  // (outputs).
  EXPECT_DOUBLE_EQ(teacher_data_bytes(a, 10),
                   8 * 64 + 10 * (static_cast<double>(sizeof(RandomStream)) + 48 + 64 + 48));
}

}  // namespace
}  // namespace dropperc
