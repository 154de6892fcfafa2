"""One backend's worker: a cell's interleaved blocks (reference, candidates and the floor) and its JSON."""

import json
import math
import random
import statistics
import sys
from pathlib import Path

from benchmarks.grid.history import cell_widening
from benchmarks.grid.table import format_grid
from benchmarks.grid.verdict import cell_verdict


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


def summarise(backend, suite, replicas, samples, spread, candidate="multidense", table=None):
    """One cell's JSON: ratio, interval and verdict (warm cells widened by the larger of the instance
    sd of the A/A ``table`` and the run-to-run sd at R of the history's ``spread``, see
    ``benchmarks.grid.history.cell_widening``), medians and, for the train step, the floor."""
    from harness.registry import REFERENCE

    reference, fused = samples[REFERENCE], samples[candidate]
    widening, instance, between = cell_widening(backend, suite, replicas, spread, table)
    cell = {"backend": backend, "suite": suite, "replicas": replicas, "candidate": candidate,
            **cell_verdict(reference, fused, widening), "instance_sd": instance, "run_sd": between,
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
    """Every (suite, R) of ``arguments`` on this process's backend, written to ``--worker-output`` after
    each cell."""
    import keras

    from benchmarks.grid.history import comparable_runs, spread_by_replicas
    from harness.device import device_description

    backend = keras.backend.backend()
    device = device_description(backend)
    spread = spread_by_replicas(comparable_runs()[1])
    cells = []
    for suite in arguments.suites:
        for replicas in arguments.replicas:
            samples = measure_cell(suite, replicas, arguments.blocks, arguments.block_seconds,
                                   arguments.pairs, arguments.candidates)
            for candidate in arguments.candidates:
                cell = {**summarise(backend, suite, replicas, samples, spread, candidate),
                        "device": device}
                print(format_grid([cell]).splitlines()[1], candidate, file=sys.stderr, flush=True)
                cells.append(cell)
            Path(arguments.worker_output).write_text(json.dumps(cells))  # what is done survives a kill
    Path(arguments.worker_output).write_text(json.dumps(cells))
