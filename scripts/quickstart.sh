#!/usr/bin/env bash
# Sets up everything (packages and an optimised build), then runs the demo: for one small network
# under site dropout and under DropConnect, the exact theta(p) next to its Monte Carlo estimate
# with a 95% Clopper-Pearson interval, over a grid of drop probabilities; then a small job
# (jobs/smoke.toml: percolation and training over a grid) on 2 MPI ranks, into build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
dropperc=build/release/dropperc

network=(--width 4 --depth 16 --input-width 2 --output-width 2)
grid=0.1:0.9:9
samples=20000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the two CSV tables side by side: p, exact theta, Monte Carlo theta, interval, verdict.
compare() {
  awk -F, '
    FNR == 1 { for (c = 1; c <= NF; ++c) column[FILENAME, $c] = c; next }
    FILENAME == ARGV[1] { exact[FNR] = $column[FILENAME, "theta"]; next }
    {
      low = $column[FILENAME, "theta_low"]; high = $column[FILENAME, "theta_high"]
      inside = (exact[FNR] >= low && exact[FNR] <= high) ? "yes" : "NO"
      printf "  %5.2f   %10.6f   %10.6f   [%8.6f, %8.6f]   %s\n", $column[FILENAME, "p"],
             exact[FNR], $column[FILENAME, "theta"], low, high, inside
    }' "$1" "$2"
}

echo
echo "dropperc demo: W_in=2, W=4, L=16, W_out=2; $samples Monte Carlo samples (per-sample thresholds)"
for model in site bond; do
  "$dropperc" theory --model "$model" "${network[@]}" --p-grid "$grid" --format csv > "$work/theory.csv"
  "$dropperc" sample --model "$model" "${network[@]}" --p-grid "$grid" --samples "$samples" --seed 1 \
    --method thresholds --directed-only --quiet --format csv > "$work/sample.csv"
  echo
  echo "$model dropout: theta = P(a directed input-output path survives)"
  echo "      p        exact     Monte Carlo    95% interval             exact inside?"
  compare "$work/theory.csv" "$work/sample.csv"
done
echo
echo "About 95% of the intervals should contain the exact value."

echo
echo "A whole job: jobs/smoke.toml (site and bond, W in {2, 4}, L in {3, 6}, percolation and training)"
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
rm -rf build/demo/smoke
OMP_NUM_THREADS=1 mpirun -n 2 --oversubscribe "$dropperc" run jobs/smoke.toml --output build/demo/smoke
"$dropperc" status jobs/smoke.toml --output build/demo/smoke | tail -1
echo
echo "Results: build/demo/smoke/smoke.h5 (docs/hdf5-layout.md). Next: '$dropperc --help',"
echo "docs/cli.md for every option, docs/job-file.md for jobs, docs/theory.md for the mathematics."
