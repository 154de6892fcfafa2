#!/usr/bin/env bash
# CI: `asv check`, then every benchmark once through on HEAD in the current environment (profile
# quick unless MRH_BENCH_PROFILE says otherwise). Exits non-zero when any benchmark errors: asv's
# own exit status is not relied upon, the saved results are checked by benchmarks/ci_results.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export MRH_BENCH_PROFILE="${MRH_BENCH_PROFILE:-quick}"
MACHINE="${ASV_MACHINE:-ci}"
commit="$(git rev-parse HEAD)"
results=".asv/results/$MACHINE/${commit:0:8}-existing-*.json"

"$PYTHON" -m asv machine --yes --machine "$MACHINE" >/dev/null
"$PYTHON" -m asv check --python=same
rm -f $results
run_status=0
"$PYTHON" -m asv run --python=same --machine "$MACHINE" --set-commit-hash "$commit" --show-stderr \
    || run_status=$?
"$PYTHON" -m benchmarks.ci_results $results
exit "$run_status"
