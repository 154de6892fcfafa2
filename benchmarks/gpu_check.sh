#!/usr/bin/env bash
# A GPU machine's first check, in one call: the float32 precision of its contractions, the lowerings
# measured on it, the nightly's validation and the backend_matrix tests, per backend with a GPU build
# installed (jax and torch by default), each part under its own time limit. Logs and the lowering
# tables go to $OUT (default results/gpu-check), tarred into $OUT.tgz after every part, so a run cut
# short still returns what it measured. Commit a lowering table as
# docs/gpu-lowerings/<backend>-<gpu>.json: the report shows it (docs/gpu-runner.md).
#
#   bash benchmarks/gpu_check.sh                  # PYTHON=python3 BACKENDS="jax torch" SCALE=1
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
BACKENDS=${BACKENDS:-jax torch}
SCALE=${SCALE:-1}  # multiplies every part's time limit
OUT=${OUT:-results/gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export MRH_TUNING_CACHE=${MRH_TUNING_CACHE:-$OUT/tuning.json}

part() {  # part NAME SECONDS COMMAND...: one logged, time-limited step
    local name=$1 limit=$(( $2 * SCALE )) start=$SECONDS rc
    shift 2
    echo "=== $name: $* (limit $limit s)" >> "$OUT/parts.log"
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    echo "=== $name rc=$rc in $(( SECONDS - start )) s" | tee -a "$OUT/parts.log"
    tar czf "$OUT.tgz" -C "$OUT" .
}

{ date; nvidia-smi || true; } > "$OUT/machine.log" 2>&1
for backend in $BACKENDS; do
    part "precision-$backend" 60 env KERAS_BACKEND="$backend" "$PYTHON" -c \
        "from harness.device import device_description, measure_contraction_error as error
print(device_description(), 'float32 contraction error', error())"
    part "lowerings-$backend" 150 env KERAS_BACKEND="$backend" "$PYTHON" -m benchmarks.lowerings \
        --replicas 10 100 --json "$OUT/lowerings-$backend.json"
done
case " $BACKENDS " in  # the nightly's validation runs on jax
    *" jax "*) part validation-jax 300 env KERAS_BACKEND=jax "$PYTHON" -m validation --quick \
                   --json "$OUT/validation-jax.json" ;;
esac
for backend in $BACKENDS; do
    part "tests-$backend" 300 env KERAS_BACKEND="$backend" "$PYTHON" -m pytest -q -m backend_matrix \
        -p no:cacheprovider tests
done
