"""Measured power: false-alarm rate on null seeds and detection rate on each planted defect.

Every check runs on ``runs`` seeds with the real fused implementation (a failure is a false alarm,
goal <= 1%) and, for each planted defect, on the same seeds with the defective candidate (a failure of
a check that targets the defect is a detection, goal >= 99%). Work is spread over processes.
"""

import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from validation.defects import DEFECTS, module_name
from validation.results import POWER_SCHEMA, TEXT_HEADER, environment, now_iso
from validation.settings import POWER

NULL_CANDIDATE = "multidense"
FALSE_ALARM_GOAL = 0.01
DETECTION_GOAL = 0.99


def _failures(task):
    """Worker: per candidate, the failing check names counted over ``seeds`` for one group.

    Candidates run seed by seed, so the reference side of each draw is computed once per seed.
    """
    from validation.candidates import load_candidate
    from validation.steps.suite import GROUPS, run_group

    group_index, candidate_names, seeds = task
    group = GROUPS[group_index]
    candidates = {name: load_candidate(name) for name in candidate_names}
    failures = {name: Counter() for name in candidate_names}
    for seed in seeds:
        for name, candidate in candidates.items():
            failures[name].update(r.name for r in run_group(group, candidate, POWER, seed)
                                  if not r.passed)
    return group_index, failures


def plan(runs, workers):
    """(group, candidates, seed chunk) tasks: the null candidate and every defect the group targets."""
    from validation.steps.suite import GROUPS

    chunks = [list(range(start, runs, workers)) for start in range(workers)]
    tasks = []
    for index, group in enumerate(GROUPS):
        candidates = [NULL_CANDIDATE] + [module_name(defect) for defect, targets in DEFECTS.items()
                                         if set(targets) & set(group.check_names)]
        tasks += [(index, candidates, chunk) for chunk in chunks]
    return tasks


def measure(runs=200, workers=None, progress=print):
    """The power.json payload."""
    from validation.steps.suite import GROUPS

    workers = workers or min(2, os.cpu_count() or 1)
    started, start = now_iso(), time.perf_counter()
    counts = {}
    context = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for group_index, failures in pool.map(_failures, plan(runs, workers)):
            for candidate, failed in failures.items():
                counts.setdefault((group_index, candidate), Counter()).update(failed)
            progress(f"  {GROUPS[group_index].title:<26} {len(failures)} candidates, one seed chunk done "
                     f"({time.perf_counter() - start:.0f} s)")
    rows = []
    for index, group in enumerate(GROUPS):
        for check in group.check_names:
            rows.append(_row(check, None, runs, counts[(index, NULL_CANDIDATE)][check]))
            for defect, targets in DEFECTS.items():
                if check in targets:
                    rows.append(_row(check, defect, runs, counts[(index, module_name(defect))][check]))
    return {"schema": POWER_SCHEMA, "environment": environment(), "started": started,
            "seconds": time.perf_counter() - start, "null_runs": runs, "null_candidate": NULL_CANDIDATE,
            "settings": POWER.as_json(),
            "note": "training and isolation checks run here at reduced size (see settings): "
                    f"{POWER.training_replicas} replicas, {POWER.training_points}-point grid, "
                    f"{POWER.training_steps} steps",
            "rows": rows}


def _row(check, defect, runs, failures):
    rate = failures / runs
    if defect is None:
        return {"check": check, "defect": None, "runs": runs, "failures": failures, "rate": rate,
                "kind": "false_alarm", "goal": FALSE_ALARM_GOAL, "met": rate <= FALSE_ALARM_GOAL}
    return {"check": check, "defect": defect, "runs": runs, "failures": failures, "rate": rate,
            "kind": "detection", "goal": DETECTION_GOAL, "met": rate >= DETECTION_GOAL}


def text_table(payload):
    lines = [TEXT_HEADER,
             f"# {payload['started']}  {payload['environment']['backend']}  "
             f"{payload['null_runs']} runs per row  {payload['seconds']:.0f} s",
             f"# {payload['note']}",
             f"{'check':<36} {'defect':<20} {'kind':<11} {'failures':>8} {'rate':>7} {'goal':>7}  met"]
    for row in payload["rows"]:
        goal = ("<= " if row["kind"] == "false_alarm" else ">= ") + f"{row['goal']:.0%}"
        lines.append(f"{row['check']:<36} {row['defect'] or '(null)':<20} {row['kind']:<11} "
                     f"{row['failures']:>8} {row['rate']:>7.1%} {goal:>7}  {'yes' if row['met'] else 'NO'}")
    return "\n".join(lines) + "\n"
