#!/usr/bin/env bash
# Slices of one job (dropperc run --slice I/N), run as independent MPI jobs into one output
# directory, some at the same time: each computes only its share and never merges; status reports
# per slice and for the whole job; `dropperc merge` then gives the same file as a single run, bit
# for bit.
#   slices.sh DROPPERC SOURCE_DIR
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
dropperc=$1
source=$2
job=$source/jobs/smoke.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
exit_of() { local status=0; "$@" > /dev/null || status=$?; echo "$status"; }

mpirun -n 2 "$dropperc" run "$job" --output "$work/single" --quiet

# Slices 0 and 1 of 3 at the same time, sharing the directory.
shared=$work/shared
mpirun -n 2 "$dropperc" run "$job" --output "$shared" --slice 0/3 --quiet &
first=$!
mpirun -n 2 "$dropperc" run "$job" --output "$shared" --slice 1/3 --quiet &
second=$!
wait "$first" || fail "slice 0/3 failed"
wait "$second" || fail "slice 1/3 failed"
[[ ! -e $shared/smoke.h5 ]] || fail "a sliced run merged"
[[ $(exit_of "$dropperc" status "$job" --output "$shared" --slice 0/3) -eq 0 ]] ||
  fail "status of the finished slice 0/3 is not 0"
[[ $(exit_of "$dropperc" status "$job" --output "$shared" --slice 2/3) -eq 3 ]] ||
  fail "status of the unstarted slice 2/3 is not 3"
[[ $(exit_of "$dropperc" status "$job" --output "$shared") -eq 3 ]] ||
  fail "status of the whole job with a slice missing is not 3"
[[ $(exit_of "$dropperc" merge "$job" --output "$shared") -eq 3 ]] ||
  fail "merge with a slice missing is not 3"

"$dropperc" run "$job" --output "$shared" --slice 2/3 --quiet  # one rank
[[ $(exit_of "$dropperc" status "$job" --output "$shared") -eq 0 ]] ||
  fail "status after every slice is not 0"
"$dropperc" merge "$job" --output "$shared" > /dev/null
/usr/bin/python3 "$source/tests/python/compare_results.py" "$work/single/smoke.h5" "$shared/smoke.h5" ||
  fail "the merged slices differ from the single run"
leftovers=$(find "$shared" -name '*.tmp.*' | wc -l)
[[ $leftovers -eq 0 ]] || fail "$leftovers temporary files left behind"
echo "slices: 3 slices (two at once) merged into the single run's results, bit for bit"
