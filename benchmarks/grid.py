"""The whole grid, backend x suite x R: reference / fused with an interval, and the train step's
fraction of the floor (``benchmarks.floor``). ``python -m benchmarks.grid --help``.

Each backend runs in its own subprocess (``KERAS_BACKEND`` is read once, at import). Inside it, the
two implementations (and, for the train step, the floor) are timed in interleaved blocks: a block
is a few calls of each, in a fresh random order per block, so that load on the machine hits all
alike; a block's time is the median of its calls. A cell's ratio reference / fused (above 1: the
fused layer is faster) is the trimmed mean of the per-block log ratios; the ratio, its interval
and its verdict (win, LOSS, tie) come from the project's timing rule (``harness.timing_rule``),
whose A/A rate on the grid is measured by ``python -m benchmarks.grid_aa``.
Build and first step are one-shot: each block is one fresh build (or first step) of each.
"""

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SUITES = ("train_step", "layer_forward", "layer_forward_backward", "network_forward", "build",
          "first_step")
BACKENDS = ("tensorflow", "jax", "torch")
PRODUCER = "benchmarks.grid"
DEFAULT_JSON = Path("results/perf/grid.json")


def ratio_interval(block_ratios, confidence=0.95, seed=0):
    """``(median, low, high)`` of per-block ratios, a description without a verdict (the lowering
    table's reference / lowering column); the interval is scipy's bootstrap percentile interval of the
    median (the range of the ratios when there are fewer than 3)."""
    ratios = np.asarray(block_ratios, dtype=float)
    if ratios.size == 0 or not np.all(np.isfinite(ratios)) or np.any(ratios <= 0):
        raise ValueError(f"block_ratios must be finite positive numbers, got {block_ratios}")
    median = float(np.median(ratios))
    if ratios.size < 3 or np.ptp(ratios) == 0:
        return median, float(ratios.min()), float(ratios.max())
    from scipy import stats

    result = stats.bootstrap((ratios,), np.median, confidence_level=confidence, method="percentile",
                             n_resamples=2000, random_state=seed)
    return median, float(result.confidence_interval.low), float(result.confidence_interval.high)


def cell_verdict(reference_seconds, fused_seconds):
    """``(ratio, low, high, verdict)`` of reference / fused from per-block seconds, by the project's
    timing rule (``harness.timing_rule``: 99 % interval excluding 1 and at least 5 %): ``win`` (fused
    faster), ``LOSS`` (fused slower), ``tie`` (no detectable difference), ``n/a`` (too few blocks)."""
    from harness.timing_rule import FASTER, NOT_COMPARABLE, SLOWER, judge_paired

    reference, fused = (np.asarray(values, dtype=float) for values in (reference_seconds, fused_seconds))
    if reference.shape != fused.shape or np.any(reference <= 0) or np.any(fused <= 0):
        raise ValueError(f"block seconds must be positive and paired, got {reference_seconds} and "
                         f"{fused_seconds}")
    judged = judge_paired(np.log(fused) - np.log(reference))
    if judged.verdict == NOT_COMPARABLE:
        ratio = float(np.median(reference / fused))
        return ratio, ratio, ratio, "n/a"
    verdict = {FASTER: "win", SLOWER: "LOSS"}.get(judged.verdict, "tie")
    return 1.0 / judged.ratio, 1.0 / judged.high, 1.0 / judged.low, verdict


VERDICT_LEGEND = ("verdict: the timing rule (99% interval of reference/fused excludes 1 and at least "
                  "5%): win = fused faster, LOSS = fused slower, tie = no detectable difference, n/a = "
                  "under 10 blocks (--blocks / --pairs)")
AA_TABLES = (Path("results/perf/grid-aa.json"), Path(__file__).resolve().parents[1] / "docs" / "grid-aa.json")


def aa_rate_line(backends):
    """The grid verdict's measured A/A rate (``python -m benchmarks.grid_aa``) on these backends."""
    for path in AA_TABLES:
        if path.exists():
            table = json.loads(path.read_text())
            rows = [row for row in table.get("rates", []) if row["backend"] in backends]
            missing = sorted(set(backends) - {row["backend"] for row in rows})
            parts = [f"{row['backend']} {row['flags']}/{row['cells']} cells ({row['rate']:.1%}, 95% interval "
                     f"{row['low95']:.1%}-{row['high95']:.1%})" for row in rows]
            parts += [f"{backend} not measured" for backend in missing]
            return f"A/A rate of the verdict (reference against its copy, {path}): " + "; ".join(parts)
    return "A/A rate of the verdict: not measured (python -m benchmarks.grid_aa)"


