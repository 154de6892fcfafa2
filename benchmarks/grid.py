"""The whole grid, backend x suite x R: reference / fused with an interval, and the train step's
fraction of the floor (``benchmarks.floor``). ``python -m benchmarks.grid --help``.

Each backend runs in its own subprocess (``KERAS_BACKEND`` is read once, at import). Inside it, the
two implementations (and, for the train step, the floor) are timed in interleaved blocks: a block
is a few rounds of one call of each implementation, every round in a fresh random order, so that
load on the machine hits all alike, and a run of the floor's calls (a best case, caches warm); a
block's time is the median of its calls. A cell's ratio reference / fused (above 1: the fused layer
is faster) is the trimmed mean of the per-block log ratios; the ratio, its interval and its verdict
(win, LOSS, tie) come from the project's timing rule (``harness.timing_rule``),
whose A/A rate on the grid is measured by ``python -m benchmarks.grid_aa``.
Build and first step are one-shot: each block is one fresh build (or first step) of each.

A warm cell times one model of each implementation for the whole cell, and two models of identical
code in one process differ by an offset they keep for their life (memory layout, thread placement),
which the cell's blocks cannot show: the grid's A/A cells measured it (``instance_sd``), and every
warm cell's interval is widened by its upper limit (``harness.timing_rule.judge_paired``'s
``known_variance``), as ``make compare`` widens its intervals by the power table's round sd.
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
from scipy import optimize, stats

SUITES = ("train_step", "layer_forward", "layer_forward_backward", "network_forward", "build",
          "first_step")
WARM_SUITES = SUITES[:4]  # one warm model of each implementation for the cell (build, first step: fresh ones)
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
    result = stats.bootstrap((ratios,), np.median, confidence_level=confidence, method="percentile",
                             n_resamples=2000, random_state=seed)
    return median, float(result.confidence_interval.low), float(result.confidence_interval.high)


def cell_verdict(reference_seconds, fused_seconds, instance_sd=0.0):
    """Reference / fused from per-block seconds, by the project's timing rule (``harness.timing_rule``:
    99 % interval excluding 1 and at least 5 %), the interval widened by ``instance_sd`` (log scale,
    the offset between two warm models). ``{ratio, low, high, verdict, block_se, instance_sd}``;
    verdict ``win`` (fused faster), ``LOSS`` (fused slower), ``tie`` (no detectable difference),
    ``n/a`` (too few blocks); ``block_se``: the standard error from the blocks alone."""
    from harness.timing_rule import FASTER, NOT_COMPARABLE, SLOWER, judge_paired

    reference, fused = (np.asarray(values, dtype=float) for values in (reference_seconds, fused_seconds))
    if reference.shape != fused.shape or np.any(reference <= 0) or np.any(fused <= 0):
        raise ValueError(f"block seconds must be positive and paired, got {reference_seconds} and "
                         f"{fused_seconds}")
    if not instance_sd >= 0:
        raise ValueError(f"instance_sd must be >= 0, got {instance_sd}")
    log_ratios = np.log(fused) - np.log(reference)
    blocks_only = judge_paired(log_ratios)
    if blocks_only.verdict == NOT_COMPARABLE:
        ratio = float(np.median(reference / fused))
        return {"ratio": ratio, "low": ratio, "high": ratio, "verdict": "n/a", "block_se": None,
                "instance_sd": instance_sd}
    judged = judge_paired(log_ratios, known_variance=instance_sd**2) if instance_sd > 0 else blocks_only
    return {"ratio": 1.0 / judged.ratio, "low": 1.0 / judged.high, "high": 1.0 / judged.low,
            "verdict": {FASTER: "win", SLOWER: "LOSS"}.get(judged.verdict, "tie"),
            "block_se": _standard_error(blocks_only.low, blocks_only.high), "instance_sd": instance_sd}


def _standard_error(low, high):
    """The log-scale standard error that the timing rule's interval ``low``-``high`` stands for."""
    from harness.timing_rule import CONFIDENCE

    return math.log(high / low) / (2 * stats.norm.ppf(0.5 + CONFIDENCE / 2))


