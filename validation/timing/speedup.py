"""Fused vs reference in the working tree, interleaved in one worker: the report's speedup verdicts.

    python -m validation.timing.speedup [--replicas 1 10 100] [--blocks 40] [--steps 5] [--json PATH]

Each block times every implementation at every R in turn inside one process, so machine drift hits
all alike; the per-block log ratio fused / reference is judged by the timing rule
(``harness.timing_rule``). Its false-alarm rate is measured by ``python -m validation.timing.power``
(the reference against its twin, identical code under two names).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from harness.registry import REFERENCE, implementation_names
from harness.timing_rule import FASTER, SLOWER, judge_paired
from validation.timing.method import (
    DEFAULT_BLOCKS,
    DEFAULT_ROUNDS,
    DEFAULT_STEPS,
    REFRESH_EVERY,
    comparison_cases,
)

RESULT = Path("results/timing/speedup.json")
DEFAULT_REPLICAS = (1, 10, 100)
SCHEMA = "multireplica-harness/timing-speedup/1"
FUSED_FASTER, FUSED_SLOWER, NO_CHANGE = "fused faster", "fused slower", "no detectable difference"


def speedup_rows(blocks, label, selected=None):
    """Per candidate, suite and R: reference / candidate with its interval and verdict (``selected``:
    a boolean mask of the blocks to use)."""
    rows = []
    for case in blocks.cases:
        if case.implementation == REFERENCE:
            continue
        reference = f"{case.suite}({REFERENCE}, R={case.replicas})"
        if reference not in blocks.medians[label]:
            continue  # not timed at this R (the reference's R = 100 trace: left out of some designs)
        times = {name: np.asarray(blocks.medians[label][name]) for name in (reference, case.name)}
        rounds = np.asarray(blocks.rounds)
        if selected is not None:
            times = {name: values[selected] for name, values in times.items()}
            rounds = rounds[selected]
        verdict = judge_paired(np.log(times[case.name]) - np.log(times[reference]), rounds)
        rows.append({"suite": case.suite, "replicas": case.replicas, "candidate": case.implementation,
                     "reference_ms": 1e3 * float(np.nanmedian(times[reference])),
                     "candidate_ms": 1e3 * float(np.nanmedian(times[case.name])),
                     "speedup": None if verdict.ratio is None else 1.0 / verdict.ratio,
                     "low": None if verdict.high is None else 1.0 / verdict.high,
                     "high": None if verdict.low is None else 1.0 / verdict.low,
                     "verdict": {FASTER: FUSED_FASTER, SLOWER: FUSED_SLOWER}.get(verdict.verdict, NO_CHANGE),
                     "blocks": verdict.units})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m validation.timing.speedup",
                                description=__doc__.splitlines()[0])
    p.add_argument("--replicas", type=int, nargs="+", default=list(DEFAULT_REPLICAS))
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="fresh workers (default %(default)s)")
    p.add_argument("--blocks", type=int, default=DEFAULT_BLOCKS)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    p.add_argument("--json", type=Path, default=RESULT)
    args = p.parse_args(argv)
    if min(args.replicas) < 1 or min(args.rounds, args.blocks, args.steps) < 1:
        p.error("--replicas, --rounds, --blocks and --steps must be >= 1")
    from benchmarks.interleaved import WorkerError, measure
    from validation.results import check_writable, now_iso, write_json
    from validation.timing.rates import DEFAULT_BACKEND, error_rates_lines

    try:
        check_writable(args.json)
    except FileExistsError as error:
        p.error(f"--json: {error}")
    start, started = time.perf_counter(), now_iso()
    backend = os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)  # the workers' backend
    cases = comparison_cases(("train_step",), args.replicas, implementation_names())
    try:
        blocks = measure({"tree": Path.cwd()}, cases, rounds=args.rounds, blocks=args.blocks,
                         steps=args.steps, refresh_every=REFRESH_EVERY.get(backend))
    except WorkerError as error:
        print(f"FAILURE: {error}", file=sys.stderr)
        return 2
    rows = speedup_rows(blocks, "tree")
    for row in rows:
        interval = "-" if row["low"] is None else f"{row['low']:.2f}-{row['high']:.2f}"
        speedup = "-" if row["speedup"] is None else f"{row['speedup']:.2f}"  # too few blocks to judge
        print(f"{row['suite']} R={row['replicas']:<4} reference / {row['candidate']}: "
              f"{speedup} (99% interval {interval}): {row['verdict']}")
    for line in error_rates_lines(backend=backend):
        print(line)
    write_json(args.json, {"schema": SCHEMA, "started": started, "backend": backend,
                           "seconds": time.perf_counter() - start,
                           "rows": rows, "blocks": blocks.as_json()})
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
