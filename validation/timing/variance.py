"""A variance-components model of a timing comparison, and what it predicts about the timing rule.

The per-block log ratios of one benchmark (head / base, or reference / fused) are modelled as

    y[r, b] = effect + u[r] + e[r, b],   u ~ N(0, round_sd**2),   e ~ N(0, block_sd**2)

``u`` is what a pair of fresh worker processes keeps for its whole life (memory layout, thread
placement), ``e`` the block-to-block noise. Both are fitted by a one-way random-effects analysis on
the scale of the rule's 10 % trimmed mean (``fit``), with one-sided 95 % upper limits from the
chi-square distribution of the sums of squares.

A comparison of ``rounds`` rounds of ``blocks`` blocks then estimates ``effect`` with standard error
``se = sqrt(round_sd**2 / rounds + block_sd**2 / (rounds * blocks))``. Two rounds cannot estimate
``round_sd``, so the verdict's interval adds a *prior* round variance measured over many rounds (the
timing power table's 95 % upper limit: ``harness.timing_rule.judge_paired(known_variance=...)``); the
interval is then at least ``z99 * interval_se`` wide on each side, with
``interval_se = sqrt(prior_round_sd**2 / rounds + block_sd**2 / (rounds * blocks))`` (a bootstrap
over two rounds may miss the round variance, not the blocks'). The timing rule
(``harness.timing_rule``) declares "slower" when the lower end of its 99 % interval is above 0 and the
ratio is at least ``MIN_EFFECT``: it fires when the estimate passes
``threshold = max(log MIN_EFFECT, z99 * interval_se)``. Hence, under the normal model:

* the false-alarm rate (identical code, either direction): at most
  ``2 * (1 - Phi(threshold / se))``; evaluated with the components' upper limits in ``se`` it is the
  **bound**, and with the prior at those same upper limits it stays near the rule's own 1 %;
* the detection probability of a true factor ``f``: ``1 - Phi((threshold - log f) / se)``;
* the minimum detectable slowdown at power ``p``: ``exp(threshold + z_p * se)``.

The model is only as good as its fit: ``validation.timing.power`` checks its predicted false-alarm
rate against the A/A comparisons observed on independent (disjoint) pairs of rounds.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from harness.timing_rule import MIN_EFFECT, QUANTILE, TRIM

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

    def interval_se(self, rounds, blocks_per_round, prior_round_sd, widest=False):
        """The least standard error the verdict's interval assumes: this block noise and the prior
        round variance the comparison adds (None or 0: none, the interval sees the blocks only).
        ``widest``: the most, where the two-round bootstrap also sees the round variance (what a
        detection or minimum detectable slowdown must assume, not to promise too much)."""
        seen = self.round_sd ** 2 / rounds if widest else 0.0
        return math.sqrt((prior_round_sd or 0.0) ** 2 / rounds + seen
                         + self.block_sd ** 2 / (rounds * blocks_per_round))


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


def rounds_for_bound(model, rounds, blocks_per_round, goal, most=200, with_prior=True):
    """How many recorded rounds would bring the false-alarm bound of a ``rounds`` x ``blocks_per_round``
    comparison to ``goal``, were the variances as estimated now (the upper limits narrow as rounds,
    and their blocks, add degrees of freedom; ``with_prior``: the comparison adds the round sd's upper
    limit to its interval, as ``make compare`` does); None beyond ``most``."""
    tail = 1 - UPPER_LEVEL
    for recorded in range(max(2, model.rounds), most + 1):
        df_between, df_within = recorded - 1, max(1.0, recorded * (model.round_size - 1))
        upper = model.round_mean_var * df_between / stats.chi2.ppf(tail, df_between)
        round_var = max(0.0, upper - model.block_sd ** 2 / model.round_size)
        block_var_upper = model.block_sd ** 2 * df_within / stats.chi2.ppf(tail, df_within)
        se = math.sqrt(round_var / rounds + block_var_upper / (rounds * blocks_per_round))
        interval = model.interval_se(rounds, blocks_per_round, math.sqrt(round_var) if with_prior else None)
        if false_alarm_rate(se, interval) <= goal:
            return recorded
    return None


def threshold(se, min_effect=MIN_EFFECT):
    """The log ratio the estimate must pass for the rule to declare a change."""
    return max(math.log(min_effect), QUANTILE * se)


def false_alarm_rate(se, interval_se=None, min_effect=MIN_EFFECT):
    """The predicted bound on the rate of "slower" or "faster" on identical code: the estimate (sd
    ``se``) must pass both ``log min_effect`` and the rule's interval, whose standard error is at
    least ``interval_se`` (``NoiseModel.interval_se``). Without ``interval_se``: the estimate passing
    ``log min_effect`` alone."""
    if se == 0:
        return 0.0
    passed = math.log(min_effect) if interval_se is None else threshold(interval_se, min_effect)
    return float(2 * stats.norm.sf(passed / se))


def detection_probability(factor, se, interval_se=None, min_effect=MIN_EFFECT):
    """The predicted probability that a true slowdown ``factor`` is called "slower" (the interval's
    standard error ``interval_se``, by default ``se``)."""
    passed = threshold(se if interval_se is None else interval_se, min_effect)
    if se == 0:
        return float(math.log(factor) >= passed)
    return float(stats.norm.sf((passed - math.log(factor)) / se))


def minimum_detectable(se, interval_se=None, power=POWER, min_effect=MIN_EFFECT):
    """The smallest slowdown factor called "slower" with probability ``power``."""
    return math.exp(threshold(se if interval_se is None else interval_se, min_effect)
                    + stats.norm.ppf(power) * se)
