#!/usr/bin/env bash
# jobs/slurm/dropperc-array.sbatch on a real (one-node) Slurm: a job array of 3 slices into one
# output directory, then analyze.sbatch depending on the whole array merges, analyses and draws.
# Checked in the jobs' own output; the merged file must be bit for bit the one of a plain mpirun
# run. Exits 77 (skipped) if this dropperc has no `run --slice`.
#
#   slurm_array.sh DROPPERC SOURCE_DIR     with SLURM_CONF set (scripts/slurm-local.sh up)
set -euo pipefail
dropperc=$1
source=$2
job=$source/tests/data/jobs/slurm.toml
compare=$source/tests/python/compare_results.py
[[ -n ${SLURM_CONF:-} ]] || { echo "FAIL: SLURM_CONF is not set (scripts/slurm-local.sh up)" >&2; exit 1; }
if ! "$dropperc" run --help | grep -q -- '--slice'; then
  echo "SKIP: $dropperc run has no --slice"
  exit 77
fi
work=$(mktemp -d)
jobs=()
# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  ((${#jobs[@]} == 0)) || timeout 30 scancel "${jobs[@]}" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export DROPPERC=$dropperc
cd "$work"
slices=3

diagnose() {
  local id file
  for id in "${jobs[@]}"; do
    echo "----- job $id: scontrol show job" >&2
    timeout 30 scontrol show job "$id" >&2 || true
  done
  for file in slurm-*.out; do
    [[ -e $file ]] || continue
    echo "----- $file" >&2
    cat "$file" >&2
  done
}
fail() {
  echo "FAIL: $*" >&2
  diagnose
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND (exit $?)"' ERR

# One field of a job (of an array task: ID_TASK), as scontrol shows it.
job_field() { timeout 30 scontrol show job "$1" | sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" | head -1; }
finished() {
  [[ $(job_field "$1" JobState) =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$ ]]
}
# Every task of array $1 has ended (scontrol lists one record per task; a pending rest is one
# record "ID_[...]" in state PENDING).
array_finished() {
  local states
  states=$(timeout 30 scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  [[ -n $states ]] && ! grep -qvE '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$' <<< "$states"
}
wait_until() {
  local limit=$1 what=$2
  local deadline=$((SECONDS + limit))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "waited $limit s for $what"
    sleep 0.2
  done
}

start=$SECONDS
timeout 120 mpirun -n 2 "$dropperc" run "$job" --output "$work/reference" --quiet
echo "reference run: $((SECONDS - start)) s"

# One rank per slice: the 2 CPUs run two slices at a time.
array=$(timeout 30 sbatch --parsable --array=0-$((slices - 1)) -n 1 -t 10 \
  "$source/jobs/slurm/dropperc-array.sbatch" "$job" "$work/out")
jobs+=("$array")
analysis=$(timeout 30 sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  "$source/jobs/slurm/analyze.sbatch" "$job" "$work/out")
jobs+=("$analysis")
echo "submitted array $array (--array=0-$((slices - 1))) and the analysis $analysis after it"

wait_until 120 "array $array to end" array_finished "$array"
for ((slice = 0; slice < slices; slice++)); do
  out=slurm-${array}_$slice.out
  [[ -f $out ]] || fail "no output $out of array task $slice"
  [[ $(job_field "${array}_$slice" ExitCode) == 0:0 ]] ||
    fail "array task $slice: exit code $(job_field "${array}_$slice" ExitCode), expected 0:0"
  grep -qF -- "--slice $slice/$slices (1 tasks)" "$out" || fail "array task $slice did not run slice $slice/$slices"
  grep -qF "slice $slice/$slices: run exited with 0" "$out" || fail "slice $slice/$slices did not exit with 0"
  grep -q "^dropperc run: slice $slice/$slices complete" "$out" || fail "the run of slice $slice/$slices did not complete"
  ! grep -q "results in" "$out" || fail "slice $slice/$slices merged: a sliced run must not"
done
echo "array $array: $slices slices completed"

wait_until 90 "job $analysis to end" finished "$analysis"
out=slurm-$analysis.out
[[ $(job_field "$analysis" ExitCode) == 0:0 ]] || fail "job $analysis: exit code $(job_field "$analysis" ExitCode)"
grep -q "merged into $work/out/slurm.h5" "$out" || fail "job $analysis: no merge"
grep -q "^Thresholds: p_half" "$out" || fail "job $analysis: no dropperc analyze tables"
grep -q "^plot_all: wrote [1-9][0-9]* figures" "$out" || fail "job $analysis: plot_all.py drew nothing"

"$dropperc" status "$job" --output "$work/out" > /dev/null || fail "dropperc status: not complete"
/usr/bin/python3 "$compare" "$work/reference/slurm.h5" "$work/out/slurm.h5" ||
  fail "the merged slices differ from the plain mpirun run"
echo "slurm_array: all checks passed in $((SECONDS - start)) s"
