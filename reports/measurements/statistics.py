"""Comparing two asv measurements with the harness's one timing rule (``harness.timing_rule``).

The report page (fused vs reference, time per commit) and the nightly gate (commit vs previous commit)
judge asv's recorded samples with ``harness.timing_rule.judge_unpaired``: the ratio of the medians, its
99 % bootstrap interval, and a change only when the interval excludes 1 and the ratio is at least
``MIN_EFFECT`` away from 1. A measurement with fewer than ``MIN_SAMPLES`` samples (``asv run --quick``
records one) is never compared: its ratio is shown, marked "not comparable", and is never significant.
"""

from dataclasses import dataclass

import numpy as np

from harness.timing_rule import (
    MIN_EFFECT,
    MIN_SAMPLES,
    NOT_COMPARABLE,
    RULE_DESCRIPTION,
    SLOWER,
    judge_unpaired,
)

REGRESSION_FACTOR = MIN_EFFECT  # a regression is a "slower" verdict: significant and >= this ratio

TEST_DESCRIPTION = (
    f"the harness's timing rule on the recorded samples (asv --record-samples): {RULE_DESCRIPTION}. "
    f"Results with fewer than {MIN_SAMPLES} samples (asv --quick) are never compared. asv measures each "
    f"benchmark in its own process, one after the other: for drift-free verdicts with measured error "
    f"rates use `make compare` (interleaved) and the speedup summary at the top of this page"
)
REGRESSION_DESCRIPTION = (
    f"a regression is a 'slower' verdict of the timing rule for new / previous: the 99% bootstrap interval "
    f"of the ratio of medians lies above 1 and the ratio is at least {REGRESSION_FACTOR:.2f}"
)


@dataclass(frozen=True)
class Comparison:
    """numerator / denominator, with its interval and verdict; ``note`` says why it is not comparable."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str
    comparable: bool
    significant: bool
    note: str


def compare(numerator, denominator, seed=0):
    """Compare two measurements (objects with ``value`` and ``samples``) as numerator / denominator."""
    for measurement in (numerator, denominator):
        if measurement.value is None:
            return Comparison(None, None, None, NOT_COMPARABLE, False, False, "failed (no value)")
        if np.isnan(measurement.value):
            return Comparison(None, None, None, NOT_COMPARABLE, False, False, "skipped")
    counts = [len(m.samples) if m.samples else 1 for m in (numerator, denominator)]
    if min(counts) < MIN_SAMPLES:
        ratio = float(numerator.value) / float(denominator.value) if denominator.value else float("inf")
        count = min(counts)
        return Comparison(ratio, None, None, NOT_COMPARABLE, False, False,
                          f"not comparable ({count} sample{'s' if count != 1 else ''})")
    verdict = judge_unpaired(numerator.samples, denominator.samples, seed=seed)
    return Comparison(verdict.ratio, verdict.low, verdict.high, verdict.verdict, True, verdict.significant,
                      verdict.verdict)


def is_regression(comparison):
    """The regression rule (new / previous): the timing rule's verdict is 'slower'."""
    return comparison.verdict == SLOWER
