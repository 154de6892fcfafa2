"""The A/A ledger's calibration bound (validation.timing.calibration): it covers the true rate, exceeds
5 % on intervals too narrow, and its check rejects rare offsets that the spread hides."""

import math

import numpy as np
import pytest
from scipy import stats

from validation.timing import aa
from validation.timing.calibration import QUANTILE, calibrate, z_score

pytestmark = pytest.mark.tensorflow_kernel_free  # interval arithmetic on simulated runs: no backend runs


def ledger_rows(rng, runs, claimed_sd, true_sd=0.02, draw=None):
    """A/A rows: log ratios of sd ``true_sd`` (or from ``draw``), 99 % intervals claiming ``claimed_sd``."""
    d = draw(runs) if draw else rng.normal(0, true_sd, runs)
    half = QUANTILE * claimed_sd
    return [{"ratio": math.exp(x), "low": math.exp(x - half), "high": math.exp(x + half),
             "verdict": "slower" if x - half > 0 and x > math.log(1.05) else "no detectable change"}
            for x in d]


def test_z_is_the_distance_to_1_in_standard_errors_of_the_side_toward_it():
    assert z_score(math.exp(0.05), math.exp(0.05 - QUANTILE * 0.02), math.exp(0.2)) == pytest.approx(2.5)
    assert z_score(math.exp(-0.05), math.exp(-0.3), math.exp(-0.05 + QUANTILE * 0.025)) == pytest.approx(-2.0)
    assert z_score(1.1, 0.9, 1.2) < QUANTILE < z_score(1.1, 1.01, 1.2)  # excludes 1 exactly when |z| > q
    assert z_score(None, 0.9, 1.1) is None and z_score(1.1, 1.1, 1.2) is None


def test_the_bound_covers_the_true_rate_about_95_percent_of_the_time():
    """Intervals claiming sd 0.02 around log ratios of sd 0.023 (k = 1.15: a true rate of 2.5 %):
    over 300 ledgers of 60 runs the bound must cover it in 91-99 % (it is a 95 % upper limit)."""
    rng = np.random.default_rng(1)
    true_rate = 2 * stats.norm.sf(QUANTILE / 1.15)
    covered = [calibrate(ledger_rows(rng, 60, 0.02, 0.023))["bound"] >= true_rate for _ in range(300)]
    assert 0.91 <= np.mean(covered) <= 0.99, np.mean(covered)


def test_calibrated_intervals_meet_the_goal_and_narrow_ones_miss_it():
    rng = np.random.default_rng(2)
    honest = calibrate(ledger_rows(rng, 110, 0.02))
    assert honest["check_passed"] and honest["bound"] <= 0.05 and 0.85 < honest["k"] < 1.15
    narrow = calibrate(ledger_rows(rng, 110, 0.01))  # planted: intervals half as wide as the spread
    assert narrow["k"] > 1.7 and narrow["bound"] > 0.05


def test_the_check_rejects_rare_offsets_that_the_spread_hides():
    """Planted: quiet runs (sd 0.005 against intervals claiming 0.02) and 3 % of runs offset by
    +-0.06 (z = 3, each a false alarm). The spread stays small, so the bound from k alone reads near
    0 against a true rate of 3 %; the check must see the excess of intervals excluding 1 and reject."""
    rng = np.random.default_rng(3)

    def draw(runs):
        offsets = np.where(rng.random(runs) < 0.03, rng.choice([-0.06, 0.06], runs), 0.0)
        return rng.normal(0, 0.005, runs) + offsets

    models = [calibrate(ledger_rows(rng, 110, 0.02, draw=draw)) for _ in range(40)]
    assert np.mean([model["bound"] < 0.03 for model in models]) > 0.9  # the model alone would be wrong
    assert np.mean([not model["check_passed"] for model in models]) >= 0.8
    quiet = [not calibrate(ledger_rows(rng, 110, 0.02))["check_passed"] for _ in range(200)]
    assert np.mean(quiet) <= 0.10, np.mean(quiet)  # two checks at 5 %: about 10 % at most on normal runs


def test_too_few_runs_give_no_model_and_the_ledger_says_so():
    rng = np.random.default_rng(4)
    assert calibrate(ledger_rows(rng, 9, 0.02)) is None
    records = [{"backend": "jax", "method": "m", "seconds": 100.0, "machine": {},
                "rows": [{**row, "benchmark": "train_step(reference, R=1)", "mde": 1.1}]}
               for row in ledger_rows(rng, 9, 0.02)]
    lines = aa.summary_lines(aa.summarise(records, "jax", "m"), "L")
    assert any("under 10 runs: no model" in line for line in lines)
    assert any("by the intervals' calibration: no bound" in line for line in lines)
    more = records + [{**records[0], "rows": [{**row, "benchmark": "train_step(reference, R=1)", "mde": 1.1}]}
                      for row in ledger_rows(rng, 100, 0.02)]
    top = aa.headline(aa.summarise(more, "jax", "m"))
    assert top["met_model_bound"] and top["worst_model"]["model"]["runs"] == 109
