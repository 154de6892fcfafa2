"""Shared, cached validation runs: each candidate's quick suite runs once per test session."""

import functools

from validation.settings import QUICK
from validation.steps.suite import run_suite


@functools.cache
def quick_results(candidate):
    """``{check name: CheckResult}`` of the quick suite on ``candidate``."""
    _, results = run_suite(candidate, QUICK, progress=lambda line: None)
    return {result.name: result for result in results}
