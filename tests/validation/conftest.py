"""Shared, cached validation runs: each candidate's quick suite runs once per test session."""

import functools

from validation.candidates import load_candidate
from validation.settings import QUICK
from validation.steps.suite import GROUPS, run_group, run_suite


@functools.cache
def quick_results(candidate):
    """``{check name: CheckResult}`` of the quick suite on ``candidate``."""
    _, results = run_suite(candidate, QUICK, progress=lambda line: None)
    return {result.name: result for result in results}


def quick_results_of(candidate, check_names):
    """``{check name: CheckResult}`` of the quick suite's groups that hold ``check_names`` (the other
    groups cannot change those checks' verdicts: each group draws its own sample)."""
    loaded = load_candidate(candidate)
    groups = [group for group in GROUPS if set(group.check_names) & set(check_names)]
    return {result.name: result for group in groups for result in run_group(group, loaded, QUICK, 0)}
