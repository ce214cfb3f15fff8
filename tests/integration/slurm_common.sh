# Sourced by the slurm_*.sh tests: their arguments, a work directory with the jobs they submit
# (cancelled and removed on exit), failure reports with every job's state and output, bounded
# waits, and the checks of the analysis job that ends every chain.
#   source slurm_common.sh DROPPERC SOURCE_DIR     with SLURM_CONF set (scripts/slurm-local.sh up)
set -euo pipefail
dropperc=$1
source=$2
job=$source/tests/data/jobs/slurm.toml
compare=$source/tests/python/compare_results.py
[[ -n ${SLURM_CONF:-} ]] || { echo "FAIL: SLURM_CONF is not set (scripts/slurm-local.sh up)" >&2; exit 1; }
work=$(mktemp -d)
jobs=()
# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  ((${#jobs[@]} == 0)) || timeout 30 scancel "${jobs[@]}" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The jobs inherit this environment (sbatch --export=ALL by default).
export DROPPERC=$dropperc
cd "$work"

# Prints everything a failure needs: Slurm's view of each job and every job output file.
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

ENDED='^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)$'
# One field of a job (of an array task: ID_TASK) as scontrol shows it, e.g. ExitCode "3:0" (code
# 3, no signal).
job_field() { timeout 30 scontrol show job "$1" | sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" | head -1; }
finished() { [[ $(job_field "$1" JobState) =~ $ENDED ]]; }
# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.2 s; fails after SECONDS.
wait_until() {
  local limit=$1 what=$2
  local deadline=$((SECONDS + limit))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "waited $limit s for $what"
    sleep 0.2
  done
}
# expect_exit JOB CODE: JOB ended with exit code CODE (and no signal).
expect_exit() {
  [[ $(job_field "$1" ExitCode) == "$2:0" ]] || fail "job $1: exit code $(job_field "$1" ExitCode), expected $2:0"
}

# The plain mpirun run that every Slurm result must equal, bit for bit.
start=$SECONDS
timeout 120 mpirun -n 2 "$dropperc" run "$job" --output "$work/reference" --quiet
echo "reference run: $((SECONDS - start)) s"

# check_analysis JOB: analyze.sbatch job JOB merged, analysed and drew $work/out, and the merged
# file equals the reference run's.
check_analysis() {
  local out=slurm-$1.out
  wait_until 90 "job $1 to end" finished "$1"
  expect_exit "$1" 0
  grep -q "merged into $work/out/slurm.h5" "$out" || fail "job $1: no merge"
  grep -q "^Thresholds: p_half" "$out" || fail "job $1: no dropperc analyze tables"
  grep -q "^plot_all: wrote [1-9][0-9]* figures" "$out" || fail "job $1: plot_all.py drew nothing"
  "$dropperc" status "$job" --output "$work/out" > /dev/null || fail "dropperc status: not complete"
  /usr/bin/python3 "$compare" "$work/reference/slurm.h5" "$work/out/slurm.h5" ||
    fail "the Slurm result differs from the plain mpirun run"
}
