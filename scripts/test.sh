#!/usr/bin/env bash
# Sets up everything from a fresh Debian 12 (packages, the builds) and runs every check CI runs:
#   1. clang-format --dry-run -Werror on every C++ file (.clang-format);
#   2. the "ci" build (GCC, warnings as errors, assertions on) and every test: unit, MPI,
#      coverage studies, integration, Python figures, install, Slurm;
#   3. the "debug" build (Clang, ASan + UBSan) and the everyday tier under it;
#   4. the libFuzzer target on the job parser for 30 s (scripts/fuzz.sh).
# With arguments, only the ci build and `ctest --preset ci <arguments>`, e.g.
#   scripts/test.sh -R Theory        scripts/test.sh -LE "coverage|integration|slurm"
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
if (($#)); then
  exec ctest --preset ci "$@"
fi
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
ctest --preset ci
scripts/setup.sh debug
ctest --preset debug
scripts/fuzz.sh 30
