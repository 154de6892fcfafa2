"""The grid verdict's A/A rate: the grid run with the reference against its copy, repeated.

    python -m benchmarks.grid.aa [--repeats 3] [--backends tensorflow] [--json results/perf/grid-aa.json]
        [--suites ... --replicas 100] [--append]

By default it runs the warm suites at R = 1, 10 and 100, the build at R = 1 and 10 and the first
step at R = 1;
``--suites``/``--replicas`` choose others (the warm suites at R = 100: the grid's headline cells),
``--append`` adds the run to the table instead of replacing it (each run kept in ``runs``).

Every cell compares identical code (``reference`` against ``benchmarks.twin_reference``), so a
``win`` or ``LOSS`` there is a false alarm of the grid's verdict (the timing rule on interleaved
blocks, ``benchmarks.grid.verdict``). Each repeat is a fresh worker process per backend, so every cell of
every repeat is an independent comparison; the rate per backend and per R comes with its exact
(Clopper-Pearson) 95 % interval. ``benchmarks.grid`` quotes it under its table.

The warm cells also measure the instance offset (``benchmarks.grid.instance``) that widens the
grid's warm intervals (where larger, the grid's run-to-run sd at R widens them instead,
``benchmarks.grid.history``). A run's cells are judged with the offset of the table before it
(``judged_with``: the file the grid reads, this machine's or the committed one), never with their
own, so the rate is that of the verdict the grid gives; the new file's cells then give the next offset.
"""

import argparse
import json
import time
from pathlib import Path

from benchmarks.grid import BACKENDS, SUITES, WARM_SUITES, history
from benchmarks.grid.instance import aa_table, instance_sds, rate_text, rates, table_instance_sd
from benchmarks.grid.run import parse_arguments, run_backend
from harness.result_files import check_writable, json_field, write_atomically

TWIN = "benchmarks.twin_reference"
# (suites, R) run as one grid each: the warm suites at R = 100 too (the headline cells; on the 2-core
# AVX-512 machine 255 s a repeat for all three backends), not the one-shot cells there (the reference
# at R = 100 takes a minute to trace, 20 a cell) nor the first step at R = 10 (5 s a sample, 20 a cell)
PLAN = (((*WARM_SUITES, "build"), (1, 10)), (WARM_SUITES, (100,)), (("first_step",), (1,)))
RESULT = Path("results/perf/grid-aa.json")
PRODUCER = "benchmarks.grid.aa"
OLD_PRODUCER = "benchmarks.grid_aa"  # its name before the grid became a package: a file it wrote is ours
RUN_KEYS = ("command", "seconds", "judged_with", "judged_with_table", "judged_with_run_sd")


def check_json(path):
    """Raise FileExistsError when ``path`` exists and this command did not write it (under either name)."""
    return check_writable(path, lambda existing: json_field(existing, "producer") in (PRODUCER, OLD_PRODUCER),
                          f"a file written by {PRODUCER}", "--json")


def previous_runs(path):
    """``(cells, runs)`` of the A/A table at ``path`` (``--append``): its cells and the record of each
    run that wrote them (a table of one run, written before ``runs`` was kept: that run)."""
    if not path.exists():
        raise FileNotFoundError(f"--append: {path} does not exist (run without --append to start it)")
    try:
        table = json.loads(path.read_text())
        cells = list(table["cells"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"--append: {path} is not an A/A table of {PRODUCER} ({error!r})") from None
    runs = table.get("runs") or [{key: table.get(key) for key in RUN_KEYS} | {"cells": len(cells)}]
    return cells, runs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grid.aa", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=["tensorflow"], choices=BACKENDS)
    parser.add_argument("--suites", nargs="+", choices=SUITES, help="instead of the plan's suites")
    parser.add_argument("--replicas", type=int, nargs="+", help="with --suites: the R (default 1 10)")
    parser.add_argument("--json", type=Path, default=RESULT)
    parser.add_argument("--append", action="store_true",
                        help="add this run's cells to the A/A table at --json instead of replacing it")
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1 or min(arguments.replicas or [1]) < 1:
        parser.error("--repeats and --replicas must be at least 1")
    plan = PLAN if not arguments.suites else ((arguments.suites, arguments.replicas or (1, 10)),)
    try:
        check_json(arguments.json)
        kept, runs = previous_runs(arguments.json) if arguments.append else ([], [])
    except (FileExistsError, FileNotFoundError, ValueError) as error:
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
    cells, first_repeat = [], 1 + max((cell.get("repeat", 0) for cell in kept), default=-1)
    for repeat in range(first_repeat, first_repeat + arguments.repeats):
        for backend in arguments.backends:
            for suites, replicas in plan:
                grid_arguments = parse_arguments(["--suites", *suites, "--replicas", *map(str, replicas),
                                                  "--pairs", "10", "--candidates", TWIN])
                cells += [{**cell, "repeat": repeat, "run": len(runs)}
                          for cell in run_backend(backend, grid_arguments)]
    for label, group in [("this run", cells), *([("the whole table", kept + cells)] if kept else [])]:
        for by in ("backend", "replicas", None):
            for row in rates(group, by):
                name = row["backend"] if by == "backend" else f"R = {row['replicas']}" if by else "all"
                print(f"grid A/A, {label}, {name}: {rate_text(row)} win or LOSS")
    cells = kept + cells
    for backend, fitted in instance_sds(cells).items():
        print(f"instance sd on {backend} (Q-profile over {fitted['cells']} warm cells): {fitted['sd']:.3f}, "
              f"95% upper limit {fitted['sd_upper']:.3f}"
              + (f" (this run judged with {judged_with[backend]:.3f})" if backend in judged_with else ""))
    run = {"command": " ".join(["python -m benchmarks.grid.aa", *(argv or [])]),
           "seconds": time.perf_counter() - start, "judged_with": judged_with,
           "judged_with_table": str(before) if before else None, "judged_with_run_sd": spread,
           "cells": len(cells) - len(kept)}
    payload = {**{key: run[key] for key in RUN_KEYS}, "runs": [*runs, run], "rates": rates(cells),
               "rates_by_replicas": rates(cells, "replicas"), "cells": cells, "producer": PRODUCER}
    write_atomically(check_json(arguments.json), json.dumps(payload, indent=1))
    print(f"written to {arguments.json} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