def format_grid(cells):
    """The grid as text: one line per backend, suite, R (and candidate, where there are several)."""
    several = len({cell.get("candidate", "multidense") for cell in cells}) > 1
    lines = [f"{'backend':<11}{'suite':<24}{'R':>4}{'ref/fused':>10}  {'99% interval':<15}{'verdict':<8}"
             f"{'fused/floor':>12}{'ref/floor':>10}{'fused/roofline':>15}"
             + ("  candidate" if several else "")]
    for cell in cells:
        floor = ("", "", "")
        if cell.get("fused_fraction_of_floor") is not None:
            floor = (f"{cell['fused_fraction_of_floor']:.2f}", f"{cell['reference_fraction_of_floor']:.2f}",
                     f"{cell['fused_fraction_of_roofline']:.2f}")
        interval = f"[{cell['low']:.2f}, {cell['high']:.2f}]"
        lines.append(f"{cell['backend']:<11}{cell['suite']:<24}{cell['replicas']:>4}{cell['ratio']:>10.2f}  "
                     f"{interval:<15}{cell['verdict']:<8}"
                     f"{floor[0]:>12}{floor[1]:>10}{floor[2]:>15}"
                     + (f"  {cell.get('candidate', 'multidense')}" if several else ""))
    return "\n".join(lines)


def check_writable(path, producer=PRODUCER):
    """Raise FileExistsError when ``path`` exists and was not written by ``producer`` (this command)."""
    path = Path(path)
    if path.exists():
        try:
            written_by = json.loads(path.read_text()).get("producer")
        except (ValueError, AttributeError):
            written_by = None
        if written_by != producer:
            raise FileExistsError(f"--json {path} exists and was not written by {producer}; "
                                  f"not overwriting it (choose another path)")


def write_json(path, payload, producer=PRODUCER):
    """Write ``payload`` (with its ``producer``) to ``path``, never over a foreign file."""
    path = Path(path)
    check_writable(path, producer)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
        json.dump({**payload, "producer": producer}, handle, indent=1)
    os.replace(handle.name, path)


# ---- the worker: one backend, in its own process -------------------------------------------------


def _warm_step(suite, implementation, replicas):
    from benchmarks import cases

    # A candidate outside the registry (an importable module, e.g. an older copy of multidense_impl)
    # is timed in the layer suites with its MultiDense class.
    cases.LAYER_CLASSES.setdefault(implementation, "MultiDense")
    if suite == "train_step":
        return cases.warmed(cases.new_fit_case(implementation, replicas)).step
    if suite == "network_forward":
        return cases.warm_forward_case(implementation, replicas).step
    return cases.warm_layer_case(implementation, replicas, backward=suite == "layer_forward_backward").step


def _timed_calls(function, calls):
    """The median seconds of ``calls`` calls: a call the scheduler preempts does not move it."""
    from benchmarks.device import timed

    return statistics.median(timed(function)[0] for _ in range(calls))


def measure_cell(suite, replicas, blocks, block_seconds, pairs, candidates=("multidense",), with_floor=True):
    """One cell: per-block seconds of the reference, each candidate (and, for the train step, the
    floor unless ``with_floor`` is false), all interleaved."""
    from benchmarks import cases
    from harness.registry import REFERENCE

    names = [REFERENCE, *candidates]
    if suite in cases.ONE_SHOT_SUITES:
        for name in names:  # imports and a lowering measured once (auto), untimed
            cases.new_one_shot_case(suite, name, replicas)
        samples = {name: [] for name in names}
        for block in range(pairs):
            for name in names if block % 2 == 0 else names[::-1]:
                samples[name].append(cases.ONE_SHOT_SUITES[suite](name, replicas))
        return samples
    functions = {name: _warm_step(suite, name, replicas) for name in names}
    if suite == "train_step" and with_floor:
        from benchmarks.floor import FloorStep

        floor = FloorStep(replicas)
        functions["floor"] = floor.seconds
    calls = {name: max(1, math.ceil(block_seconds / _timed_calls(function, 1)))
             for name, function in functions.items()}
    samples = {name: [] for name in functions}
    # a fresh random order per block: with a fixed (or alternating) order a case always has the same
    # neighbours, and a fast step after a slow one runs slower (benchmarks/interleaved.py)
    order_rng = random.Random(0)
    for _ in range(blocks):
        for name in order_rng.sample(list(functions), len(functions)):
            if name == "floor":  # its own clock: GEMM time plus the traffic at the measured bandwidth
                samples[name].append(statistics.median(floor.seconds() for _ in range(calls[name])))
            else:
                samples[name].append(_timed_calls(functions[name], calls[name]))
    return samples


