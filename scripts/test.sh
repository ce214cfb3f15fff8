#!/usr/bin/env bash
# Sets up everything (packages, the "ci" build: warnings as errors, assertions on) and runs the
# whole test suite with CTest. Extra arguments go to ctest, e.g. scripts/test.sh -R Theory
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
ctest --preset ci "$@"
