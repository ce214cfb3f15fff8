#!/usr/bin/env bash
# Installs the build tree $1 into a fresh prefix, then configures, builds and runs the outside
# project tests/install/ against it: find_package(dropperc) and dropperc::core must work from
# the installed files alone, and the installed program must run.
#   tests/install/check.sh <build-dir> <source-dir>
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
"$work/prefix/bin/dropperc" --help >/dev/null
test -f "$work/prefix/include/dropperc/core/theory.hpp"
cmake -S "$source/tests/install" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release
cmake --build "$work/consumer"
"$work/consumer/consumer"
