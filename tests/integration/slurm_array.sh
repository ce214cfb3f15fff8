#!/usr/bin/env bash
# jobs/slurm/dropperc-array.sbatch on a real (one-node) Slurm: a job array of 3 slices into one
# output directory, then analyze.sbatch depending on the whole array merges, analyses and draws.
# Checked in the jobs' own output; the merged file must be bit for bit the one of a plain mpirun
# run.
#
#   slurm_array.sh DROPPERC SOURCE_DIR     with SLURM_CONF set (scripts/slurm-local.sh up)
source "$(dirname "$0")/slurm_common.sh" "$@"
slices=3

# Every task of array $1 has ended (scontrol lists one record per task; a pending rest is one
# record "ID_[...]" in state PENDING).
array_finished() {
  local states
  states=$(timeout 30 scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  [[ -n $states ]] && ! grep -qvE "$ENDED" <<< "$states"
}

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
  expect_exit "${array}_$slice" 0
  grep -qF -- "--slice $slice/$slices (1 tasks)" "$out" || fail "array task $slice did not run slice $slice/$slices"
  grep -qF "slice $slice/$slices: run exited with 0" "$out" || fail "slice $slice/$slices did not exit with 0"
  grep -q "^dropperc run: slice $slice/$slices complete" "$out" || fail "the run of slice $slice/$slices did not complete"
  ! grep -q "results in" "$out" || fail "slice $slice/$slices merged: a sliced run must not"
done
echo "array $array: $slices slices completed"

check_analysis "$analysis"
echo "slurm_array: all checks passed in $((SECONDS - start)) s"
