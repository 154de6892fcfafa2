"""The grid's run-to-run spread: every grid run appended to a history, and per R the sd of a warm
cell's ratio from run to run beyond what its blocks show.

A warm cell's interval comes from its blocks, widened by the instance offset the grid's A/A measures
(R = 1 and 10). Two grids of the same code on the same machine still disagreed beyond both
intervals at R = 100 (docs/benchmarks.md). So every ``python -m benchmarks.grid`` run is appended to
``results/perf/grid-runs.jsonl``. Over the runs of the same code (``code_fingerprint``), a cell's
log ratio in run j is ``mean_cell + u_j + noise``, ``u ~ N(0, sd^2)`` and the noise of its blocks'
standard error; per R, sd is fitted by the Q-profile (``benchmarks.grid.instance.q_profile_sd``, each
cell's mean unknown: ``sum over cells and runs of w (x - weighted mean)^2``, chi-square with ``runs - 1``
degrees a cell). From the second run on, the grid widens a warm cell at that R by the larger of the
sd's 95 % upper limit and the instance sd (``cell_widening``).
"""

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from benchmarks.grid import WARM_SUITES
from benchmarks.grid.instance import q_profile_sd, table_instance_sd
from harness.result_files import read_records

ROOT = Path(__file__).resolve().parents[2]
# this machine's history first, else the committed one (the first with two runs of this code)
HISTORIES = (Path("results/perf/grid-runs.jsonl"), ROOT / "docs" / "grid-runs.jsonl")
SCHEMA = "multireplica-harness/grid-run/1"
# what sets a cell's true ratio: the implementations, the networks and workloads they are built from,
# and the cases the grid times (a change here starts the spread afresh); not the harness's writer of
# result files, its timing rule or its rate intervals, which judge and keep timings but take none
CODE_PATHS = ("harness", "reference_impl", "multidense_impl", "benchmarks/cases.py", "benchmarks/device.py",
              "benchmarks/profiles.py", "benchmarks/twin_reference.py")
NOT_CODE = ("harness/result_files.py", "harness/timing_rule.py", "harness/proportions.py")


class HistoryError(ValueError):
    """A grid history that cannot be read: the message names the file and the line."""