def summarise(backend, suite, replicas, samples, candidate="multidense"):
    from harness.registry import REFERENCE

    reference, fused = samples[REFERENCE], samples[candidate]
    ratio, low, high, verdict = cell_verdict(reference, fused)
    cell = {"backend": backend, "suite": suite, "replicas": replicas, "candidate": candidate,
            "ratio": ratio, "low": low, "high": high, "verdict": verdict, "blocks": len(fused),
            "reference_seconds": statistics.median(reference),
            "fused_seconds": statistics.median(fused)}
    if "floor" in samples:
        from benchmarks.floor import fraction_of_floor, measure

        floor = statistics.median(samples["floor"])
        roofline = measure(replicas, repeats=3)["roofline_seconds"]
        cell.update(floor_seconds=floor, roofline_seconds=roofline,
                    fused_fraction_of_floor=fraction_of_floor(cell["fused_seconds"], floor),
                    reference_fraction_of_floor=fraction_of_floor(cell["reference_seconds"], floor),
                    fused_fraction_of_roofline=cell["fused_seconds"] / roofline)
    return cell


def run_worker(arguments):
    import keras

    backend = keras.backend.backend()
    cells = []
    for suite in arguments.suites:
        for replicas in arguments.replicas:
            samples = measure_cell(suite, replicas, arguments.blocks, arguments.block_seconds,
                                   arguments.pairs, arguments.candidates)
            for candidate in arguments.candidates:
                cell = summarise(backend, suite, replicas, samples, candidate)
                print(format_grid([cell]).splitlines()[1], candidate, file=sys.stderr, flush=True)
                cells.append(cell)
            Path(arguments.worker_output).write_text(json.dumps(cells))  # what is done survives a kill
    Path(arguments.worker_output).write_text(json.dumps(cells))


# ---- the parent: one subprocess per backend -----------------------------------------------------


def run_backend(backend, arguments):
    """The cells of one backend, measured in a subprocess with ``KERAS_BACKEND=backend``."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "cells.json"
        command = [sys.executable, "-m", "benchmarks.grid", "--worker-output", str(output),
                   "--suites", *arguments.suites, "--replicas", *map(str, arguments.replicas),
                   "--blocks", str(arguments.blocks), "--block-seconds", str(arguments.block_seconds),
                   "--pairs", str(arguments.pairs), "--candidates", *arguments.candidates]
        # numpy's OpenBLAS single-threaded (read at import): threaded, the floor's small GEMMs were
        # slower and its spinning threads slowed whatever ran next (docs/benchmarks.md)
        environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2",
                       "OPENBLAS_NUM_THREADS": "1"}
        completed = subprocess.run(command, env=environment, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"the {backend} worker failed (exit {completed.returncode})")
        return json.loads(output.read_text())


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=SUITES)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--blocks", type=int, default=15, help="interleaved blocks per warm cell")
    parser.add_argument("--block-seconds", type=float, default=0.2,
                        help="about how long one implementation runs in a block")
    parser.add_argument("--pairs", type=int, default=3,
                        help="builds / first steps of each per cell (under 10: n/a, no verdict; 10 at "
                             "R = 100 costs 20 reference traces of a minute each on TensorFlow's CPU)")
    parser.add_argument("--candidates", nargs="+", default=["multidense"],
                        help="implementations timed against the reference (registry names or modules)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the grid is written")
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    for name in ("blocks", "pairs"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(arguments, name)}")
    if arguments.block_seconds <= 0:
        parser.error(f"--block-seconds must be positive, got {arguments.block_seconds}")
    if any(replicas < 1 for replicas in arguments.replicas):
        parser.error(f"--replicas must be at least 1, got {arguments.replicas}")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    if arguments.worker_output:
        run_worker(arguments)
        return
    try:
        check_writable(arguments.json)  # before minutes of timing
    except FileExistsError as error:
        raise SystemExit(f"error: {error}") from None
    cells = []
    for backend in arguments.backends:
        cells += run_backend(backend, arguments)
    print(format_grid(cells), flush=True)
    print(VERDICT_LEGEND)
    print(aa_rate_line(arguments.backends))
    write_json(arguments.json, {"command": " ".join(["python -m benchmarks.grid", *(argv or sys.argv[1:])]),
                                "cells": cells})
    print(f"written to {arguments.json}")


if __name__ == "__main__":
    main()
