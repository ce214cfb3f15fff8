// Sampling split across ranks: each rank runs its share of fixed blocks of samples; the blocks
// reduced over all ranks reproduce the single-process run, whatever the number of ranks.

#include <cmath>
#include <functional>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <gtest/gtest.h>

#include "dropperc/core/sampling.hpp"
#include "dropperc/core/theory.hpp"

namespace dropperc {
namespace {

constexpr std::int64_t kBlock = 250;

SamplingPlan plan(Method method) {
  return {{2, 4, 6, 3}, ScanLine::of(DropoutModel::bond), {0.4, 0.6, 0.75}, method, 3000, 99, 5,
          true};
}

// Spanning counts of this rank's blocks (block b goes to rank b mod size), summed over ranks.
std::vector<long long> reduced_counts(const SamplingPlan& p,
                                      const boost::mpi::communicator& world) {
  std::vector<long long> counts(2 * p.grid.size(), 0);
  for (std::int64_t first = world.rank() * kBlock; first < p.samples;
       first += world.size() * kBlock) {
    const auto block = run_sampling(p, first, std::min(first + kBlock, p.samples));
    for (std::size_t j = 0; j < p.grid.size(); ++j) {
      counts[2 * j] += block[j].directed_spans;
      counts[2 * j + 1] += block[j].undirected_spans;
    }
  }
  std::vector<long long> total(counts.size());
  boost::mpi::all_reduce(world, counts.data(), static_cast<int>(counts.size()), total.data(),
                         std::plus<long long>());
  return total;
}

TEST(SamplingMpi, RanksTogetherReproduceOneProcess) {
  boost::mpi::communicator world;
  for (Method method : {Method::masks, Method::thresholds, Method::fast}) {
    const SamplingPlan p = plan(method);
    const auto total = reduced_counts(p, world);
    const auto serial = run_sampling(p);
    for (std::size_t j = 0; j < p.grid.size(); ++j) {
      EXPECT_EQ(total[2 * j], serial[j].directed_spans) << name(method) << " p = " << p.grid[j];
      EXPECT_EQ(total[2 * j + 1], serial[j].undirected_spans)
          << name(method) << " p = " << p.grid[j];
      const double theta = spanning_probability(p.arch, serial[j].dropout).theta;
      const double sigma = std::sqrt(theta * (1 - theta) / p.samples);
      EXPECT_NEAR(static_cast<double>(total[2 * j]) / p.samples, theta, 4 * sigma);
    }
  }
}

}  // namespace
}  // namespace dropperc
