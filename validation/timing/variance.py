"""A variance-components model of a timing comparison, and what it predicts about the timing rule.

The per-block log ratios of one benchmark (head / base, or reference / fused) are modelled as

    y[r, b] = effect + u[r] + e[r, b],   u ~ N(0, round_sd**2),   e ~ N(0, block_sd**2)

``u`` is what a pair of fresh worker processes keeps for its whole life (memory layout, thread
placement), ``e`` the block-to-block noise. Both are fitted by a one-way random-effects analysis on
the scale of the rule's 10 % trimmed mean (``fit``), with one-sided 95 % upper limits from the
chi-square distribution of the sums of squares.

A comparison of ``rounds`` rounds of ``blocks`` blocks then estimates ``effect`` with standard error
``se = sqrt(round_sd**2 / rounds + block_sd**2 / (rounds * blocks))``. The timing rule
(``harness.timing_rule``) declares "slower" when the lower end of its 99 % interval is above 0 and the
ratio is at least ``MIN_EFFECT``: with the interval read as ``estimate -+ z99 * se``, it fires when the
estimate passes ``threshold = max(log MIN_EFFECT, z99 * se)``. Hence, under the normal model:

* the false-alarm rate (identical code, either direction): the estimate must pass ``log MIN_EFFECT``
  and the interval; a bootstrap over two rounds may miss the round variance but not the blocks', so
  the interval is at least ``z99 * se_blocks`` wide (``se_blocks``: ``se`` without the round term),
  and the rate is at most ``2 * (1 - Phi(max(log MIN_EFFECT, z99 * se_blocks) / se))``;
* the detection probability of a true factor ``f``: ``1 - Phi((threshold - log f) / se)``;
* the minimum detectable slowdown at power ``p``: ``exp(threshold + z_p * se)``.

The model is only as good as its fit: ``validation.timing.power`` checks its predicted false-alarm
rate against the A/A comparisons observed on independent (disjoint) pairs of rounds.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from harness.timing_rule import CONFIDENCE, MIN_EFFECT, TRIM

UPPER_LEVEL = 0.95  # one-sided level of the variance components' upper limits
POWER = 0.95  # the power at which a minimum detectable slowdown is stated


@dataclass(frozen=True)
class NoiseModel:
    """The fitted components (log scale) with their upper limits and the data behind them."""

    block_sd: float
    round_sd: float
    block_sd_upper: float
    round_sd_upper: float
    rounds: int
    blocks: int  # all blocks used
    round_mean_var: float = 0.0  # variance of the rounds' trimmed means
    round_size: float = 1.0  # blocks per round (harmonic mean)

    def as_json(self):
        return asdict(self)

    def standard_error(self, rounds, blocks_per_round, upper=False, blocks_only=False):
        """The standard error of a comparison's estimate with this design (``blocks_only``: without the
        round variance, what an interval over blocks alone would say)."""
        block = self.block_sd_upper if upper else self.block_sd
        between = 0.0 if blocks_only else (self.round_sd_upper if upper else self.round_sd)
        return math.sqrt(between ** 2 / rounds + block ** 2 / (rounds * blocks_per_round))


def fit(log_ratios, rounds):
    """The noise model of per-block log ratios labelled by round, on the scale of the rule's estimator
    (the 10 % trimmed mean): the block variance is the within-round winsorized variance over
    ``(1 - 2 * TRIM) ** 2`` (Tukey and McLaughlin's variance of a trimmed mean, robust to the heavy
    tails of timings), the round variance what the rounds' trimmed means vary beyond it."""
    values = np.asarray(log_ratios, dtype=float)
    labels = np.asarray(rounds)
    if values.shape != labels.shape or values.ndim != 1:
        raise ValueError(f"log_ratios and rounds must be one-dimensional of one length, got "
                         f"{values.shape} and {labels.shape}")
    keep = np.isfinite(values)
    values, labels = values[keep], labels[keep]
    groups = [values[labels == label] for label in np.unique(labels)]
    groups = [group for group in groups if group.size >= 2]
    if len(groups) < 2:
        raise ValueError(f"the model needs at least 2 rounds of 2 blocks or more, got {len(groups)}")
    total, count = sum(group.size for group in groups), len(groups)
    winsorized = [np.asarray(stats.mstats.winsorize(group, limits=(TRIM, TRIM))) for group in groups]
    within = sum(float(((w - w.mean()) ** 2).sum()) for w in winsorized) / (1 - 2 * TRIM) ** 2
    df_within, df_between = total - count, count - 1
    size = stats.hmean([group.size for group in groups])
    between = float(np.var([stats.trim_mean(group, TRIM) for group in groups], ddof=1)) * df_between
    tail = 1 - UPPER_LEVEL
    block_var, block_var_upper = within / df_within, within / stats.chi2.ppf(tail, df_within)
    between_var, between_var_upper = between / df_between, between / stats.chi2.ppf(tail, df_between)
    return NoiseModel(
        block_sd=math.sqrt(block_var),
        round_sd=math.sqrt(max(0.0, between_var - block_var / size)),
        block_sd_upper=math.sqrt(block_var_upper),
        round_sd_upper=math.sqrt(max(0.0, between_var_upper - block_var / size)),
        rounds=count, blocks=int(total), round_mean_var=between_var, round_size=float(size))


def rounds_for_bound(model, rounds, blocks_per_round, goal, most=200):
    """How many recorded rounds would bring the false-alarm bound of a ``rounds`` x ``blocks_per_round``
    comparison to ``goal``, were the variances as estimated now (the upper limit of the round variance
    narrows with its degrees of freedom); None beyond ``most``."""
    blocks_se = model.standard_error(rounds, blocks_per_round, blocks_only=True)
    for recorded in range(max(2, model.rounds), most + 1):
        df = recorded - 1
        upper = model.round_mean_var * df / stats.chi2.ppf(1 - UPPER_LEVEL, df)
        round_var = max(0.0, upper - model.block_sd ** 2 / model.round_size)
        se = math.sqrt(round_var / rounds + model.block_sd_upper ** 2 / (rounds * blocks_per_round))
        if false_alarm_rate(se, blocks_se) <= goal:
            return recorded
    return None


def threshold(se, min_effect=MIN_EFFECT):
    """The log ratio the estimate must pass for the rule to declare a change."""
    return max(math.log(min_effect), stats.norm.ppf(0.5 + CONFIDENCE / 2) * se)


def false_alarm_rate(se, block_se=None, min_effect=MIN_EFFECT):
    """The predicted bound on the rate of "slower" or "faster" on identical code: the estimate (sd
    ``se``) must pass both ``log min_effect`` and the rule's interval, which sees at least the
    block-to-block noise (``block_se``, the standard error without the round variance: a bootstrap
    over two rounds may miss the round variance, not the blocks'). Without ``block_se``: the
    estimate passing ``log min_effect`` alone."""
    if se == 0:
        return 0.0
    passed = math.log(min_effect) if block_se is None else threshold(block_se, min_effect)
    return float(2 * stats.norm.sf(passed / se))


def detection_probability(factor, se, min_effect=MIN_EFFECT):
    """The predicted probability that a true slowdown ``factor`` is called "slower"."""
    if se == 0:
        return float(math.log(factor) >= threshold(se, min_effect))
    return float(stats.norm.sf((threshold(se, min_effect) - math.log(factor)) / se))


def minimum_detectable(se, power=POWER, min_effect=MIN_EFFECT):
    """The smallest slowdown factor called "slower" with probability ``power``."""
    return math.exp(threshold(se, min_effect) + stats.norm.ppf(power) * se)