def instance_sd(log_ratios, block_ses, confidence=0.95):
    """``(estimate, upper)``: the sd of the instance offset from A/A cells, log scale.

    Cell i's log ratio of identical code is ``offset_i + noise_i``, offset ~ N(0, tau^2) and noise of
    the known standard error ``block_ses[i]``. ``Q(tau^2) = sum(d_i^2 / (tau^2 + se_i^2))`` is then
    chi-square with n degrees of freedom (the mean is 0: identical code); the estimate solves ``Q = n``,
    the one-sided upper limit ``Q = chi2.ppf(1 - confidence, n)`` (the Q-profile interval); 0 where
    Q(0) is already below."""
    d, se = (np.asarray(values, dtype=float) for values in (log_ratios, block_ses))
    if d.ndim != 1 or d.shape != se.shape or d.size == 0 or not np.all(np.isfinite(d)) or not np.all(se > 0):
        raise ValueError(f"log_ratios and block_ses must be paired and finite, se > 0; got {d.size} log "
                         f"ratios and {se.size} standard errors")

    def solve(target):
        def excess(variance):
            return float(np.sum(d**2 / (variance + se**2))) - target
        if excess(0.0) <= 0:
            return 0.0
        return math.sqrt(optimize.brentq(excess, 0.0, float(np.sum(d**2)) / target))  # Q(that) <= target

    return solve(d.size), solve(stats.chi2.ppf(1 - confidence, d.size))


def instance_sds(cells):
    """Per backend: ``{cells, sd, sd_upper}`` fitted (``instance_sd``) on the warm cells with a verdict."""
    fitted = {}
    for backend in sorted({cell["backend"] for cell in cells}):
        warm = [cell for cell in cells if cell["backend"] == backend and cell["suite"] in WARM_SUITES
                and cell["verdict"] != "n/a"]
        if warm:
            estimate, upper = instance_sd([math.log(cell["ratio"]) for cell in warm],
                                          [block_se(cell) for cell in warm])
            fitted[backend] = {"cells": len(warm), "sd": estimate, "sd_upper": upper}
    return fitted


def block_se(cell):
    """A judged cell's standard error from its blocks alone: recorded, or, in tables written before
    the grid added the instance sd, from its 99 % interval, then the blocks' alone."""
    if cell.get("block_se") is not None:
        return cell["block_se"]
    return _standard_error(cell["low"], cell["high"])


VERDICT_LEGEND = ("verdict: the timing rule (99% interval of reference/fused excludes 1 and at least "
                  "5%): win = fused faster, LOSS = fused slower, tie = no detectable difference, n/a = "
                  "under 10 blocks (--blocks / --pairs)")
AA_TABLES = (Path("results/perf/grid-aa.json"), Path(__file__).resolve().parents[1] / "docs" / "grid-aa.json")


def aa_table():
    """``(path, table)`` of the grid's A/A table (``python -m benchmarks.grid_aa``): this machine's,
    else the committed one; ``(None, None)`` when there is none."""
    for path in AA_TABLES:
        if path.exists():
            try:
                table = json.loads(path.read_text())
                table["cells"], table["rates"]  # noqa: B018 - the two keys every reader needs
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"grid A/A table {path}: not written by benchmarks.grid_aa "
                                 f"({error!r})") from None
            return path, table
    return None, None


def table_instance_sd(backend, suite, table=None):
    """The instance sd (its upper limit) a cell of ``suite`` on ``backend`` is widened by: fitted on
    the A/A table's warm cells; 0 for one-shot suites and where the table lacks the backend."""
    table = aa_table()[1] if table is None else table
    if suite not in WARM_SUITES or table is None:
        return 0.0
    fitted = instance_sds(table["cells"]).get(backend)
    return fitted["sd_upper"] if fitted else 0.0


