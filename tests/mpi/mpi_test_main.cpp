// main() for tests that run under mpirun: one Boost.MPI environment for the whole program,
// GoogleTest output from rank 0 only, and an exit code agreed by all ranks (any rank's failure
// fails every rank), so that ctest sees one verdict however many ranks ran.

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  boost::mpi::environment environment(argc, argv);
  boost::mpi::communicator world;
  ::testing::InitGoogleTest(&argc, argv);
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  return boost::mpi::all_reduce(world, failed, boost::mpi::maximum<int>());
}
