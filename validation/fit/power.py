"""Fit-level power: false alarms over independent null repetitions and detection of planted defects.

Each repetition (run seed s) fits the reference once per design and configuration, then every
candidate of that configuration against those reference fits. Null candidates (the real fused layer,
the einsum alternative, the fused layer with per-replica clipnorm) count false alarms (goal <= 1 %);
planted defects count detections (a failing fit check). Repetitions are spread over processes.
"""

import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from harness.nnpdf import NNPDF_CLIPNORM
from harness.proportions import exact_interval
from validation.defects import module_name
from validation.defects.shared_dropout_mask import PartlySharedDropout
from validation.results import (
    FIT_POWER_SCHEMA,
    TEXT_HEADER,
    environment,
    load_table,
    now_iso,
)

FALSE_ALARM_GOAL = 0.01
LOCAL = Path("results/validation/fit_power.json")
COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "fit-power.json"
EINSUM = "validation.fit.einsum"
# (configuration, clipnorm, candidate, kind, designs, every run): kind "null" or the planted defect's
# name (the shared dropout mask also at partial strengths: a detection curve over strength); rows not
# run every repetition run on the first ``defect_runs`` seeds only. A candidate is a module name or an
# object providing the module's functions.
DEFAULT = "nnpdf_clipnorm"  # the default fit check's configuration: NNPDF's clipnorm in both designs
ROWS = (
    (DEFAULT, NNPDF_CLIPNORM, "multidense", "null", ("independent", "matched"), True),
    (DEFAULT, NNPDF_CLIPNORM, EINSUM, "null", ("independent", "matched"), False),
    (DEFAULT, NNPDF_CLIPNORM, module_name("clipnorm_coupling"), "clipnorm_coupling",
     ("independent", "matched"), False),
    (DEFAULT, NNPDF_CLIPNORM, PartlySharedDropout(0.25), "shared_dropout_mask (25 %)", ("independent",),
     False),
    (DEFAULT, NNPDF_CLIPNORM, PartlySharedDropout(0.5), "shared_dropout_mask (50 %)", ("independent",),
     False),
    (DEFAULT, NNPDF_CLIPNORM, module_name("shared_dropout_mask"), "shared_dropout_mask", ("independent",),
     False),
    (DEFAULT, NNPDF_CLIPNORM, module_name("naive_fans"), "naive_fans", ("independent", "matched"), False),
    (DEFAULT, NNPDF_CLIPNORM, module_name("consecutive_seeds"), "consecutive_seeds",
     ("independent", "matched"), False),
)


def _repetitions(task):
    """Worker: per row index, failing checks counted and per-run chi2 shifts, over ``seeds``."""
    import dataclasses

    from validation.candidates import load_candidate, reference
    from validation.fit import checks as fit_checks

    settings, seeds, defect_runs, first_seed = task
    counts = {i: Counter() for i in range(len(ROWS))}
    shifts = {i: [] for i in range(len(ROWS))}
    p_values = {i: [] for i in range(len(ROWS))}
    for seed in seeds:
        rows = [i for i, row in enumerate(ROWS) if row[5] or seed < first_seed + defect_runs]
        for config, clipnorm in dict.fromkeys((ROWS[i][0], ROWS[i][1]) for i in rows):
            config_settings = dataclasses.replace(settings, clipnorm=clipnorm)
            truths = {design: fit_checks.run_side(reference(), config_settings, design, 0, seed)
                      for design in fit_checks.DESIGNS}
            for i in (i for i in rows if ROWS[i][0] == config):
                candidate = ROWS[i][2]
                candidate = load_candidate(candidate) if isinstance(candidate, str) else candidate
                any_design = False
                for design in ROWS[i][4]:
                    pair = fit_checks.draw(candidate, config_settings, seed, design, truths[design])
                    results = [(c.__name__, c(pair, config_settings)) for c in fit_checks.CHECKS]
                    failed = [name for name, result in results if not result.passed]
                    p_values[i].append({"seed": seed, "design": design,
                                        **{name: result.p_value for name, result in results}})
                    counts[i].update(f"{design}.{name}" for name in failed)
                    counts[i][f"{design}.any"] += bool(failed)
                    any_design = any_design or bool(failed)
                    shifts[i].append((design, float(np.mean(pair.candidate.central_chi2)
                                                     - np.mean(pair.reference.central_chi2))))
                counts[i]["verdict.any"] += any_design  # the fit verdict: any check of any design
    return counts, shifts, p_values


