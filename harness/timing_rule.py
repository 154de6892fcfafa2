"""The timing verdict: one rule for every "faster", "slower" and "no detectable change" the harness prints.

A timing comparison is a ratio numerator / denominator of times (new / old for a regression, reference /
fused for a speedup). The rule works on log ratios:

* paired units (blocks measured side by side in time, see ``benchmarks.interleaved``): the per-block
  log ratios, summarised by their 10 % trimmed mean;
* unpaired samples (two asv runs): the log of the ratio of the medians.

The interval is a 99 % bootstrap percentile interval (``scipy.stats.bootstrap``, resampling the
paired units, or each side). A change is declared only when both hold: the interval excludes 1
(significant) and the ratio is at least ``MIN_EFFECT`` away from 1 (relevant). The minimum effect is
what keeps process-level effects that no interval sees (each worker process has its own memory
layout) from being called a change; its false-alarm and detection rates are measured by
``python -m validation.timing.power`` on the real pipeline.

A comparison may also pass a floor (``floor_sd``, log scale): each side of its interval is then at
least ``QUANTILE * floor_sd`` wide. ``make compare`` passes the spread that identical code showed from
whole comparison to whole comparison (``validation.timing.floors``), so no interval claims more
precision than repeated runs of the same comparison have.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.99
MIN_EFFECT = 1.05  # a change must be at least 5 % (ratio >= 1.05 or <= 1 / 1.05) and significant
TRIM = 0.1  # trimmed-mean proportion cut from each end of the paired log ratios
RESAMPLES = 2000
MIN_UNITS = 10  # fewer paired blocks: no verdict ("not comparable"); a bootstrap of a few is overconfident
MIN_SAMPLES = 6  # fewer unpaired samples a side: no verdict (asv's own test needs 6 a side too)

QUANTILE = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))  # the interval's z (2.576 at 99 %)

SLOWER, FASTER, NO_CHANGE, NOT_COMPARABLE = "slower", "faster", "no detectable change", "not comparable"

RULE_DESCRIPTION = (
    f"a change is declared only when the {CONFIDENCE:.0%} bootstrap interval of the time ratio excludes 1 "
    f"and the ratio is at least {MIN_EFFECT:.2f} (slower) or at most 1/{MIN_EFFECT:.2f} (faster); "
    f"paired blocks: {TRIM:.0%}-trimmed mean of the per-block log ratios; unpaired samples: ratio of "
    f"medians"
)


@dataclass(frozen=True)
class TimingVerdict:
    """numerator / denominator of times, its interval, and the verdict for the numerator."""

    ratio: float | None
    low: float | None
    high: float | None
    verdict: str
    units: int
    method: str  # "paired blocks" or "unpaired samples"

    @property
    def significant(self):
        return self.verdict in (SLOWER, FASTER)

    @property
    def comparable(self):
        return self.verdict != NOT_COMPARABLE


def verdict_of(log_ratio, log_low, log_high, min_effect=MIN_EFFECT):
    """SLOWER / FASTER / NO_CHANGE from a log ratio and its interval."""
    threshold = math.log(min_effect)
    if log_low > 0 and log_ratio >= threshold:
        return SLOWER
    if log_high < 0 and log_ratio <= -threshold:
        return FASTER
    return NO_CHANGE


def _trimmed_mean(values, axis=-1):
    return stats.trim_mean(values, TRIM, axis=axis)


def judge_paired(log_ratios, groups=None, min_effect=MIN_EFFECT, seed=0, known_variance=0.0, floor_sd=0.0):
    """The verdict on paired units: ``log_ratios[i] = log(numerator_i / denominator_i)``.

    ``groups`` (one label per unit, e.g. the round: a fresh pair of processes and models) makes the
    interval a two-level bootstrap: rounds are resampled, then blocks within each chosen round. An
    offset that one process or model instance keeps for its whole life then widens the interval
    instead of passing for a change.

    ``known_variance`` (log scale) is variance of the estimate that the units cannot show, measured
    elsewhere: two rounds cannot estimate the round-to-round variance, so ``make compare`` passes the
    one its timing power table measured over many rounds, divided by its rounds. Each end of the
    interval moves out to ``sqrt(half_width**2 + (z * sqrt(known_variance))**2)``.
    """
    if not known_variance >= 0:
        raise ValueError(f"known_variance must be >= 0, got {known_variance}")
    values = np.asarray(log_ratios, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"log_ratios must be one-dimensional, got shape {values.shape}")
    groups = np.zeros(values.shape, int) if groups is None else np.asarray(groups)
    if groups.shape != values.shape:
        raise ValueError(f"groups must have one label per log ratio, got {groups.shape} for {values.shape}")
    finite = np.isfinite(values)
    values, groups = values[finite], groups[finite]
    if values.size < MIN_UNITS:
        return TimingVerdict(None, None, None, NOT_COMPARABLE, int(values.size), "paired blocks")
    estimate = float(_trimmed_mean(values))
    if np.all(values == values[0]):
        low = high = estimate
    elif np.unique(groups).size == 1:
        interval = stats.bootstrap((values,), _trimmed_mean, confidence_level=CONFIDENCE,
                                   n_resamples=RESAMPLES, method="percentile", random_state=seed,
                                   vectorized=True).confidence_interval
        low, high = float(interval.low), float(interval.high)
    else:
        low, high = _cluster_interval(values, groups, seed)
    if known_variance > 0:
        low, high = _widened(estimate, low, high, known_variance)
    low, high = floored_interval(estimate, low, high, floor_sd)
    return TimingVerdict(math.exp(estimate), math.exp(low), math.exp(high),
                         verdict_of(estimate, low, high, min_effect), int(values.size), "paired blocks")


def floored_interval(estimate, low, high, floor_sd):
    """Log-scale interval (``low``, ``high``) around ``estimate`` with each side at least
    ``QUANTILE * floor_sd`` wide; a side already wider is kept."""
    if not floor_sd >= 0:
        raise ValueError(f"floor_sd must be >= 0, got {floor_sd}")
    if floor_sd == 0:
        return low, high
    half = QUANTILE * floor_sd
    return min(low, estimate - half), max(high, estimate + half)


def with_floor(ratio, low, high, floor_sd, min_effect=MIN_EFFECT):
    """(low, high, verdict) of a recorded ratio and interval once floored (``floored_interval``): how
    the rule with a floor judges a comparison recorded without one. None for a row without interval."""
    if None in (ratio, low, high):
        return None
    estimate = math.log(ratio)
    log_low, log_high = floored_interval(estimate, math.log(low), math.log(high), floor_sd)
    return math.exp(log_low), math.exp(log_high), verdict_of(estimate, log_low, log_high, min_effect)


def _widened(estimate, low, high, known_variance):
    """Each end of the interval moved out by the known variance, added in quadrature."""
    extra = (QUANTILE * math.sqrt(known_variance)) ** 2
    return (estimate - math.sqrt((estimate - low) ** 2 + extra),
            estimate + math.sqrt((high - estimate) ** 2 + extra))


def _cluster_interval(values, groups, seed):
    """Percentile interval of the trimmed mean under a two-level bootstrap (groups, then units), all
    resamples drawn at once: group g holds ``lengths[g]`` units, each resample draws as many groups as
    there are, with replacement, then the smallest group's count of units from each, with replacement."""
    rng = np.random.default_rng(seed)
    members = [values[groups == label] for label in np.unique(groups)]
    lengths = np.array([len(m) for m in members])
    padded = np.zeros((len(members), lengths.max()))
    for row, member in zip(padded, members, strict=True):
        row[:len(member)] = member
    chosen = rng.integers(len(members), size=(RESAMPLES, len(members)))
    picks = rng.integers(0, lengths[chosen][..., None], size=(RESAMPLES, len(members), lengths.min()))
    statistics = _trimmed_mean(padded[chosen[..., None], picks].reshape(RESAMPLES, -1))
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(statistics, [tail, 1 - tail])
    return float(low), float(high)