def code_fingerprint(root=ROOT):
    """A short hash of the Python files under ``CODE_PATHS`` but ``NOT_CODE``."""
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        path = Path(root) / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            relative = file.relative_to(root).as_posix()
            if relative not in NOT_CODE:
                digest.update(relative.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def run_record(cells, command, started, seconds, code):
    """One grid run as a history line: its cells, command, start (ISO, UTC), seconds and code; each
    backend's device description once (``devices``), not in every cell."""
    devices = {cell["backend"]: cell["device"] for cell in cells if "device" in cell}
    return {"schema": SCHEMA, "code": code, "command": command, "started": started,
            "seconds": round(seconds, 1), "devices": devices,
            "cells": [{key: value for key, value in cell.items() if key != "device"} for cell in cells]}


def load_history(path):
    """The runs of a history, oldest first; [] without the file. A line that is not a run of this
    schema is an error naming the file and the line."""
    runs = []
    for number, run in read_records(path, SCHEMA, HistoryError, "a grid run"):
        if not isinstance(run.get("cells"), list) or not isinstance(run.get("code"), str):
            raise HistoryError(f"{path}:{number}: a grid run without its cells or code")
        runs.append(run)
    return runs


def append_run(path, record):
    """Append one run; a history that cannot be read is left as it is (HistoryError)."""
    path = Path(path)
    load_history(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def comparable_runs(code=None, paths=None):
    """``(path, runs)``: the runs of ``code`` (this tree's by default) in the first history with two
    of them; ``(None, [])`` when none has."""
    code = code or code_fingerprint()
    for path in HISTORIES if paths is None else paths:
        runs = [run for run in load_history(path) if run["code"] == code]
        if len(runs) >= 2:
            return path, runs
    return None, []


def _cell_key(cell):
    return cell["backend"], cell["suite"], cell["replicas"], cell.get("candidate", "multidense")


def _judged_warm(cell):
    return cell["suite"] in WARM_SUITES and cell["verdict"] != "n/a" and (cell.get("block_se") or 0) > 0


def run_sd(groups, confidence=0.95):
    """``(estimate, upper, degrees)``: the run-to-run sd (log scale) from ``groups``, one per cell, each
    a list of ``(log_ratio, block_se)`` over runs; the estimate solves Q = degrees, the one-sided upper
    limit Q = chi2.ppf(1 - confidence, degrees)."""
    groups = [np.asarray(group, dtype=float).reshape(-1, 2) for group in groups]
    groups = [group for group in groups if len(group) >= 2]
    if not groups or any(np.any(group[:, 1] <= 0) or not np.all(np.isfinite(group)) for group in groups):
        raise ValueError("groups must hold a cell's (log_ratio, block_se) over at least two runs, se > 0")
    degrees = sum(len(group) - 1 for group in groups)

    def q(variance):
        total = 0.0
        for values, ses in (group.T for group in groups):
            weights = 1.0 / (variance + ses**2)
            mean = np.sum(weights * values) / np.sum(weights)
            total += float(np.sum(weights * (values - mean) ** 2))
        return total

    spread = sum(float(np.sum((group[:, 0] - group[:, 0].mean()) ** 2)) for group in groups)
    estimate, upper = q_profile_sd(q, degrees, spread, confidence)
    return estimate, upper, degrees


def spread_by_replicas(runs):
    """Per R: ``{cells, runs, degrees, sd, sd_upper}`` over the judged warm cells that two or more of
    ``runs`` measured."""
    groups = {}
    for run in runs:
        for cell in filter(_judged_warm, run["cells"]):
            groups.setdefault(_cell_key(cell), []).append((math.log(cell["ratio"]), cell["block_se"]))
    fitted = {}
    for replicas in sorted({key[2] for key in groups}):
        cells = [group for key, group in groups.items() if key[2] == replicas and len(group) >= 2]
        if cells:
            estimate, upper, degrees = run_sd(cells)
            fitted[replicas] = {"cells": len(cells), "runs": max(map(len, cells)), "degrees": degrees,
                                "sd": estimate, "sd_upper": upper}
    return fitted


def disjoint_intervals(runs):
    """Per R: ``(disjoint, pairs)``, the cells of consecutive runs whose intervals do not overlap."""
    counts = {}
    for earlier, later in zip(runs, runs[1:], strict=False):
        before = {_cell_key(cell): cell for cell in filter(_judged_warm, earlier["cells"])}
        for cell in filter(_judged_warm, later["cells"]):
            other = before.get(_cell_key(cell))
            if other is not None:
                disjoint, pairs = counts.get(cell["replicas"], (0, 0))
                apart = cell["low"] > other["high"] or other["low"] > cell["high"]
                counts[cell["replicas"]] = (disjoint + apart, pairs + 1)
    return counts


def cell_widening(backend, suite, replicas, spread, table=None):
    """``(widening, instance_sd, run_sd)``: a warm cell's interval is widened by the larger of the A/A
    table's instance sd and the history's run-to-run upper limit at ``replicas`` (``spread``, what
    ``spread_by_replicas(comparable_runs()[1])`` fits, read once per run by the caller); one-shot
    suites: zeros."""
    if suite not in WARM_SUITES:
        return 0.0, 0.0, 0.0
    instance = table_instance_sd(backend, suite, table)
    between = spread.get(replicas, {}).get("sd_upper", 0.0)
    return max(instance, between), instance, between


def spread_lines(code=None):
    """What the grid prints under its table about its run-to-run spread."""
    code = code or code_fingerprint()
    path, runs = comparable_runs(code)
    if not runs:
        return [f"run-to-run spread: not measured for this code ({code}): a second `python -m "
                f"benchmarks.grid` run measures it (history {HISTORIES[0]})"]
    disjoint = disjoint_intervals(runs)
    lines = [f"run-to-run spread ({len(runs)} runs of this code in {path}), sd of a warm cell's log ratio "
             f"beyond its blocks, 95% upper limit; cells of consecutive runs with disjoint intervals:"]
    for replicas, fit in spread_by_replicas(runs).items():
        apart, pairs = disjoint.get(replicas, (0, 0))
        lines.append(f"  R = {replicas}: {fit['sd']:.3f} (<= {fit['sd_upper']:.3f}; {fit['cells']} cells, "
                     f"{fit['degrees']} degrees of freedom); disjoint {apart}/{pairs}")
    lines.append("  warm cells are widened by the larger of this limit and the instance sd")
    return lines