def aa_rate_line(backends):
    """The grid verdict's measured A/A rate (``python -m benchmarks.grid_aa``) on these backends, and
    the instance sd that widens the warm cells."""
    path, table = aa_table()
    if table is None:
        return ("A/A rate of the verdict: not measured, and warm cells not widened by an instance offset "
                "(python -m benchmarks.grid_aa)")
    rows = [row for row in table["rates"] if row["backend"] in backends]
    fitted = instance_sds(table["cells"])
    parts = []
    for row in rows:
        judged_with = table.get("judged_with", {}).get(row["backend"], 0.0)
        parts.append(f"{row['backend']} {row['flags']}/{row['cells']} cells ({row['rate']:.1%}, 95% interval "
                     f"{row['low95']:.1%}-{row['high95']:.1%}; judged with instance sd {judged_with:.3f})")
    measured = {row["backend"] for row in rows}
    parts += [f"{backend} not measured" for backend in sorted(set(backends) - measured)]
    widened = [f"{backend} {fitted[backend]['sd_upper']:.3f} (estimate {fitted[backend]['sd']:.3f}, "
               f"{fitted[backend]['cells']} cells)" for backend in backends if backend in fitted]
    return (f"A/A rate of the verdict (reference against its copy, {path}): " + "; ".join(parts)
            + "\nwarm cells' intervals widened by the instance sd, 95% upper limit, log scale: "
            + ("; ".join(widened) or "none measured on these backends"))


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
    floor unless ``with_floor`` is false), all interleaved: a warm block is rounds of one call of
    each implementation, about ``block_seconds`` of the slowest, and a run of the floor's calls; a
    block's time is the median of its calls."""
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
    slowest = max(_timed_calls(function, 1) for function in functions.values())
    rounds = max(1, math.ceil(block_seconds / slowest))
    floor = None
    if suite == "train_step" and with_floor:
        from benchmarks.floor import FloorStep

        floor = FloorStep(replicas)
        floor_calls = max(1, math.ceil(block_seconds / _timed_calls(floor.seconds, 1)))
    samples = {name: [] for name in [*functions, *(["floor"] if floor else [])]}
    # The implementations call by call (``cases.timed_in_turn``: back to back, the first-built of two
    # identical TensorFlow models ran x1.09 slower, 6 processes; x0.99 call by call, 4). The floor is
    # a best case: its calls run back to back (between TensorFlow calls its GEMMs took 1.6-3.2x as long at
    # R = 1), before or after the rounds.
    order_rng = random.Random(0)
    for _ in range(blocks):
        floor_first = floor is not None and order_rng.random() < 0.5
        if floor_first:
            samples["floor"].append(statistics.median(floor.seconds() for _ in range(floor_calls)))
        for name, seconds in cases.timed_in_turn(functions, rounds, order_rng).items():
            samples[name].append(statistics.median(seconds))  # a preempted call does not move it
        if floor is not None and not floor_first:  # its own clock: GEMM time plus the traffic
            samples["floor"].append(statistics.median(floor.seconds() for _ in range(floor_calls)))
    return samples


def summarise(backend, suite, replicas, samples, candidate="multidense", table=None):
    """One cell's JSON: ratio, interval and verdict (warm cells widened by the instance sd of the A/A
    ``table``, by default the one ``aa_table`` finds), medians and, for the train step, the floor."""
    from harness.registry import REFERENCE

    reference, fused = samples[REFERENCE], samples[candidate]
    cell = {"backend": backend, "suite": suite, "replicas": replicas, "candidate": candidate,
            **cell_verdict(reference, fused, table_instance_sd(backend, suite, table)),
            "blocks": len(fused),
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
        aa_table()  # a corrupt A/A table stops the grid now, not in its workers
    except (FileExistsError, ValueError) as error:
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
