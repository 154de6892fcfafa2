"""Run every check group on a candidate and assemble the validation.json payload."""

import functools
import time
from dataclasses import dataclass

from harness.nnpdf import NNPDF_CLIPNORM
from harness.registry import REFERENCE
from validation.candidates import load_candidate
from validation.results import VALIDATION_SCHEMA, environment, now_iso, progress_line
from validation.steps import dropout_checks, equivalence_checks, initializer_checks, training_checks


@dataclass(frozen=True)
class Group:
    """Checks that share one sample: ``draw(candidate, settings, run_seed)`` feeds each check."""

    title: str
    draw: object
    checks: tuple
    check_names: tuple  # the names its results carry


def _group(module):
    name = module.GROUP
    return Group(name, module.draw, module.CHECKS, tuple(f"{name}.{c.__name__}" for c in module.CHECKS))


def _training_group(clipnorm):
    return Group(f"training ({training_checks.config_name(clipnorm)})",
                 functools.partial(training_checks.draw, clipnorm=clipnorm), training_checks.CHECKS,
                 training_checks.check_names(clipnorm))


GROUPS = (_group(initializer_checks), _group(dropout_checks), _group(equivalence_checks),
          _training_group(None), _training_group(NNPDF_CLIPNORM))


def run_group(group, candidate, settings, run_seed):
    """The group's results; the shared draw's time is split evenly over its checks."""
    start = time.perf_counter()
    sample = group.draw(candidate, settings, run_seed)
    shared = (time.perf_counter() - start) / len(group.checks)
    results = []
    for check in group.checks:
        start = time.perf_counter()
        result = check(sample, settings)
        result.seconds = shared + time.perf_counter() - start
        result.details["run_seed"] = run_seed
        results.append(result)
    return results


def groups_holding(check_names):
    """The groups that hold any of ``check_names`` (each group draws its own sample from the run seed,
    so running only these gives those checks the verdicts of a whole run)."""
    return tuple(group for group in GROUPS if set(group.check_names) & set(check_names))


def run_suite(candidate_name, settings, run_seed=0, progress=print, groups=GROUPS):
    """Every check of ``groups`` on ``candidate_name`` against the reference: (validation.json payload,
    results)."""
    candidate = load_candidate(candidate_name)
    started, start = now_iso(), time.perf_counter()
    total = sum(len(group.checks) for group in groups)
    results = []
    for group in groups:
        for result in run_group(group, candidate, settings, run_seed):
            results.append(result)
            progress(progress_line(len(results), total, result))
    payload = {
        "schema": VALIDATION_SCHEMA,
        "mode": settings.mode,
        "candidate": candidate_name,
        "reference": REFERENCE,
        "environment": environment(),
        "started": started,
        "seconds": time.perf_counter() - start,
        "passed": all(r.passed for r in results),
        "settings": settings.as_json(),
        "checks": [r.as_json() for r in results],
        "curves": {r.name: r.curve for r in results if r.curve is not None},
    }
    return payload, results
