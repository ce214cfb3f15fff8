#!/usr/bin/env bash
# Stopping and resuming a job never changes its results (issue 4's proofs):
#   kill -9 of every rank at 5 random moments, then a final run: identical to an uninterrupted run;
#   SIGUSR1: exit 3, status exit 3, run again: identical; the walltime, or the end of a Slurm
#   allocation: exit 3, run again: identical;
#   a truncated unit file is recomputed; a changed job is refused with a per-task list (exit 2)
#   unless --force; a stop in the middle of a long block exits 3 within seconds; a bad job file
#   exits 2.
#
#   restart.sh DROPPERC SOURCE_DIR
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
dropperc=$1
source=$2
job=$source/tests/data/jobs/restart.toml
compare=$source/tests/python/compare_results.py
work=$(mktemp -d)
trap 'pkill -9 -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
mpi=(mpirun -n 2)

fail() { echo "FAIL: $*" >&2; exit 1; }
run() { "${mpi[@]}" "$dropperc" run "$job" --output "$1" --quiet "${@:2}"; }
same_as_reference() {
  /usr/bin/python3 "$compare" "$work/reference/restart.h5" "$1/restart.h5" || fail "$1 differs from the reference"
}

run "$work/reference"

# kill -9 of the whole process group (mpirun and both ranks) at seeded random moments.
RANDOM=2026
for attempt in 1 2 3 4 5; do
  setsid "${mpi[@]}" "$dropperc" run "$job" --output "$work/killed" --quiet &
  leader=$!
  delay=$(printf '0.%03d' $((350 + RANDOM % 650)))
  sleep "$delay"
  kill -9 -- "-$leader" 2>/dev/null || true
  wait "$leader" 2>/dev/null || true
  pkill -9 -f "$work/killed" 2>/dev/null || true
  # The directories may not exist yet if the kill came during start-up.
  units=$(find "$work/killed/units" -name '*.h5' 2>/dev/null | wc -l) || true
  checkpoints=$(find "$work/killed/checkpoints" -name '*.h5' 2>/dev/null | wc -l) || true
  echo "kill $attempt after ${delay} s: $units unit files, $checkpoints checkpoints"
done
[[ ! -f $work/killed/restart.h5 ]] || fail "the killed run finished before the last kill: make the job longer"
run "$work/killed"
same_as_reference "$work/killed"

# SIGUSR1 (forwarded by mpirun to the ranks): checkpoint, exit 3; status says unfinished.
"${mpi[@]}" "$dropperc" run "$job" --output "$work/signalled" --quiet &
leader=$!
sleep 1
kill -USR1 "$leader"
status=0
wait "$leader" || status=$?
[[ $status -eq 3 ]] || fail "SIGUSR1: exit $status, expected 3"
status=0
"$dropperc" status "$job" --output "$work/signalled" > /dev/null || status=$?
[[ $status -eq 3 ]] || fail "status of a stopped run: exit $status, expected 3"
run "$work/signalled"
summary=$("$dropperc" status "$job" --output "$work/signalled" | tail -n 1) ||
  fail "status of a complete run is not 0"
[[ $summary =~ ^([0-9]+)\ of\ ([0-9]+)\ units\ done\ \(100.0%\)\;\ [0-9.e+-]+\ core-hours\ spent\ on\ them$ &&
   ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] || fail "status of a complete run says: $summary"
same_as_reference "$work/signalled"

# The walltime.
status=0
run "$work/walltime" --walltime 1 || status=$?
[[ $status -eq 3 ]] || fail "walltime: exit $status, expected 3"
run "$work/walltime"
same_as_reference "$work/walltime"

# The end of a Slurm allocation: stop 2 minutes (the margin) before SLURM_JOB_END_TIME.
status=0
SLURM_JOB_END_TIME=$(($(date +%s) + 122)) run "$work/allocation" || status=$?
[[ $status -eq 3 ]] || fail "SLURM_JOB_END_TIME: exit $status, expected 3"
run "$work/allocation"
same_as_reference "$work/allocation"

# A truncated unit file: merge refuses (exit 3), run computes the unit again.
unit=$(find "$work/walltime/units" -name '*.h5' | sort | sed -n 1p)  # sed reads it all: no SIGPIPE
truncate -s 100 "$unit"
status=0
"$dropperc" merge "$job" --output "$work/walltime" 2> /dev/null || status=$?
[[ $status -eq 3 ]] || fail "merge with a truncated unit: exit $status, expected 3"
run "$work/walltime"
same_as_reference "$work/walltime"

# A changed job is refused, task by task, unless --force.
sed 's/^eval_interval = 250/eval_interval = 500/' "$job" > "$work/changed.toml"
status=0
"${mpi[@]}" "$dropperc" run "$work/changed.toml" --output "$work/reference" --quiet 2> "$work/refusal" || status=$?
[[ $status -eq 2 ]] || fail "changed job: exit $status, expected 2"
grep -q "train_bond_W8_L4_p0.300_nobias_relu: eval_interval: 250 -> 500" "$work/refusal" || fail "no per-task change list: $(cat "$work/refusal")"
"${mpi[@]}" "$dropperc" run "$work/changed.toml" --output "$work/reference" --quiet --force || fail "--force refused"

# A stop in the middle of a long block (about a second per sample, minutes per block) is acted on
# between samples: exit 3 within a few seconds, for SIGUSR1 through mpirun and SIGTERM to a rank
# run alone, and the block is not saved.
cat > "$work/long.toml" <<'TOML'
[job]
name = "long"
[grid]
models = ["bond"]
widths = [64]
depths = [1024]
p = [0.5]
[percolation]
samples = 400
thresholds = true
per_p = false
TOML
stop_within() {  # stop_within SIGNAL SECONDS COMMAND...: signal after 2 s, exit 3 within SECONDS
  local signal=$1 limit=$2
  "${@:3}" run "$work/long.toml" --output "$work/long-$signal" --quiet &
  local leader=$! status=0
  sleep 2
  local start=$SECONDS
  kill "-$signal" "$leader"
  wait "$leader" || status=$?
  ((SECONDS - start <= limit)) || fail "$signal: took $((SECONDS - start)) s to stop a long block"
  [[ $status -eq 3 ]] || fail "$signal in a long block: exit $status, expected 3"
  [[ -z $(find "$work/long-$signal/units" -name '*.h5') ]] || fail "$signal: a stopped block was saved"
}
stop_within USR1 5 "${mpi[@]}" "$dropperc"
stop_within TERM 5 "$dropperc"

# A bad job file: exit 2 and the message, before anything is written.
status=0
"${mpi[@]}" "$dropperc" run "$source/tests/data/bad-jobs/11-negative-width.toml" --output "$work/bad" 2> "$work/bad.err" || status=$?
[[ $status -eq 2 ]] || fail "bad job: exit $status, expected 2"
grep -q "grid.widths" "$work/bad.err" || fail "bad job message: $(cat "$work/bad.err")"
[[ ! -e $work/bad ]] || fail "a bad job wrote its output directory"
echo "restart: all checks passed"
