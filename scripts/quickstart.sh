#!/usr/bin/env bash
# Sets up everything (packages and an optimised build), then runs the demo: for one small network
# under site dropout and under DropConnect, the exact theta(p) next to its Monte Carlo estimate
# with a 95% Clopper-Pearson interval, over a grid of drop probabilities; then the study
# jobs/quick.toml on 2 cores, analysed and drawn, into build/demo/quick/.
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
echo "A whole study: jobs/quick.toml (site and bond, W in {2, 4, 8}, L in {4, 16, 64}, 21 values of p;"
echo "per-sample thresholds, and training with relu and tanh at four points), on 2 MPI ranks"
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
out=build/demo/quick
rm -rf "$out"
OMP_NUM_THREADS=1 mpirun -n 3 --oversubscribe "$dropperc" run jobs/quick.toml --output "$out"
"$dropperc" analyze "$out/quick.h5" > "$out/analysis.txt"
echo
grep -E "^ *(fit|kappa_(site|bond)_directed) .*(parameter|kappa) " "$out/analysis.txt" || true
MPLBACKEND=Agg /usr/bin/python3 analysis/plot_all.py "$out/quick.h5" --out "$out/figures" > /dev/null
echo
echo "Results: $out/quick.h5 (docs/hdf5-layout.md), with the analysis in /analysis; its tables:"
echo "  $out/analysis.txt"
echo "Figures ($(ls "$out/figures" | wc -l) PNGs): $out/figures/"
echo "  theta_<model>_directed.png: theta(p) per (W, L) against the exact curve"
echo "  kappa_<model>_directed.png: the critical-width exponent; training_<model>.png: training against theta"
echo "Next: '$dropperc --help', docs/cli.md for every option, docs/job-file.md for jobs, docs/theory.md"
echo "for the mathematics, docs/validation.md for the analysis checked against known exponents."
