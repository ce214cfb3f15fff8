#!/usr/bin/env bash
# The same job on 1, 2 and 3 ranks gives identical /tasks and /summary, bit for bit.
#   rank_invariance.sh DROPPERC SOURCE_DIR
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
dropperc=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ranks in 1 2 3; do
  mpirun -n "$ranks" "$dropperc" run "$source/jobs/smoke.toml" --output "$work/$ranks" --quiet
done
for ranks in 2 3; do
  /usr/bin/python3 "$source/tests/python/compare_results.py" "$work/1/smoke.h5" "$work/$ranks/smoke.h5" ||
    { echo "FAIL: $ranks ranks differ from 1" >&2; exit 1; }
done
echo "rank invariance: 1, 2 and 3 ranks agree"
