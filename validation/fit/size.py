"""The fit size chosen by power: ``python -m validation.fit.size``.

At each candidate size (replicas, grid points, steps) the whole fit check (both designs, NNPDF's
clipnorm through each implementation's own ``make_optimizer``) runs on independent repetitions
(run seeds) for the reference against:

- ``multidense``: the correct fused layer (per-replica clipping): a failed check is a false alarm;
- ``validation.defects.clipnorm_coupling``: the fused layer with plain Keras clipnorm, which clips all
  replicas together (what got MultiDense removed upstream): a failed check is a detection.

Rates come with exact (Clopper-Pearson) 95 % intervals, and the cost with the CPU seconds of one check
(both designs, reference and candidate, build included). The chosen size is the cheapest whose observed
detection rate is >= 95 % and false-alarm rate <= 1 %. The table is written to
``results/validation/fit_size.json``; the one measured when the default was chosen is kept as
``docs/fit-size.json``, and every fit verdict quotes the row of its own size (``power_statement``).
"""

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from harness.nnpdf import NNPDF_CLIPNORM
from harness.proportions import exact_interval
from validation.results import (
    TEXT_HEADER,
    environment,
    load_table,
    now_iso,
    write_json,
    write_text,
)

SCHEMA = "multireplica-harness/fit-size/1"
LOCAL = Path("results/validation/fit_size.json")
COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "fit-size.json"
NULL, DEFECT = "multidense", "validation.defects.clipnorm_coupling"
DETECTION_GOAL, FALSE_ALARM_GOAL = 0.95, 0.01
SIZE_FIELDS = ("replicas", "points", "max_steps", "patience")


class FitSizeTableError(ValueError):
    """The fit size table is unreadable or of another schema."""


