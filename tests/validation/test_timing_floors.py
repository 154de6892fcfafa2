"""The run-to-run floor: the A/A ledger's spread about 0 at its 95 % upper limit, per benchmark."""

import math

import numpy as np
import pytest
from scipy import stats

from validation.timing import floors

pytestmark = pytest.mark.tensorflow_kernel_free  # arithmetic on recorded ratios: no backend runs


def test_the_floor_is_the_upper_limit_of_the_spread_about_zero():
    values = np.random.default_rng(0).normal(0.01, 0.02, 50)
    expected = math.sqrt(np.sum(values**2) / stats.chi2.ppf(0.05, 50))
    assert floors.spread_upper(values) == pytest.approx(expected)
    assert floors.spread_upper(values) > math.sqrt(np.mean(values**2))  # an upper limit
    offset = floors.spread_upper(values + 0.05)
    assert offset > floors.spread_upper(values)  # a steady offset on identical code counts too


def test_too_few_runs_give_no_floor_and_unusable_ratios_are_left_out():
    assert floors.spread_upper([0.01] * (floors.MIN_RUNS - 1)) is None
    assert floors.spread_upper([0.01] * (floors.MIN_RUNS - 1) + [float("nan"), None]) is None
    assert floors.spread_upper([0.01] * floors.MIN_RUNS) is not None


def test_each_benchmark_gets_its_own_floor_from_the_runs_that_timed_it():
    def run(step, build):
        rows = [{"benchmark": "step", "ratio": math.exp(step)}]
        extra = [{"benchmark": "build", "ratio": math.exp(build)}] if build is not None else []
        return {"rows": rows + extra}

    rng = np.random.default_rng(1)
    records = [run(rng.normal(0, 0.01), rng.normal(0, 0.05) if i < 5 else None) for i in range(30)]
    records.append({"rows": [{"benchmark": "step", "ratio": None}]})
    found = floors.floors(records)
    assert set(found) == {"step"}  # build: 5 runs, no floor
    assert 0.008 < found["step"] < 0.02
