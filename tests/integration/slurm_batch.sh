#!/usr/bin/env bash
# jobs/slurm/dropperc.sbatch on a real (one-node) Slurm: the job is stopped mid-run by USR1 to the
# batch shell, exits 3 and resubmits itself; the second job completes and submits the analysis,
# which merges, analyses and draws. Everything is checked in the jobs' own output (a job can
# "complete" without having run), and the merged file must be bit for bit the one of a plain
# mpirun run.
#
#   slurm_batch.sh DROPPERC SOURCE_DIR     with SLURM_CONF set (scripts/slurm-local.sh up)
source "$(dirname "$0")/slurm_common.sh" "$@"
export DROPPERC_RESUBMITS_LEFT=2

# The job id that a line of a job's output names: next_job FILE 'resubmitted as job'.
next_job() { sed -n "s/.*$2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1; }

# sbatch -n 2: 2 ranks on the 2 CPUs of the test machine (rank 0 hands out work, rank 1 computes).
# -t 10: well over the USR1 margin (300 s), which Slurm honours from the start of the job: with
# -t 5 the warning comes within seconds, and only the scancel below may stop these runs.
first=$(timeout 30 sbatch --parsable -n 2 -t 10 "$source/jobs/slurm/dropperc.sbatch" "$job" "$work/out")
jobs+=("$first")
echo "submitted job $first"
# The run has started once its first unit files are there; then stop it as the USR1 warning would.
units_written() {
  compgen -G "$work/out/units/*/*.h5" > /dev/null || { finished "$first" && fail "job $first ended before writing a unit"; }
}
wait_until 60 "the first unit files of job $first" units_written
finished "$first" && fail "job $first finished before the signal: make tests/data/jobs/slurm.toml longer"
timeout 30 scancel -b -s USR1 "$first"
echo "USR1 to job $first after $((SECONDS - start)) s"

wait_until 60 "job $first to end" finished "$first"
out=slurm-$first.out
expect_exit "$first" 3
grep -q "USR1: asking the run to checkpoint and stop" "$out" || fail "job $first: the batch shell got no USR1"
grep -q "^dropperc run: stopped" "$out" || fail "job $first: the run did not say it stopped"
grep -q "run exited with 3" "$out" || fail "job $first: the run did not exit with 3"
grep -Eq "^[0-9]+ of [0-9]+ units done" "$out" || fail "job $first: no dropperc status after the stop"
second=$(next_job "$out" "resubmitted as job")
[[ -n $second ]] || fail "job $first did not resubmit itself"
jobs+=("$second")
echo "job $first stopped with 3 and resubmitted itself as job $second"

wait_until 90 "job $second to end" finished "$second"
out=slurm-$second.out
expect_exit "$second" 0
grep -qF "(2 tasks, 1 resubmissions left)" "$out" || fail "job $second: not 2 tasks with the counter decremented"
grep -q "^dropperc run: complete; results in $work/out/slurm.h5" "$out" || fail "job $second: the run did not complete"
[[ $(job_field "$second" TimeLimit) == "$(job_field "$first" TimeLimit)" ]] || fail "job $second: another time limit"
analysis=$(next_job "$out" "analysis submitted as job")
[[ -n $analysis ]] || fail "job $second did not submit the analysis"
jobs+=("$analysis")
echo "job $second completed and submitted the analysis as job $analysis"

check_analysis "$analysis"
# afterok: the analysis starts once the second job has ended.
(($(date -d "$(job_field "$analysis" StartTime)" +%s) >= $(date -d "$(job_field "$second" EndTime)" +%s))) ||
  fail "job $analysis started before job $second ended"
compgen -G "$work/out/figures/*.png" > /dev/null || fail "no figures in $work/out/figures"
/usr/bin/python3 -c 'import sys, h5py; sys.exit(0 if "analysis" in h5py.File(sys.argv[1]) else 1)' \
  "$work/out/slurm.h5" || fail "no /analysis in $work/out/slurm.h5"
echo "slurm_batch: all checks passed in $((SECONDS - start)) s"