def _log_median_ratio(numerator, denominator, axis=-1):
    return np.log(np.median(numerator, axis=axis)) - np.log(np.median(denominator, axis=axis))


def judge_unpaired(numerator, denominator, min_effect=MIN_EFFECT, seed=0):
    """The verdict on two independent sets of positive samples (e.g. two asv runs)."""
    a, b = (np.asarray(s, dtype=float) for s in (numerator, denominator))
    if min(a.size, b.size) < MIN_SAMPLES:
        ratio = float(np.median(a) / np.median(b)) if a.size and b.size else None
        return TimingVerdict(ratio, None, None, NOT_COMPARABLE, int(min(a.size, b.size)), "unpaired samples")
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError("timing samples must be positive")
    estimate = float(_log_median_ratio(a, b))
    interval = stats.bootstrap((a, b), _log_median_ratio, confidence_level=CONFIDENCE,
                               n_resamples=RESAMPLES, method="percentile", random_state=seed,
                               vectorized=True).confidence_interval
    low, high = float(interval.low), float(interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):  # constant samples: no spread to resample
        low = high = estimate
    return TimingVerdict(math.exp(estimate), math.exp(low), math.exp(high),
                         verdict_of(estimate, low, high, min_effect), int(min(a.size, b.size)),
                         "unpaired samples")