def measure(settings, runs, workers=None, defect_runs=None, progress=print, first_seed=0):
    """The fit_power.json payload: every-run rows over ``runs`` seeds (from ``first_seed``), the others
    over the first ``defect_runs`` of them; every check's p-value of every run is kept."""
    workers = workers or min(2, os.cpu_count() or 1)
    defect_runs = min(runs, defect_runs or max(1, runs // 5))
    started, start = now_iso(), time.perf_counter()
    chunks = [list(range(s, min(s + workers, runs))) for s in range(0, runs, workers)]
    tasks = [(settings, [first_seed + seed], defect_runs, first_seed) for chunk in chunks for seed in chunk]
    counts = {i: Counter() for i in range(len(ROWS))}
    shifts = {i: [] for i in range(len(ROWS))}
    p_values = {i: [] for i in range(len(ROWS))}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for done, (task_counts, task_shifts, task_p) in enumerate(pool.map(_repetitions, tasks), start=1):
            for i, counted in task_counts.items():
                counts[i].update(counted)
                shifts[i] += task_shifts[i]
                p_values[i] += task_p[i]
            progress(f"  repetition {done}/{len(tasks)} done ({time.perf_counter() - start:.0f} s)")
    rows = [row for i in range(len(ROWS)) for row in _rows(i, counts[i], shifts[i], runs, defect_runs)]
    return {"schema": FIT_POWER_SCHEMA, "environment": environment(), "started": started,
            "seconds": time.perf_counter() - start, "null_runs": runs, "defect_runs": defect_runs,
            "settings": settings.as_json(), "alpha": settings.alpha, "first_seed": first_seed,
            "p_values": {_label(ROWS[i][2]): p_values[i] for i in range(len(ROWS))},
            "note": f"{settings.mode} size: R = {settings.replicas} replicas per fit, "
                    f"{settings.points}-point grid, <= {settings.max_steps} steps, patience "
                    f"{settings.patience}, NNPDF clipnorm; "
                    f"multidense's null rows over {runs} seeds, the einsum alternative's and the planted "
                    f"defects' over {defect_runs}; design 'verdict': any check of either design "
                    f"(the fit verdict)",
            "rows": rows}


def _rows(index, counts, shifts, runs, defect_runs):
    from validation.fit.checks import CHECKS

    config, clipnorm, candidate, kind, designs, every_run = ROWS[index]
    n = runs if every_run else defect_runs
    rows = []
    for design in designs + (("verdict",) if len(designs) > 1 else ()):
        design_shifts = [s for d, s in shifts if d == design]
        for check in [c.__name__ for c in CHECKS] + ["any"] if design != "verdict" else ["any"]:
            failures = counts[f"{design}.{check}"]
            rate = failures / n
            met = rate <= FALSE_ALARM_GOAL if kind == "null" else None
            rows.append({"configuration": config, "clipnorm": clipnorm,
                         "candidate": _label(candidate),
                         "defect": None if kind == "null" else kind, "design": design, "check": check,
                         "kind": "false_alarm" if kind == "null" else "detection", "runs": n,
                         "failures": failures, "rate": rate, "interval": exact_interval(failures, n),
                         "goal": FALSE_ALARM_GOAL if met is not None
                         else None, "met": met,
                         "median_central_chi2_shift": float(np.median(design_shifts)) if design_shifts
                         else None})
    return rows


def _label(candidate):
    return candidate if isinstance(candidate, str) else candidate.__name__


def text_table(payload):
    lines = [f"{TEXT_HEADER} (fit level)",
             f"# {payload['started']}  {payload['environment']['backend']}  {payload['seconds']:.0f} s",
             f"# {payload['note']}; alpha {payload['alpha']} per check; exact 95 % intervals",
             f"{'candidate':<58} {'design':<11} {'check':<22} {'kind':<11} {'fail':>5} "
             f"{'runs':>5} {'rate':>7} {'interval':>13}  {'chi2 shift':>10}  goal"]
    for row in payload["rows"]:
        goal = "-" if row["met"] is None else ("<= 1% " + ("met" if row["met"] else "NOT MET"))
        shift = row["median_central_chi2_shift"]
        low, high = row.get("interval", (float("nan"), float("nan")))
        lines.append(f"{row['candidate']:<58} {row['design']:<11} {row['check']:<22} "
                     f"{row['kind']:<11} {row['failures']:>5} {row['runs']:>5} {row['rate']:>7.1%} "
                     f"{f'{low:.0%}-{high:.0%}':>13}  {'-' if shift is None else f'{shift:+.3g}':>10}  "
                     f"{goal}")
    return "\n".join(lines) + "\n"


def load_power_table(path=None):
    """fit_power.json at ``path``, else the local one, else the committed one; None if there is none
    or it is unreadable (a verdict then quotes no null rate; the report names a corrupt file)."""
    try:
        return load_table([path] if path else [LOCAL, COMMITTED], FIT_POWER_SCHEMA)
    except ValueError:
        return None


MATCHED_SETTINGS = ("replicas", "points", "max_steps", "patience", "clipnorm", "learning_rate",
                    "dropout_rate", "alpha")


def verdict_false_alarms(settings, table):
    """The null row of the whole fit verdict (multidense, any check of either design) of ``table`` when
    it was measured at ``settings``' size and configuration, else None."""
    if not table or any(table.get("settings", {}).get(f) != getattr(settings, f) for f in MATCHED_SETTINGS):
        return None
    return next((row for row in table.get("rows", []) if row.get("candidate") == "multidense"
                 and row.get("design") == "verdict" and row.get("kind") == "false_alarm"), None)


def defect_detections(settings, table):
    """``[(candidate, detections, runs)]`` of every planted defect's whole verdict in ``table`` when it
    was measured at ``settings``' size and configuration (a one-design row's "any" is its verdict)."""
    if verdict_false_alarms(settings, table) is None:
        return []
    rows = [row for row in table["rows"] if row.get("kind") == "detection" and row.get("check") == "any"]
    verdicts = {row["candidate"] for row in rows if row["design"] == "verdict"}
    return [(row["candidate"], row["failures"], row["runs"]) for row in rows
            if row["design"] == "verdict" or row["candidate"] not in verdicts]
