"""``python -m validation --fit``: both designs on a candidate, the fit.json payload and its writing."""

import json
import time
from pathlib import Path

import numpy as np

from harness.registry import REFERENCE
from validation.candidates import load_candidate
from validation.fit import checks as fit_checks
from validation.fit.power import defect_detections, load_power_table, verdict_false_alarms
from validation.fit.size import power_statement
from validation.fit.statistics import distance_grids, ensemble_stats
from validation.results import (
    FIT_SCHEMA,
    check_writable,
    environment,
    now_iso,
    progress_line,
    write_json,
)

PLOTTED_POINTS = 300  # x-points kept in fit.json for the report's bands (the tests use every point)


def run_fit_validation(candidate_name, settings, run_seed=0, progress=print):
    """Both designs: (fit.json payload, check results)."""
    candidate = load_candidate(candidate_name)
    started, start = now_iso(), time.perf_counter()
    results, designs = [], {}
    total = len(fit_checks.DESIGNS) * len(fit_checks.CHECKS)
    for design in fit_checks.DESIGNS:
        pair = fit_checks.draw(candidate, settings, run_seed, design)
        progress(f"  {design}: reference fit {pair.reference.seconds:.1f} s "
                 f"({pair.reference.steps_run} steps), candidate fit {pair.candidate.seconds:.1f} s "
                 f"({pair.candidate.steps_run} steps)")
        for check in fit_checks.CHECKS:
            check_start = time.perf_counter()
            result = check(pair, settings)
            result.seconds = time.perf_counter() - check_start
            result.details["run_seed"] = run_seed
            results.append(result)
            progress(progress_line(len(results), total, result))
        designs[design] = design_summary(pair, settings)
    payload = {
        "schema": FIT_SCHEMA, "mode": settings.mode, "candidate": candidate_name, "reference": REFERENCE,
        "environment": environment(), "started": started, "seconds": time.perf_counter() - start,
        "passed": all(r.passed for r in results), "settings": settings.as_json(),
        "checks": [r.as_json() for r in results], "designs": designs,
        "power": _power(settings),
    }
    return payload, results


def _power(settings):
    """The verdict's power statement, with the planted defects the fit power table measured here."""
    table = load_power_table()
    statement = power_statement(settings, null_row=verdict_false_alarms(settings, table))
    defects = defect_detections(settings, table)
    if defects:
        statement["defects"] = [{"candidate": c, "detections": d, "runs": n} for c, d, n in defects]
        statement["text"] += "; planted defects detected: " + ", ".join(
            f"{c.removeprefix('validation.defects.')} {d}/{n}" for c, d, n in defects)
    return statement


def design_summary(pair, settings):
    """What the report draws: per-replica numbers, and ensemble bands and distances on a thinned grid."""
    x = settings.workload.xgrid[0, :, 0]
    keep = np.unique(np.linspace(0, len(x) - 1, min(PLOTTED_POINTS, len(x))).round().astype(int))
    distance, variance = distance_grids(pair.reference.pdf, pair.candidate.pdf)
    summary = {"parameters": pair.parameters, "x": x[keep], "flavours": pair.reference.pdf.shape[-1],
               "distance": distance[keep], "variance_distance": variance[keep],
               "closure": pair.closure_summary}
    for side in ("reference", "candidate"):
        fit = getattr(pair, side)
        mean, sd = ensemble_stats(fit.pdf)
        summary[side] = {"mean": mean[keep], "sd": sd[keep], "stopping_step": fit.stopping_step,
                         "steps_run": fit.steps_run, "seconds": fit.seconds,
                         "setup_seconds": fit.setup_seconds, "loop_seconds": fit.loop_seconds,
                         **{f"{kind}_chi2": getattr(fit, f"{kind}_chi2") for kind in fit_checks.CHI2_KINDS}}
    return summary


def write_result(path, payload):
    """Write ``payload`` to ``path``: replaces one of our result files, refuses any other file."""
    return write_json(path, payload)


def check_result_path(path, schema):
    """Raise FileExistsError before any work if ``path`` holds something that is not ours."""
    check_writable(path)


def _schema(path):
    try:
        return json.loads(Path(path).read_text()).get("schema")
    except (OSError, ValueError, AttributeError):
        return None