def size_settings(base, replicas, points, max_steps, patience=None):
    """``base`` (FitSettings) at another size, with NNPDF's clipnorm; the grid keeps 30 points a dataset."""
    return dataclasses.replace(base, replicas=replicas, points=points, datasets=max(1, points // 30),
                               max_steps=max_steps, patience=patience or base.patience,
                               clipnorm=NNPDF_CLIPNORM)


def size_key(settings):
    return {field: getattr(settings, field) for field in SIZE_FIELDS}


def _repetition(task):
    """Worker: one run seed at one size; failed checks of each candidate and the CPU seconds."""
    from validation.candidates import load_candidate, reference
    from validation.fit import checks as fit_checks

    settings, seed = task
    outcome = {"seed": seed, "failed": {NULL: [], DEFECT: []}, "cpu_seconds": {}, "p_values": {}}
    cpu = {"reference": 0.0, NULL: 0.0, DEFECT: 0.0}
    build = {"reference": 0.0, NULL: 0.0}  # building and compiling fitters: paid once per process
    for design in fit_checks.DESIGNS:
        dropout = fit_checks.fit_options(settings, design, 0, seed).dropout_rate
        for name, implementation in (("reference", reference()), (NULL, load_candidate(NULL))):
            start = time.process_time()
            fit_checks.fitter(implementation, settings, dropout)
            build[name] += time.process_time() - start
    for design in fit_checks.DESIGNS:
        start = time.process_time()
        truth = fit_checks.run_side(reference(), settings, design, 0, seed)
        cpu["reference"] += time.process_time() - start
        for name in (NULL, DEFECT):
            start = time.process_time()
            pair = fit_checks.draw(load_candidate(name), settings, seed, design, truth)
            cpu[name] += time.process_time() - start
            for check in fit_checks.CHECKS:
                result = check(pair, settings)
                outcome["p_values"].setdefault(name, {})[result.name] = result.p_value
                if not result.passed:
                    outcome["failed"][name].append(result.name)
    outcome["cpu_seconds"] = cpu
    outcome["build_cpu_seconds"] = build["reference"] + build[NULL]
    return outcome


def size_row(settings, outcomes):
    """One size's row: detections, false alarms (exact intervals), per-check detections and cost."""
    runs = len(outcomes)
    alarms = sum(bool(o["failed"][NULL]) for o in outcomes)
    detections = sum(bool(o["failed"][DEFECT]) for o in outcomes)
    by_check = {}
    for outcome in outcomes:
        for name in outcome["failed"][DEFECT]:
            by_check[name] = by_check.get(name, 0) + 1
    check_cpu = sorted(o["cpu_seconds"]["reference"] + o["cpu_seconds"][NULL] for o in outcomes)
    row = {**size_key(settings), "data_points": settings.workload.n_data, "runs": runs,
           "false_alarms": alarms, "false_alarm_rate": alarms / runs,
           "false_alarm_interval": exact_interval(alarms, runs),
           "detections": detections, "detection_rate": detections / runs,
           "detection_interval": exact_interval(detections, runs), "detections_by_check": by_check,
           "check_cpu_seconds_median": check_cpu[len(check_cpu) // 2],
           "build_cpu_seconds": max(o.get("build_cpu_seconds", 0.0) for o in outcomes)}
    row["meets_goals"] = (row["detection_rate"] >= DETECTION_GOAL
                          and row["false_alarm_rate"] <= FALSE_ALARM_GOAL)
    return row


def measure(base, sizes, runs, workers=None, progress=print, partial=None):
    """The fit_size.json payload over ``sizes`` (tuples of replicas, points, max_steps); ``partial``
    receives the payload so far after each size (a long study keeps what it has measured)."""
    workers = workers or min(2, os.cpu_count() or 1)
    started, start = now_iso(), time.perf_counter()
    rows = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for size in sizes:
            settings = size_settings(base, *size)
            size_start = time.perf_counter()
            outcomes = list(pool.map(_repetition, [(settings, seed) for seed in range(runs)]))
            row = size_row(settings, outcomes)
            row["wall_seconds"] = time.perf_counter() - size_start
            row["p_values"] = [o["p_values"] for o in outcomes]
            rows.append(row)
            progress(row_line(row))
            if partial:
                partial(_payload(base, rows, runs, workers, started, start))
    return _payload(base, rows, runs, workers, started, start)


def _payload(base, rows, runs, workers, started, start):
    chosen = choose(rows)
    return {"schema": SCHEMA, "environment": environment(), "started": started,
            "seconds": time.perf_counter() - start, "runs": runs, "workers": workers,
            "settings": dataclasses.asdict(base), "clipnorm": NNPDF_CLIPNORM,
            "goals": {"detection": DETECTION_GOAL, "false_alarm": FALSE_ALARM_GOAL},
            "rows": list(rows), "chosen": None if chosen is None else size_key_of(chosen)}


def size_key_of(row):
    return {field: row[field] for field in SIZE_FIELDS}


def choose(rows):
    """The cheapest row meeting both goals (CPU of one check, build included), or None."""
    meeting = [row for row in rows if row["meets_goals"]]
    return min(meeting, key=lambda row: row["check_cpu_seconds_median"] + row["build_cpu_seconds"],
               default=None)


def row_line(row):
    lo, hi = row["detection_interval"]
    flo, fhi = row["false_alarm_interval"]
    return (f"R = {row['replicas']:>3}, {row['points']:>4} points, <= {row['max_steps']:>4} steps: "
            f"detection {row['detections']}/{row['runs']} = {row['detection_rate']:.0%} "
            f"[{lo:.0%}, {hi:.0%}], "
            f"false alarms {row['false_alarms']}/{row['runs']} = {row['false_alarm_rate']:.0%} "
            f"[{flo:.0%}, {fhi:.1%}], one check {row['check_cpu_seconds_median']:.0f} s CPU "
            f"+ build {row['build_cpu_seconds']:.0f} s; goals {'met' if row['meets_goals'] else 'not met'}")


def text_table(payload):
    lines = [f"{TEXT_HEADER} (fit size: clipnorm coupling detection and false alarms)",
             f"# {payload['started']}  {payload['environment'].get('backend')}  {payload['seconds']:.0f} s, "
             f"{payload['runs']} repetitions per size, NNPDF clipnorm {payload['clipnorm']}"]
    lines += [row_line(row) for row in payload["rows"]]
    lines.append(f"chosen: {payload['chosen'] or 'none meets the goals'}")
    return "\n".join(lines) + "\n"


def load_size_table(path=None):
    """The table at ``path``, else the local one, else the committed one; None if there is none."""
    table = load_table([path] if path else [LOCAL, COMMITTED], SCHEMA, FitSizeTableError, "fit size table")
    if table is not None and not isinstance(table.get("rows"), list):
        raise FitSizeTableError(f"corrupt fit size table {table['path']}: no rows")
    return table


def power_statement(settings, table=None, path=None, null_row=None):
    """What the fit verdict could have seen at ``settings``' size: a dict with ``text`` (the table
    given, else the one at ``path``, else the local or committed one). ``null_row``: the fit power
    table's false alarms of the whole verdict at this size (more repetitions than the size table's)."""
    try:
        table = table or load_size_table(path)
    except FitSizeTableError as error:
        return {"measured": False, "text": f"power not known: {error}"}
    key = size_key(settings)
    row = None if table is None else next((r for r in table["rows"] if size_key_of(r) == key), None)
    size = (f"R = {settings.replicas}, {settings.points} points, <= {settings.max_steps} steps, "
            f"patience {settings.patience}")
    if row is None or settings.clipnorm != table.get("clipnorm"):
        return {"measured": False,
                "text": f"power against clipnorm coupling NOT measured at this size ({size}, clipnorm "
                        f"{settings.clipnorm}): `python -m validation.fit.size` measures it"}
    row = at_alpha(row, settings.alpha)
    lo, hi = row["detection_interval"]
    alarms, runs = row["false_alarms"], row["runs"]
    if null_row is not None:
        alarms, runs = null_row["failures"], null_row["runs"]
    flo, fhi = exact_interval(alarms, runs)
    return {"measured": True, "detection_rate": row["detection_rate"], "detection_interval": [lo, hi],
            "false_alarms": alarms, "false_alarm_runs": runs, "false_alarm_interval": [flo, fhi],
            "runs": row["runs"], "path": table["path"],
            "text": f"power against clipnorm coupling {row['detections']}/{row['runs']} = "
                    f"{row['detection_rate']:.0%} (95 % interval {lo:.0%}-{hi:.0%}), false alarms "
                    f"{alarms}/{runs} (95 % interval {flo:.1%}-{fhi:.1%}) at {size} ({table['path']}"
                    f"{', fit power table' if null_row is not None else ''})"}


def at_alpha(row, alpha):
    """``row`` with its detections and false alarms recounted at the per-check ``alpha`` from the
    recorded p-values (a row without them is returned as it is)."""
    if not row.get("p_values"):
        return row
    def failed(name):
        return [any(p < alpha for p in run[name].values()) for run in row["p_values"]]
    detections, alarms = sum(failed(DEFECT)), sum(failed(NULL))
    runs = len(row["p_values"])
    return {**row, "alpha": alpha, "detections": detections, "detection_rate": detections / runs,
            "detection_interval": exact_interval(detections, runs), "false_alarms": alarms,
            "false_alarm_rate": alarms / runs, "false_alarm_interval": exact_interval(alarms, runs)}


def parse_sizes(texts, parser):
    sizes = []
    for text in texts:
        try:
            replicas, points, steps = (int(part) for part in text.split(","))
        except ValueError:
            parser.error(f"--sizes: each size is REPLICAS,POINTS,STEPS, got {text!r}")
        if replicas < 2 or points < 30 or points % 30 or steps < 1:
            parser.error(f"--sizes: {text!r} needs replicas >= 2, points a positive multiple of 30, "
                         f"steps >= 1")
        sizes.append((replicas, points, steps))
    return sizes


def main(argv=None):
    from validation.results import check_writable
    from validation.settings import FIT_QUICK

    parser = argparse.ArgumentParser(prog="python -m validation.fit.size", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["20,150,300", "50,150,300", "100,150,300"],
                        help="REPLICAS,POINTS,STEPS per size (points a multiple of 30)")
    parser.add_argument("--runs", type=int, default=20, help="repetitions per size (default 20)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: min(2, CPUs))")
    parser.add_argument("--json", type=Path, default=LOCAL)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    sizes = parse_sizes(args.sizes, parser)
    try:
        check_writable(args.json)
        check_writable(args.json.with_suffix(".txt"), TEXT_HEADER)
    except FileExistsError as error:
        parser.error(f"--json: {error}")
    payload = measure(FIT_QUICK, sizes, args.runs, args.workers, partial=lambda p: write_json(args.json, p))
    table = text_table(payload)
    print(table)
    write_json(args.json, payload)
    write_text(args.json.with_suffix(".txt"), table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
