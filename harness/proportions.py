"""Exact intervals of observed rates (false alarms, detections): one place for every table that counts."""

from scipy import stats


def exact_interval(successes, trials):
    """Clopper-Pearson (exact) 95 % interval of the proportion ``successes / trials``, as (low, high)."""
    if trials < 1:
        raise ValueError(f"trials must be at least 1 for an interval, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must lie in 0..trials ({trials}), got {successes}")
    interval = stats.binomtest(successes, trials).proportion_ci(0.95, method="exact")
    return float(interval.low), float(interval.high)
