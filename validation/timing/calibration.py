"""How wide the A/A ledger's intervals were against the spread they had to cover: a bound on a
benchmark's false-alarm rate from every run's ratio and interval, not from its flags alone.

Run i of identical code gave a log ratio ``d_i`` and a 99 % interval. The interval's half-width on
the side of 1, divided by the normal quantile ``q`` of that confidence (2.576), is a standard error
``s_i``, and ``z_i = d_i / s_i``: the interval excludes 1 exactly when ``|z_i| > q``. If the
intervals are as wide as they claim, z ~ N(0, 1); too narrow by a factor k, N(0, k^2). Runs are
independent units, so ``sum z_i^2 / k^2`` is chi-square with n degrees of freedom: the estimate is
``k = sqrt(sum z^2 / n)`` and its one-sided 95 % upper limit ``sqrt(sum z^2 / chi2.ppf(0.05, n))``.
The false-alarm rate is then at most ``2 Phi(-q / k_upper)`` (the rule's 5 % minimum effect only
lowers it). The normal model is checked against the runs themselves, one-sided binomial tests at
5 %: more intervals excluding 1 than ``2 Phi(-q / k)`` predicts, or more ``|z| > 2`` than
``2 Phi(-2 / k)`` (heavy tails show there first). Where a check fails, only the exact interval of
the flags counts.
"""

import math

import numpy as np
from scipy import stats

from harness.timing_rule import QUANTILE  # the interval's z: it excludes 1 when |z| > this

TAIL_Z = 2.0  # the second check's threshold: |z| beyond it is common enough to see heavy tails
CHECK_LEVEL = 0.05
MIN_RUNS = 10  # fewer runs: no model bound


def z_score(ratio, low, high):
    """``log(ratio)`` over the standard error its interval's side toward 1 stands for; None when the
    row has no interval or that side has no width."""
    if None in (ratio, low, high) or min(ratio, low, high) <= 0:
        return None
    d = math.log(ratio)
    half = (d - math.log(low)) if d >= 0 else (math.log(high) - d)
    if half <= 0:
        return None
    return d / (half / QUANTILE)


def _exceed_probability(threshold, scale):
    return float(2 * stats.norm.sf(threshold / scale)) if scale > 0 else 0.0


def calibrate(rows):
    """For one benchmark's ledger rows (``ratio``, ``low``, ``high``): ``{runs, k, k_upper, bound,
    predicted, beyond_q, beyond_tail, check_p, check_passed}``; None under ``MIN_RUNS`` usable rows.
    ``bound``: the false-alarm rate's 95 % upper limit under the model; ``check_passed``: both tail
    checks kept the model."""
    z = np.array([s for s in (z_score(r.get("ratio"), r.get("low"), r.get("high")) for r in rows)
                  if s is not None])
    if z.size < MIN_RUNS:
        return None
    total = float(np.sum(z**2))
    k = math.sqrt(total / z.size)
    k_upper = math.sqrt(total / stats.chi2.ppf(CHECK_LEVEL, z.size))
    beyond_q, beyond_tail = int(np.sum(np.abs(z) > QUANTILE)), int(np.sum(np.abs(z) > TAIL_Z))
    predicted = _exceed_probability(QUANTILE, k)
    check_p = min(float(stats.binom.sf(beyond_q - 1, z.size, predicted)),
                  float(stats.binom.sf(beyond_tail - 1, z.size, _exceed_probability(TAIL_Z, k))))
    return {"runs": int(z.size), "k": k, "k_upper": k_upper, "bound": _exceed_probability(QUANTILE, k_upper),
            "predicted": predicted, "beyond_q": beyond_q, "beyond_tail": beyond_tail,
            "check_p": check_p, "check_passed": check_p >= CHECK_LEVEL}
