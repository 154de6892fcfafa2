"""``python -m benchmarks.grid``: one subprocess per backend, the grid printed and written as JSON;
``--show`` prints a written grid again (``--markdown``: as the table docs/benchmarks.md quotes)."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.grid import BACKENDS, SUITES, history
from benchmarks.grid.instance import aa_rate_line, aa_table
from benchmarks.grid.table import (
    DEFAULT_JSON,
    check_writable,
    format_grid,
    format_markdown,
    read_grid,
    verdict_counts,
    write_grid,
)
from benchmarks.grid.verdict import VERDICT_LEGEND


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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grid", description=__doc__,
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
    parser.add_argument("--show", type=Path, nargs="?", const=DEFAULT_JSON, metavar="JSON",
                        help=f"print a written grid (default {DEFAULT_JSON}) instead of timing one")
    parser.add_argument("--markdown", action="store_true", help="print the grid as a markdown table")
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


def print_grid(cells, markdown=False):
    """The table, the legend, the count of each verdict and the verdict's measured A/A rate."""
    print(format_markdown(cells) if markdown else format_grid(cells), flush=True)
    print(VERDICT_LEGEND)
    print("cells: " + ", ".join(f"{count} {verdict}" for verdict, count in verdict_counts(cells).items()))
    print(aa_rate_line(sorted({cell["backend"] for cell in cells})))
    print("\n".join(history.spread_lines()))


def main(argv=None):
    arguments = parse_arguments(argv)
    if arguments.worker_output:
        from benchmarks.grid.measure import run_worker

        run_worker(arguments)
        return
    try:
        if arguments.show:
            grid = read_grid(arguments.show)
            print(f"{arguments.show}: {grid.get('command', 'command not recorded')}")
            print_grid(grid["cells"], arguments.markdown)
            return
        check_writable(arguments.json)  # before minutes of timing
        aa_table()  # a corrupt A/A table or history stops the grid now, not in its workers
        history.comparable_runs()
    except (FileExistsError, ValueError) as error:
        raise SystemExit(f"error: {error}") from None
    command = " ".join(["python -m benchmarks.grid", *(argv or sys.argv[1:])])
    started, start = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), time.perf_counter()
    cells = []
    for backend in arguments.backends:
        cells += run_backend(backend, arguments)
    write_grid(arguments.json, {"command": command, "cells": cells})
    history.append_run(history.HISTORIES[0], history.run_record(
        cells, command, started, time.perf_counter() - start, history.code_fingerprint()))
    print_grid(cells, arguments.markdown)
    print(f"written to {arguments.json}; appended to {history.HISTORIES[0]}")
