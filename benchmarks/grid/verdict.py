"""A grid cell's ratio, interval and verdict from its per-block seconds (the project's timing rule)."""

import math

import numpy as np
from scipy import stats

VERDICT_LEGEND = ("verdict: the timing rule (99% interval of reference/fused excludes 1 and at least "
                  "5%): win = fused faster, LOSS = fused slower, tie = no detectable difference, n/a = "
                  "under 10 blocks (--blocks / --pairs)")


def ratio_interval(block_ratios, confidence=0.95, seed=0):
    """``(median, low, high)`` of per-block ratios, a description without a verdict (the lowering
    table's reference / lowering column); the interval is scipy's bootstrap percentile interval of the
    median (the range of the ratios when there are fewer than 3)."""
    ratios = np.asarray(block_ratios, dtype=float)
    if ratios.size == 0 or not np.all(np.isfinite(ratios)) or np.any(ratios <= 0):
        raise ValueError(f"block_ratios must be finite positive numbers, got {block_ratios}")
    median = float(np.median(ratios))
    if ratios.size < 3 or np.ptp(ratios) == 0:
        return median, float(ratios.min()), float(ratios.max())
    result = stats.bootstrap((ratios,), np.median, confidence_level=confidence, method="percentile",
                             n_resamples=2000, random_state=seed)
    return median, float(result.confidence_interval.low), float(result.confidence_interval.high)


def cell_verdict(reference_seconds, fused_seconds, offset_sd=0.0):
    """Reference / fused from per-block seconds, by the project's timing rule (``harness.timing_rule``:
    99 % interval excluding 1 and at least 5 %), the interval widened by ``offset_sd`` (log scale: an
    offset the blocks cannot show, between two warm models or two runs). ``{ratio, low, high, verdict,
    block_se, offset_sd}``;
    verdict ``win`` (fused faster), ``LOSS`` (fused slower), ``tie`` (no detectable difference),
    ``n/a`` (too few blocks); ``block_se``: the standard error from the blocks alone."""
    from harness.timing_rule import FASTER, NOT_COMPARABLE, SLOWER, judge_paired

    reference, fused = (np.asarray(values, dtype=float) for values in (reference_seconds, fused_seconds))
    if reference.shape != fused.shape or np.any(reference <= 0) or np.any(fused <= 0):
        raise ValueError(f"block seconds must be positive and paired, got {reference_seconds} and "
                         f"{fused_seconds}")
    if not offset_sd >= 0:
        raise ValueError(f"offset_sd must be >= 0, got {offset_sd}")
    log_ratios = np.log(fused) - np.log(reference)
    blocks_only = judge_paired(log_ratios)
    if blocks_only.verdict == NOT_COMPARABLE:
        ratio = float(np.median(reference / fused))
        return {"ratio": ratio, "low": ratio, "high": ratio, "verdict": "n/a", "block_se": None,
                "offset_sd": offset_sd}
    judged = judge_paired(log_ratios, known_variance=offset_sd**2) if offset_sd > 0 else blocks_only
    return {"ratio": 1.0 / judged.ratio, "low": 1.0 / judged.high, "high": 1.0 / judged.low,
            "verdict": {FASTER: "win", SLOWER: "LOSS"}.get(judged.verdict, "tie"),
            "block_se": standard_error(blocks_only.low, blocks_only.high), "offset_sd": offset_sd}


def standard_error(low, high):
    """The log-scale standard error that the timing rule's interval ``low``-``high`` stands for."""
    from harness.timing_rule import QUANTILE

    return math.log(high / low) / (2 * QUANTILE)

