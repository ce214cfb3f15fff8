#!/usr/bin/env bash
# Scheduling efficiency of `dropperc run` with 2 workers (3 ranks: the coordinator only hands out
# work) on the heterogeneous grid bench/scheduling.toml; docs/performance.md, "Scheduling".
#
#   bench/scheduling.sh [BUILD_DIR]     (default build/release; needs the dropperc target)
#
# Prints the coordinator's own figure (unit compute time / (workers x its wall time)), the same
# figure from the unit files over the whole command's wall time (MPI start-up and the merge
# included), the spread of unit times and the a-priori cost estimate. Goal: >= 90 %.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dropperc=${1:-$root/build/release}/dropperc
job=$root/bench/scheduling.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_rmaps_base_oversubscribe=1  # 3 ranks on 2 cores: the coordinator sleeps

{ "$dropperc" status "$job" --output "$work/out" || true; } | tail -1  # exit 3: not done
start=$(date +%s.%N)
mpirun -n 3 "$dropperc" run "$job" --output "$work/out" 2>&1 | tee "$work/log"
end=$(date +%s.%N)
/usr/bin/python3 - "$work/out/units" "$start" "$end" <<'PY'
import glob, sys
import h5py
import numpy as np
units, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
seconds = np.array([h5py.File(f).attrs["compute_seconds"] for f in glob.glob(units + "/*/*.h5")])
wall = end - start
efficiency = seconds.sum() / (2 * wall)
print(f"{seconds.size} units: {seconds.min():.3f} s min, {np.median(seconds):.3f} s median, "
      f"{seconds.max():.3f} s max, {seconds.sum():.1f} s in all")
print(f"whole command: {wall:.1f} s wall; efficiency including start-up and merge "
      f"{100 * efficiency:.1f} % -> {'PASS' if efficiency >= 0.9 else 'FAIL'} (goal >= 90 %)")
PY
