"""The grid verdict's A/A rate: the grid run with the reference against its copy, repeated.

    python -m benchmarks.grid.aa [--repeats 3] [--backends tensorflow] [--json results/perf/grid-aa.json]

By default it runs the warm suites and the build at R = 1 and 10 and the first step at R = 1.

Every cell compares identical code (``reference`` against ``benchmarks.twin_reference``), so a
``win`` or ``LOSS`` there is a false alarm of the grid's verdict (the timing rule on interleaved
blocks, ``benchmarks.grid.verdict``). Each repeat is a fresh worker process per backend, so every cell of
every repeat is an independent comparison; the rate per backend comes with its exact (Clopper-Pearson)
95 % interval. ``benchmarks.grid`` quotes it under its table.

The warm cells also measure the instance offset (``benchmarks.grid.instance``) that widens the grid's warm
intervals. A run's cells are judged with the offset of the table before it (``judged_with``: the
file the grid reads, this machine's or the committed one), never with their own, so the rate is
that of the verdict the grid gives; the new file's cells then give the next offset.
"""

import argparse
import json
import time
from pathlib import Path

from scipy import stats

from benchmarks.grid import BACKENDS, SUITES, WARM_SUITES, history
from benchmarks.grid.instance import aa_table, instance_sds, table_instance_sd
from benchmarks.grid.run import parse_arguments, run_backend
from harness.result_files import check_writable, json_field, write_atomically

TWIN = "benchmarks.twin_reference"
# (suites, R) run as one grid each: the reference at R = 100 takes a minute to trace on TensorFlow's
# CPU, and its first step at R = 10 five seconds a sample (10 pairs a cell)
PLAN = ((("train_step", "layer_forward", "layer_forward_backward", "network_forward", "build"), (1, 10)),
        (("first_step",), (1,)))
RESULT = Path("results/perf/grid-aa.json")
PRODUCER = "benchmarks.grid.aa"
OLD_PRODUCER = "benchmarks.grid_aa"  # its name before the grid became a package: a file it wrote is ours


def check_json(path):
    """Raise FileExistsError when ``path`` exists and this command did not write it (under either name)."""
    return check_writable(path, lambda existing: json_field(existing, "producer") in (PRODUCER, OLD_PRODUCER),
                          f"a file written by {PRODUCER}", "--json")


def rates(cells):
    """Per backend: false alarms (win or LOSS) over the cells with a verdict, with the exact interval."""
    rows = []
    for backend in sorted({cell["backend"] for cell in cells}):
        judged = [cell for cell in cells if cell["backend"] == backend and cell["verdict"] != "n/a"]
        flags = sum(cell["verdict"] in ("win", "LOSS") for cell in judged)
        interval = stats.binomtest(flags, len(judged)).proportion_ci(0.95, method="exact") if judged else None
        rows.append({"backend": backend, "flags": flags, "cells": len(judged),
                     "rate": flags / len(judged) if judged else float("nan"),
                     "low95": float(interval.low) if interval else float("nan"),
                     "high95": float(interval.high) if interval else float("nan")})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grid.aa", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["tensorflow"], choices=BACKENDS)
    parser.add_argument("--suites", nargs="+", choices=SUITES, help="instead of the plan's suites")
    parser.add_argument("--replicas", type=int, nargs="+", help="with --suites: the R (default 1 10)")
    parser.add_argument("--json", type=Path, default=RESULT)
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1 or min(arguments.replicas or [1]) < 1:
        parser.error("--repeats and --replicas must be at least 1")
    plan = PLAN if not arguments.suites else ((arguments.suites, arguments.replicas or (1, 10)),)
    try:
        check_json(arguments.json)
    except FileExistsError as error:
        parser.error(str(error))
    try:
        before, previous = aa_table()
    except ValueError as error:
        parser.error(str(error))
    start = time.perf_counter()
    judged_with = {backend: table_instance_sd(backend, WARM_SUITES[0], previous)
                   for backend in arguments.backends}
    print(f"warm cells judged with the instance sd of {before or 'no A/A table (none added)'}: "
          + ", ".join(f"{backend} {sd:.3f}" for backend, sd in judged_with.items()))
    spread = {replicas: fit["sd_upper"] for replicas, fit in
              history.spread_by_replicas(history.comparable_runs()[1]).items()}
    if spread:  # the grid's own widening: the larger of the two
        print("or, where larger, the grid's run-to-run sd: "
              + ", ".join(f"R = {replicas} {sd:.3f}" for replicas, sd in spread.items()))
    cells = []
    for repeat in range(arguments.repeats):
        for backend in arguments.backends:
            for suites, replicas in plan:
                grid_arguments = parse_arguments(["--suites", *suites, "--replicas", *map(str, replicas),
                                                  "--pairs", "10", "--candidates", TWIN])
                cells += [{**cell, "repeat": repeat} for cell in run_backend(backend, grid_arguments)]
    table = rates(cells)
    for row in table:
        print(f"grid A/A on {row['backend']}: {row['flags']}/{row['cells']} cells win or LOSS "
              f"({row['rate']:.1%}, 95% interval {row['low95']:.1%}-{row['high95']:.1%})")
    for backend, fitted in instance_sds(cells).items():
        print(f"instance sd on {backend} (Q-profile over {fitted['cells']} warm cells): {fitted['sd']:.3f}, "
              f"95% upper limit {fitted['sd_upper']:.3f} (judged with {judged_with[backend]:.3f})")
    payload = {"command": " ".join(["python -m benchmarks.grid.aa", *(argv or [])]),
               "seconds": time.perf_counter() - start, "judged_with": judged_with,
               "judged_with_table": str(before) if before else None, "judged_with_run_sd": spread,
               "rates": table, "cells": cells, "producer": PRODUCER}
    write_atomically(check_json(arguments.json), json.dumps(payload, indent=1))
    print(f"written to {arguments.json} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
