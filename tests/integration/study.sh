#!/usr/bin/env bash
# scripts/study.sh, the one command per study of docs/results.md, on the smoke job: it runs,
# analyses and draws the job into the given directory, reports a positive cost, and calling it
# again continues the finished run instead of repeating it; an unknown job stops it with exit 2.
#   study.sh DROPPERC SOURCE_DIR
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
export DROPPERC=$1 RANKS=2
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$source/scripts/study.sh" smoke "$work/out" > "$work/log" 2>&1 ||
  { cat "$work/log"; fail "study.sh smoke"; }
[[ -s $work/out/smoke.h5 && -s $work/out/analysis.txt ]] || fail "no merged file or analysis"
[[ -s $work/out/figures/theta_site_directed.png ]] || fail "no figure theta_site_directed.png"
grep -Eq '^  cost: [0-9.e+-]+ core-hours' "$work/log" ||
  fail "no cost line: $(tail -n 1 "$work/log")"
grep -Eq '^  cost: 0 core-hours' "$work/log" && fail "a zero cost"
# Again: no unit runs a second time (the compute time is the same to the last digit) and the
# analysis is the same.
cp "$work/out/analysis.txt" "$work/analysis.first"
"$source/scripts/study.sh" smoke "$work/out" > "$work/again" 2>&1 || fail "study.sh smoke, again"
[[ $(grep '^  cost:' "$work/again") == $(grep '^  cost:' "$work/log") ]] ||
  fail "the second call ran units again: $(grep '^  cost:' "$work/log" "$work/again")"
cmp -s "$work/analysis.first" "$work/out/analysis.txt" || fail "the second analysis differs"

status=0
"$source/scripts/study.sh" no-such-job > "$work/bad" 2>&1 || status=$?
[[ $status -eq 2 ]] || fail "an unknown job exits $status, not 2"
grep -q "jobs/no-such-job.toml" "$work/bad" || fail "the error does not name the job file"
echo "study.sh: ok"
