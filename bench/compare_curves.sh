#!/usr/bin/env bash
# Runs bench_percolation (docs/performance.md) pinned to one CPU and prints the median curves
# per second of each benchmark over five repetitions, with the two ratios the goals are stated in:
#   (c)/(a) = bond_fast / bond_masks_per_p               goal >= 1000
#   bound/(b) = bound_uniform_per_edge / bond_thresholds  goal <= 2
#
#   bench/compare_curves.sh [extra benchmark flags...]
# Environment: DROPPERC_BUILD (default build/release), DROPPERC_BENCH_CPU (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${DROPPERC_BUILD:-build/release}/bench/bench_percolation"
if [[ ! -x $bench ]]; then
  echo "compare_curves: $bench is not built; run" >&2
  echo "  cmake --preset release && cmake --build --preset release --target bench_percolation" >&2
  exit 1
fi
pin=()
command -v taskset >/dev/null && pin=(taskset -c "${DROPPERC_BENCH_CPU:-1}")
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# The repetitions run in random interleaved order, so a transient slowdown of the machine (this
# is often a shared virtual machine) spreads over all benchmarks instead of skewing one ratio.
"${pin[@]}" "$bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true --benchmark_out="$out" --benchmark_out_format=json "$@"

# Google Benchmark's JSON writes one key per line, "name" first in each run, so a line scan
# suffices (no JSON tool needed). Only the medians are kept.
awk '
  function value(line) { sub(/.*: /, "", line); sub(/,$/, "", line); return line + 0 }
  /"name":/ {
    name = $0; sub(/.*"name": "/, "", name); sub(/".*/, "", name)
    median = name ~ /_median$/
    sub(/\/.*/, "", name); sub(/_median$/, "", name)
  }
  median && /"curves_per_second":/ { rate[name] = value($0) }
  median && /"theta_mean":/ { theta[name] = value($0) }
  END {
    printf "\n%-24s %18s %12s\n", "benchmark (median)", "curves/s", "theta_mean"
    n = split("bound_uniform_per_edge bound_raw_philox bond_masks_per_p bond_thresholds " \
              "bond_fast site_thresholds site_fast", order, " ")
    for (i = 1; i <= n; ++i) {
      b = order[i]
      if (!(b in rate)) continue
      printf "%-24s %18.6g %12s\n", b, rate[b], (b in theta) ? sprintf("%.6f", theta[b]) : "-"
    }
    a = rate["bond_masks_per_p"]; t = rate["bond_thresholds"]
    c = rate["bond_fast"]; bound = rate["bound_uniform_per_edge"]
    if (a > 0 && c > 0) {
      printf "\n(c)/(a)   = %8.1f  goal >= 1000: %s\n", c / a, (c / a >= 1000) ? "PASS" : "FAIL"
    }
    if (t > 0 && bound > 0) {
      printf "bound/(b) = %8.3f  goal <= 2:    %s\n", bound / t, (bound / t <= 2) ? "PASS" : "FAIL"
    }
  }
' "$out"
