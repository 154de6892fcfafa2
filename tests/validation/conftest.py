"""Shared, cached validation runs: each candidate's quick suite runs once per test session."""

import functools

from validation.settings import QUICK
from validation.steps.suite import GROUPS, groups_holding, run_suite


@functools.cache
def quick_results(candidate):
    """``{check name: CheckResult}`` of the quick suite on ``candidate``."""
    return _results(candidate, GROUPS)


def quick_results_of(candidate, check_names):
    """``{check name: CheckResult}`` of the quick suite's groups that hold ``check_names``."""
    return _results(candidate, groups_holding(check_names))


def _results(candidate, groups):
    _, results = run_suite(candidate, QUICK, progress=lambda line: None, groups=groups)
    return {result.name: result for result in results}
