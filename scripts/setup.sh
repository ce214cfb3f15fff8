#!/usr/bin/env bash
# Installs dropperc's build dependencies from Debian packages (only those missing, so running it
# again costs a second), then configures and builds one CMake preset (CMakePresets.json).
#
#   scripts/setup.sh [release|ci|debug]      default: release
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

packages=(
  cmake ninja-build g++ pkg-config
  openmpi-bin libopenmpi-dev openssh-client       # MPI; mpirun wants ssh even for local runs
  libboost-mpi-dev libboost-serialization-dev libboost-math-dev
  libhdf5-dev                                     # serial HDF5: only rank 0 writes
  libeigen3-dev libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev librandom123-dev libtomlplusplus-dev libnlopt-cxx-dev
  clang-format
  clang libclang-rt-14-dev libomp-dev               # the debug preset (ASan, UBSan) and the fuzzer
  python3-h5py python3-numpy                      # tests read and write HDF5 as users' scripts do
  python3-matplotlib                              # analysis/plot_all.py and its test
  python3-sklearn                                 # scripts/make_digits.py: a real data set
  python3-torch                                   # the reference that the MLP is checked against
  libopenblas0-pthread                            # ... and the BLAS it uses in bench/torch_training.py
  slurmctld slurmd slurm-client munge             # scripts/slurm-local.sh: a one-node Slurm for the slurm tests
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  as_root=()
  [[ $(id -u) -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

cmake --preset "$preset"
cmake --build --preset "$preset"
