"""The run-to-run floor: the A/A ledger's spread about 0 at its 95 % upper limit, or its tail's
99.5 % quantile when larger, per benchmark."""

import math

import numpy as np
import pytest
from scipy import stats

from harness.timing_rule import QUANTILE, with_floor
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
    found = floors.pooled_floors(records)
    assert set(found) == {"step"}  # build: 5 runs, no floor
    assert 0.008 < found["step"] < 0.02


@pytest.mark.parametrize("shape", [-0.7, -0.3, 0.0, 0.3])
def test_the_pareto_tail_is_the_maximum_likelihood_fit(shape):
    excesses = stats.genpareto.rvs(shape, scale=0.02, size=120, random_state=np.random.default_rng(4))
    fitted_shape, fitted_scale = floors.pareto_fit(excesses)
    expected_shape, _, expected_scale = stats.genpareto.fit(excesses, floc=0)
    low, high = floors.SHAPE_RANGE
    assert low <= fitted_shape <= high
    if low <= expected_shape <= high:  # scipy's fit, where the shape is regular
        loglik = stats.genpareto.logpdf(excesses, fitted_shape, scale=fitted_scale).sum()
        assert loglik >= stats.genpareto.logpdf(excesses, expected_shape, scale=expected_scale).sum() - 0.01
        assert fitted_shape == pytest.approx(expected_shape, abs=0.02)
    else:  # the regular range's nearer end
        assert fitted_shape == pytest.approx(min(max(expected_shape, low), high), abs=0.02)


@pytest.mark.parametrize("dist", [stats.t(3, scale=0.02), stats.norm(scale=0.03), stats.laplace(scale=0.02)])
def test_the_tail_quantile_finds_the_995_quantile_of_the_sizes(dist):
    values = dist.rvs(size=4000, random_state=np.random.default_rng(5))
    true = dist.ppf(0.5 + floors.TAIL_LEVEL / 2)
    assert floors.tail_quantile(values) == pytest.approx(true, rel=0.1)
    assert floors.tail_quantile(values[:floors.TAIL_MIN_RUNS - 1]) is None


def test_heavy_tails_get_a_floor_that_identical_code_rarely_passes_and_a_defect_still_does():
    """Pass on correct heavy-tailed data (identical code flags <= 1 %, where the spread alone lets
    about 1.5 % through), fail on a planted defect (a x1.5 slowdown is still past the floor)."""
    rng = np.random.default_rng(6)
    heavy = stats.t(3, scale=0.03)
    ledger, fresh = heavy.rvs(size=270, random_state=rng), heavy.rvs(size=100_000, random_state=rng)
    floor, spread = floors.floor_of(ledger), floors.spread_upper(ledger)
    assert floor > spread
    passing = np.mean(np.abs(fresh) > QUANTILE * floor)
    assert passing <= 0.01
    assert np.mean(np.abs(fresh) > QUANTILE * spread) > 1.5 * passing
    low, high, verdict = with_floor(1.5, 1.45, 1.55, floor)
    assert verdict == "slower" and low < math.exp(math.log(1.5) - QUANTILE * floor) + 1e-12


def test_light_tails_and_few_runs_keep_the_spread():
    values = np.random.default_rng(7).normal(0, 0.02, 300)
    assert floors.floor_of(values) == pytest.approx(floors.spread_upper(values), rel=0.1)
    few = values[:floors.TAIL_MIN_RUNS - 1]
    assert floors.floor_of(few) == floors.spread_upper(few)
    assert floors.floor_of(values[:floors.MIN_RUNS - 1]) is None


def device_runs(device, sd, count, seed):
    """``count`` A/A runs on ``device`` whose log ratios of benchmark "step" spread by ``sd``."""
    values = np.random.default_rng(seed).normal(0, sd, count)
    machine = {"device": device, "onednn": "True"}
    return [{"machine": machine, "rows": [{"benchmark": "step", "ratio": math.exp(v)}]} for v in values]


def test_a_device_with_enough_runs_is_floored_by_its_own_noise():
    """Pass on hosts that differ in noise (each judged by its own floor), fail on a pooled floor (the
    noisy host's identical code would flag about 2 % of its runs at the pooled floor)."""
    quiet, noisy = device_runs("CPU A", 0.01, 300, 1), device_runs("CPU B", 0.04, 60, 2)
    records = quiet + noisy
    on_quiet = floors.floors(records, {"device": "CPU A", "onednn": "True", "keras": "any"})["step"]
    on_noisy = floors.floors(records, noisy[0]["machine"])["step"]
    assert on_quiet == pytest.approx(floors.pooled_floors(quiet)["step"])
    assert on_noisy == pytest.approx(floors.pooled_floors(noisy)["step"])
    assert 0.035 < on_noisy and on_quiet < 0.015
    fresh = np.random.default_rng(3).normal(0, 0.04, 100_000)  # the noisy host's identical code
    own_rate = np.mean(np.abs(fresh) > QUANTILE * on_noisy)
    assert own_rate <= 0.01
    pooled_rate = np.mean(np.abs(fresh) > QUANTILE * floors.pooled_floors(records)["step"])
    assert pooled_rate > max(2 * own_rate, 0.015)
    assert floors.floor_runs(records, noisy[0]["machine"]) == (60, 360)


def test_a_device_with_few_runs_is_never_floored_narrower_than_all_runs():
    quiet, noisy = device_runs("CPU A", 0.01, 300, 1), device_runs("CPU B", 0.04, 60, 2)
    pooled = floors.pooled_floors(quiet + noisy[:20])["step"]
    assert floors.floors(quiet + noisy[:20], noisy[0]["machine"])["step"] == pytest.approx(
        max(pooled, floors.pooled_floors(noisy[:20])["step"]))
    quietest = device_runs("CPU C", 0.001, 20, 4)
    assert floors.floors(quiet + quietest, quietest[0]["machine"])["step"] == pytest.approx(
        floors.pooled_floors(quiet + quietest)["step"])  # its own floor is narrower: the pool's holds
    assert floors.floors(quiet, {"device": "GPU never timed"})["step"] == pytest.approx(
        floors.pooled_floors(quiet)["step"])
    assert floors.device_key(None) == floors.device_key({}) != floors.device_key({"device": "CPU A"})
