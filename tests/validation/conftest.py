"""Shared, cached validation runs: each candidate's quick suite runs once per test session."""

import functools

from validation.settings import QUICK
from validation.steps.suite import groups_holding, run_suite


@functools.cache
def quick_results(candidate):
    """``{check name: CheckResult}`` of the quick suite on ``candidate``."""
    _, results = run_suite(candidate, QUICK, progress=lambda line: None)
    return {result.name: result for result in results}


def quick_results_of(candidate, check_names):
    """``{check name: CheckResult}`` of the quick suite's groups that hold ``check_names``."""
    _, results = run_suite(candidate, QUICK, progress=lambda line: None, groups=groups_holding(check_names))
    return {result.name: result for result in results}
