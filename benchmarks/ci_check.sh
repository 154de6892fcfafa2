#!/usr/bin/env bash
# CI: `asv check`, then every benchmark once through on HEAD in the current environment (profile
# quick unless MRH_BENCH_PROFILE says otherwise). Exits non-zero when any benchmark errors: asv's
# own exit status is not relied upon, the saved results are checked by benchmarks/ci_results.py.
#   ASV_BENCH=REGEX   only the benchmarks asv's -b REGEX selects
#   ASV_QUICK=1       asv run --quick (one sample each)
#   ASV_LAUNCH_METHOD  asv's launch method (default forkserver: the suite and its Keras backend are
#       imported once, not once per parameter set (8 s each); a check, not a measurement, so the
#       fresh interpreter per benchmark that asv.conf.json's spawn gives the measurements is not needed)
#   MRH_GPU_REHEARSAL=1  the GPU suites run on this device (see benchmarks/bench_gpu.py); the check
#       then also fails when a GPU benchmark measured nothing (all skipped), except the peak memory
#       where the device keeps no statistics; `asv check` is left to the plain run; the rehearsal's results are
#       removed afterwards (they are not measurements).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export MRH_BENCH_PROFILE="${MRH_BENCH_PROFILE:-quick}"
MACHINE="${ASV_MACHINE:-ci}"
commit="$(git rev-parse HEAD)"
results=".asv/results/$MACHINE/${commit:0:8}-existing-*.json"
options=(--launch-method "${ASV_LAUNCH_METHOD:-forkserver}")
if [ -n "${ASV_BENCH:-}" ]; then options+=(--bench "$ASV_BENCH"); fi
if [ "${ASV_QUICK:-0}" = 1 ]; then options+=(--quick); fi
if [ "${MRH_GPU_REHEARSAL:-0}" = 1 ]; then trap 'rm -rf ".asv/results/$MACHINE"' EXIT; fi

"$PYTHON" -m asv machine --yes --machine "$MACHINE" >/dev/null
if [ "${MRH_GPU_REHEARSAL:-0}" != 1 ]; then  # the rehearsal runs after `make asv-check` has checked
    "$PYTHON" -m asv check --python=same
fi
rm -f $results
run_status=0
"$PYTHON" -m asv run --python=same --machine "$MACHINE" --set-commit-hash "$commit" --show-stderr \
    ${options[@]+"${options[@]}"} || run_status=$?
"$PYTHON" -m benchmarks.ci_results $results
if [ "${MRH_GPU_REHEARSAL:-0}" = 1 ]; then
    "$PYTHON" - $results <<'CHECK'
import json, math, sys
measured, unmeasured = [], []
for path in sys.argv[1:]:
    with open(path) as handle:
        data = json.load(handle)
    for name, row in data["results"].items():
        if name.startswith("bench_gpu.") and not name.endswith("track_gpu_peak_memory"):
            values = dict(zip(data["result_columns"], row))["result"]
            values = values if isinstance(values, list) else [values]
            ran = any(value is not None and not math.isnan(value) for value in values)
            (measured if ran else unmeasured).append(name)
print(f"GPU rehearsal: measured {sorted(measured)}; nothing measured for {sorted(unmeasured)}")
sys.exit(1 if unmeasured or not measured else 0)
CHECK
fi
exit "$run_status"
