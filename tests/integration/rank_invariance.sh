#!/usr/bin/env bash
# The same job on 1, 2 and 3 ranks gives identical /tasks and /summary, bit for bit; so does the
# lattice-only job on 1 and 3 ranks.
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
# The lattice-only job (about a second): 1 and 3 ranks.
for ranks in 1 3; do
  mpirun -n "$ranks" "$dropperc" run "$source/jobs/lattice-smoke.toml" --output "$work/lattice$ranks" \
    --quiet
done
/usr/bin/python3 "$source/tests/python/compare_results.py" "$work/lattice1/lattice-smoke.h5" \
  "$work/lattice3/lattice-smoke.h5" || { echo "FAIL: lattice job: 3 ranks differ from 1" >&2; exit 1; }
echo "rank invariance: 1, 2 and 3 ranks agree (lattice job: 1 and 3)"
