"""Comparing two measurements: the ratio, its bootstrap confidence interval, a Mann-Whitney U test,
and the one regression rule shared by the report page and the nightly gate.

A measurement with fewer than ``MIN_SAMPLES`` samples (an ``asv run --quick`` records one) is never
compared: its ratio is shown, marked "not comparable", and is never significant.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.01  # two-sided Mann-Whitney U significance level
CONFIDENCE = 0.99  # bootstrap interval of the ratio of medians
BOOTSTRAP_RESAMPLES = 2000
MIN_SAMPLES = 2
REGRESSION_FACTOR = 1.10  # new / old must be at least this (and significant) to be a regression

TEST_DESCRIPTION = (
    f"two-sided Mann-Whitney U test on the recorded samples (asv --record-samples), significant when "
    f"p < {ALPHA}; ratio of the asv values (medians) with a {CONFIDENCE:.0%} bootstrap confidence "
    f"interval ({BOOTSTRAP_RESAMPLES} resamples). Results with fewer than {MIN_SAMPLES} samples "
    f"(asv --quick) are never compared."
)
REGRESSION_DESCRIPTION = (
    f"a regression is flagged only when both hold: the Mann-Whitney U test between the two commits' "
    f"samples gives p < {ALPHA}, and the new / previous ratio is at least {REGRESSION_FACTOR:.2f}"
)


@dataclass(frozen=True)
class Comparison:
    """numerator / denominator, with its interval and test; ``note`` says why it is not comparable."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    comparable: bool
    significant: bool
    note: str


def compare(numerator, denominator, seed=0):
    """Compare two measurements (objects with ``value`` and ``samples``) as numerator / denominator."""
    for measurement in (numerator, denominator):
        if measurement.value is None:
            return Comparison(None, None, None, None, False, False, "failed (no value)")
        if np.isnan(measurement.value):
            return Comparison(None, None, None, None, False, False, "skipped")
    ratio = _ratio(numerator.value, denominator.value)
    counts = [len(m.samples) if m.samples else 1 for m in (numerator, denominator)]
    if min(counts) < MIN_SAMPLES:
        note = f"not comparable ({min(counts)} sample{'s' if min(counts) != 1 else ''})"
        return Comparison(ratio, None, None, None, False, False, note)
    a, b = np.asarray(numerator.samples, float), np.asarray(denominator.samples, float)
    p_value = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    low, high = _bootstrap_ratio_interval(a, b, seed)
    significant = p_value < ALPHA
    return Comparison(ratio, low, high, p_value, True, significant,
                      "significant" if significant else "not significant")


def is_regression(comparison):
    """The regression rule (new / previous): significant AND ratio >= REGRESSION_FACTOR."""
    return comparison.significant and comparison.ratio is not None and comparison.ratio >= REGRESSION_FACTOR


def _ratio(numerator, denominator):
    return float(numerator) / float(denominator) if denominator else float("inf")


def _bootstrap_ratio_interval(a, b, seed):
    rng = np.random.default_rng(seed)
    medians_a = np.median(rng.choice(a, (BOOTSTRAP_RESAMPLES, a.size)), axis=1)
    medians_b = np.median(rng.choice(b, (BOOTSTRAP_RESAMPLES, b.size)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = medians_a / medians_b
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)
