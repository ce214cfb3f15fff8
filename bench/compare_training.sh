#!/usr/bin/env bash
# Training throughput of dropperc against PyTorch on the same task, one core each
# (docs/performance.md, "Training"): runs bench_training (medians of 5 interleaved repetitions)
# and bench/torch_training.py, then prints samples per second side by side and every goal:
#   site dropout, W = 32:            dropperc >= 2 x PyTorch
#   site dropout, W = 512:           dropperc >= PyTorch
#   per-sample DropConnect, W = 128: dropperc >= 10 x PyTorch
#   instrumentation at W = 128:      costs <= 10 % of a step (site and DropConnect)
# and the fraction of the single-core GEMM peak that the W = 512 site step reaches.
#
#   bench/compare_training.sh     Environment: DROPPERC_BUILD (default build/release),
#                                 DROPPERC_BENCH_CPU (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${DROPPERC_BUILD:-build/release}/bench/bench_training"
[[ -x $bench ]] || { echo "compare_training: build $bench first (cmake --build --preset release)" >&2; exit 1; }
pin=()
command -v taskset >/dev/null && pin=(taskset -c "${DROPPERC_BENCH_CPU:-1}")
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"${pin[@]}" "$bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true --benchmark_out="$work/ours.json" \
  --benchmark_out_format=json > /dev/null
"${pin[@]}" /usr/bin/python3 bench/torch_training.py > "$work/torch.csv"

# Google Benchmark's JSON has one key per line, "name" first in each run: a line scan suffices.
awk '
  function value(line) { sub(/.*: /, "", line); sub(/,$/, "", line); return line + 0 }
  FNR == 1 && FILENAME ~ /torch/ { next }
  FILENAME ~ /torch/ { split($0, f, ","); torch[f[1] "/" f[2]] = f[3]; next }
  /"name":/ { name = $0; sub(/.*"name": "/, "", name); sub(/".*/, "", name); median = name ~ /_median$/ }
  median && /"samples_per_second":/ { rate[name] = value($0) }
  median && /"gflops":/ { gflops[name] = value($0) }
  function ours(model, w, instrumented,   key) {
    for (key in rate) if (index(key, "training/model:" model "/W:" w "/instrumented:" instrumented "/") == 1) return rate[key]
    return 0
  }
  function flops(prefix,   key) { for (key in gflops) if (index(key, prefix) == 1) return gflops[key]; return 0 }
  function verdict(ok) { return ok ? "PASS" : "FAIL" }
  END {
    printf "%-6s %5s %16s %16s %8s\n", "model", "W", "dropperc", "PyTorch", "ratio"
    split("site bond", models, " "); split("32 128 512", widths, " ")
    for (m = 1; m <= 2; ++m) for (w = 1; w <= 3; ++w) {
      r = ours(m - 1, widths[w], 1); t = torch[models[m] "/" widths[w]]
      printf "%-6s %5s %16.1f %16.1f %8.2f\n", models[m], widths[w], r, t, r / t
    }
    s32 = ours(0, 32, 1) / torch["site/32"]; s512 = ours(0, 512, 1) / torch["site/512"]
    b128 = ours(1, 128, 1) / torch["bond/128"]
    site_cost = 1 - ours(0, 128, 1) / ours(0, 128, 0); bond_cost = 1 - ours(1, 128, 1) / ours(1, 128, 0)
    peak = flops("gemm_peak/1024"); used = flops("training/model:0/W:512/instrumented:1/")
    printf "\nsite W=32    %6.2f x PyTorch   goal >= 2:   %s\n", s32, verdict(s32 >= 2)
    printf "site W=512   %6.2f x PyTorch   goal >= 1:   %s\n", s512, verdict(s512 >= 1)
    printf "bond W=128   %6.2f x PyTorch   goal >= 10:  %s\n", b128, verdict(b128 >= 10)
    printf "instrumentation at W=128: site %.1f %%, bond %.1f %% of a step   goal <= 10 %%: %s\n",
           100 * site_cost, 100 * bond_cost, verdict(site_cost <= 0.1 && bond_cost <= 0.1)
    printf "GEMM peak %.1f GFLOP/s; the W=512 site step does %.1f GFLOP/s of useful work: %.0f %%\n",
           peak, used, 100 * used / peak
  }' "$work/torch.csv" "$work/ours.json"
