#!/usr/bin/env bash
# Regenerates one study of docs/results.md from its job file jobs/JOB.toml: runs it on the local
# cores (continuing an unfinished run, so it is safe to interrupt and call again), analyses it,
# draws every figure into OUTPUT/figures/, refreshes the figures of the study committed under
# docs/figures/JOB/ (when OUTPUT is the default), and prints the core-hours its work units took.
#
#   scripts/study.sh JOB [OUTPUT]     e.g. scripts/study.sh percolation-fss
#
# OUTPUT defaults to jobs/JOB.data. Environment: RANKS, the MPI ranks (default 3: rank 0
# schedules, two work on a 2-core machine); DROPPERC, a built dropperc (default: build/release/,
# configured and built first by scripts/setup.sh release).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs_list() { for f in jobs/*.toml; do basename "$f" .toml; done | tr '\n' ' '; }
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: scripts/study.sh JOB [OUTPUT]; JOB is one of: $(jobs_list)" >&2
  exit 2
fi
job=$1
file=jobs/$job.toml
if [[ ! -f $file ]]; then
  echo "scripts/study.sh: no job file '$file'; JOB is one of: $(jobs_list)" >&2
  exit 2
fi
out=${2:-jobs/$job.data}
ranks=${RANKS:-3}

if [[ -z ${DROPPERC:-} ]]; then
  scripts/setup.sh release
  DROPPERC=build/release/dropperc
fi
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# The digits job reads a data set that scripts/make_digits.py writes (from scikit-learn's copy).
if grep -q '^dataset *= *"data/digits.h5"' "$file" && [[ ! -f jobs/data/digits.h5 ]]; then
  /usr/bin/python3 scripts/make_digits.py jobs/data/digits.h5
fi

OMP_NUM_THREADS=1 mpirun -n "$ranks" --oversubscribe "$DROPPERC" run "$file" --output "$out"
name=$(sed -n 's/^name *= *"\([^"]*\)".*/\1/p' "$file" | head -n 1)
merged=$out/$name.h5
"$DROPPERC" analyze "$merged" > "$out/analysis.txt"
MPLBACKEND=Agg /usr/bin/python3 analysis/plot_all.py "$merged" --out "$out/figures" > /dev/null

refreshed=0
if [[ $# -eq 1 && -d docs/figures/$job ]]; then
  for figure in docs/figures/"$job"/*.png; do
    cp "$out/figures/$(basename "$figure")" "$figure"
    refreshed=$((refreshed + 1))
  done
fi

echo
echo "$job: $merged (docs/hdf5-layout.md), analysis tables in $out/analysis.txt"
echo "  figures: $out/figures/ ($(find "$out/figures" -name '*.png' | wc -l) PNGs)"
((refreshed == 0)) || echo "  refreshed the $refreshed figures of docs/figures/$job/"
hours=$("$DROPPERC" status "$file" --output "$out" |
  sed -n 's/.*; \([^;]*\) core-hours spent.*/\1/p')
echo "  cost: $hours core-hours (compute time of the work units)"
