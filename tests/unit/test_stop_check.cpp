#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "dropperc/core/stop_check.hpp"

namespace dropperc {
namespace {

TEST(StopCheck, NeverStopsWithoutARequest) {
  StopCheck never;
  for (int k = 0; k < 1000; ++k)
    EXPECT_FALSE(never());
  EXPECT_FALSE(never.stopped());
}

// The first step asks at once, and once asked to stop it stays stopped without asking again.
TEST(StopCheck, AsksAtTheFirstStepAndStaysStopped) {
  int asked = 0;
  StopCheck check([&] { return ++asked > 0; });
  EXPECT_TRUE(check());
  EXPECT_TRUE(check());
  EXPECT_TRUE(check.stopped());
  EXPECT_EQ(asked, 1);
}

// A million quick steps ask a handful of times (about every 10 ms), not a million.
TEST(StopCheck, QuickStepsAskRarely) {
  int asked = 0;
  StopCheck check([&] { return ++asked < 0; });
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < 1'000'000; ++k)
    ASSERT_FALSE(check());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LE(asked, 2 + static_cast<int>(seconds / 0.005)) << seconds << " s";
}

// Slow steps (longer than the interval) ask at every step: a stop waits for one step only.
TEST(StopCheck, SlowStepsAskEveryTime) {
  int asked = 0;
  StopCheck check([&] { return ++asked == 5; });
  int steps = 0;
  while (!check()) {
    ++steps;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(asked, 5);
  EXPECT_EQ(steps, 4);
}

}  // namespace
}  // namespace dropperc
