"""The timing rule and the comparison method on synthetic blocks: drift must not flag, a slowdown must."""

import math

import numpy as np
import pytest
from scipy import stats

from benchmarks.interleaved import Blocks, Case
from harness.timing_rule import (
    FASTER,
    MIN_EFFECT,
    MIN_SAMPLES,
    MIN_UNITS,
    NO_CHANGE,
    NOT_COMPARABLE,
    QUANTILE,
    SLOWER,
    floored_interval,
    judge_paired,
    judge_unpaired,
    verdict_of,
    with_floor,
)
from validation.timing.method import judge_comparison

pytestmark = pytest.mark.tensorflow_kernel_free  # statistics on synthetic timings: no backend runs
BLOCKS = 80


def drifting_blocks(seed, head_factor=1.0, reference_head_factor=1.0, process_factor=1.0, noise=0.15):
    """Interleaved blocks of reference and fused at R = 1 under strong drift shared by both commits.

    The machine's speed wanders by a factor of up to ~3 over the run (a random walk plus a sudden
    slow phase); each block of base and head is taken at (almost) the same moment, with independent
    per-block noise. ``head_factor`` slows the head's fused code, ``reference_head_factor`` its
    reference, ``process_factor`` the whole head worker process.
    """
    rng = np.random.default_rng(seed)
    drift = np.exp(np.cumsum(rng.normal(0, 0.05, BLOCKS)))
    drift[BLOCKS // 2: BLOCKS // 2 + 15] *= 2.5
    cases = [Case("train_step", "reference", 1), Case("train_step", "multidense", 1)]
    cost = {"reference": 2e-3, "multidense": 1.8e-3}
    head_cost = {"reference": 2e-3 * reference_head_factor, "multidense": 1.8e-3 * head_factor}

    def series(costs, factor):
        return {case.name: (costs[case.implementation] * factor * drift
                            * np.exp(rng.normal(0, noise, BLOCKS))).tolist() for case in cases}

    medians = {"base": series(cost, 1.0), "head": series(head_cost, process_factor)}
    return Blocks(["base", "head"], cases, 5, medians, [b * 2 // BLOCKS for b in range(BLOCKS)])


def verdicts(blocks, method="raw"):
    return {row["implementation"]: row["verdict"] for row in judge_comparison(blocks, "base", "head", method)}


@pytest.mark.parametrize("seed", range(5))
def test_drift_on_both_commits_is_not_flagged(seed):
    assert verdicts(drifting_blocks(seed)) == {"reference": NO_CHANGE, "multidense": NO_CHANGE}


def test_the_same_drift_fools_a_sequential_comparison():
    """What asv does: all of A, then all of B. The drift lands in the ratio."""
    blocks = drifting_blocks(0)
    fused = "train_step(multidense, R=1)"
    first, second = blocks.medians["base"][fused][:BLOCKS // 2], blocks.medians["head"][fused][BLOCKS // 2:]
    assert judge_unpaired(second, first).verdict == SLOWER


@pytest.mark.parametrize("seed", range(3))
def test_a_fused_slowdown_is_flagged_under_drift_and_the_reference_is_not(seed):
    found = verdicts(drifting_blocks(seed, head_factor=1.25))
    assert found == {"reference": NO_CHANGE, "multidense": SLOWER}


def test_a_speed_up_is_called_faster():
    assert verdicts(drifting_blocks(1, head_factor=0.7))["multidense"] == FASTER


def test_the_control_cancels_a_slower_head_process_but_raw_sees_it():
    blocks = drifting_blocks(2, process_factor=1.3, noise=0.05)
    assert verdicts(blocks, "raw") == {"reference": SLOWER, "multidense": SLOWER}
    assert verdicts(blocks, "controlled") == {"reference": SLOWER, "multidense": NO_CHANGE}


def test_the_control_keeps_a_fused_only_slowdown():
    blocks = drifting_blocks(3, head_factor=1.25, process_factor=1.3, noise=0.05)
    assert verdicts(blocks, "controlled")["multidense"] == SLOWER


def test_a_change_below_the_minimum_effect_is_not_declared():
    small = math.log(MIN_EFFECT) / 2
    assert judge_paired(np.full(50, small) + np.linspace(-1e-3, 1e-3, 50)).verdict == NO_CHANGE
    assert verdict_of(math.log(MIN_EFFECT) * 1.01, 0.001, 0.2) == SLOWER
    assert verdict_of(0.2, -0.01, 0.4) == NO_CHANGE  # interval includes 1


def test_too_few_blocks_are_not_comparable():
    verdict = judge_paired(np.full(MIN_UNITS - 1, 0.5))
    assert verdict.verdict == NOT_COMPARABLE and not verdict.significant and verdict.ratio is None
    assert judge_unpaired([1.0] * (MIN_SAMPLES - 1), [2.0] * 20).verdict == NOT_COMPARABLE


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="one-dimensional"):
        judge_paired(np.zeros((3, 20)))
    with pytest.raises(ValueError, match="positive"):
        judge_unpaired([0.0] * 20, [1.0] * 20)
    with pytest.raises(ValueError, match="method"):
        judge_comparison(drifting_blocks(0), "base", "head", "median")


def test_interval_brackets_the_ratio():
    verdict = judge_paired(np.random.default_rng(0).normal(math.log(1.3), 0.1, 60))
    assert verdict.low < verdict.ratio < verdict.high and verdict.ratio == pytest.approx(1.3, rel=0.05)


def test_an_offset_kept_by_one_round_widens_the_interval_instead_of_passing_for_a_change():
    """One round's worker (process, model instances) runs 16 % slow all its life; the other does not."""
    rng = np.random.default_rng(4)
    values = np.concatenate([rng.normal(math.log(1.16), 0.05, 40), rng.normal(0.0, 0.05, 40)])
    rounds = np.repeat([0, 1], 40)
    assert judge_paired(values).verdict == SLOWER  # blocks taken as independent: a false alarm
    verdict = judge_paired(values, rounds)
    assert verdict.verdict == NO_CHANGE and verdict.low < 1.0 < 1.16 < verdict.high * 1.02


def test_rounds_that_agree_keep_a_real_change():
    rng = np.random.default_rng(5)
    values = rng.normal(math.log(1.25), 0.05, 80)
    assert judge_paired(values, np.repeat([0, 1], 40)).verdict == SLOWER


def test_groups_must_match_the_units():
    with pytest.raises(ValueError, match="groups"):
        judge_paired(np.zeros(20), np.zeros(19))


def test_a_known_variance_widens_the_interval_and_can_undo_a_verdict():
    values = np.random.default_rng(6).normal(math.log(1.08), 0.02, 24)
    rounds = np.repeat([0, 1], 12)
    alone, widened = judge_paired(values, rounds), judge_paired(values, rounds, known_variance=0.05 ** 2 / 2)
    assert alone.verdict == SLOWER and widened.verdict == NO_CHANGE
    assert widened.ratio == alone.ratio and widened.low < alone.low and widened.high > alone.high
    z = stats.norm.ppf(0.995)
    half = math.sqrt(math.log(alone.high / alone.ratio) ** 2 + z ** 2 * 0.05 ** 2 / 2)
    assert math.log(widened.high / widened.ratio) == pytest.approx(half)
    assert judge_paired(values, rounds, known_variance=0.0) == alone
    with pytest.raises(ValueError, match="known_variance"):
        judge_paired(values, rounds, known_variance=-1e-4)


def test_a_floor_widens_only_the_sides_narrower_than_it_and_can_undo_a_verdict():
    values = np.random.default_rng(6).normal(math.log(1.08), 0.02, 24)
    rounds = np.repeat([0, 1], 12)
    alone, floored = judge_paired(values, rounds), judge_paired(values, rounds, floor_sd=0.04)
    assert alone.verdict == SLOWER and floored.verdict == NO_CHANGE and floored.ratio == alone.ratio
    assert math.log(floored.ratio / floored.low) == pytest.approx(QUANTILE * 0.04)
    assert math.log(floored.high / floored.ratio) == pytest.approx(QUANTILE * 0.04)
    assert judge_paired(values, rounds, floor_sd=0.001) == alone  # its own interval is wider already
    assert judge_paired(values + math.log(1.3 / 1.08), rounds, floor_sd=0.04).verdict == SLOWER
    assert floored_interval(0.0, -0.5, 0.01, 0.1) == (-0.5, pytest.approx(QUANTILE * 0.1))
    with pytest.raises(ValueError, match="floor_sd"):
        judge_paired(values, rounds, floor_sd=-0.01)


def test_a_recorded_ratio_and_interval_are_judged_again_as_a_floor_would():
    assert with_floor(1.06, 1.03, 1.09, 0.0)[2] == SLOWER  # as recorded
    low, high, verdict = with_floor(1.06, 1.03, 1.09, 0.03)
    assert verdict == NO_CHANGE and low < 1 < high and high == pytest.approx(1.06 * math.exp(QUANTILE * 0.03))
    assert with_floor(0.80, 0.70, 0.90, 0.03)[2] == FASTER  # far past the floor: kept
    assert with_floor(None, None, None, 0.03) is None


def test_a_floor_from_earlier_runs_holds_the_false_alarm_rate_and_keeps_the_power():
    """Comparisons whose intervals claim twice the precision they have (se 0.015, true sd 0.03): alone
    they raise false alarms far above 1 %; floored by the spread of 40 earlier runs, under 1 %, while a
    x1.25 slowdown is still caught every time."""
    from validation.timing.floors import spread_upper

    rng = np.random.default_rng(3)
    floor = spread_upper(rng.normal(0, 0.03, 40))
    d = rng.normal(0, 0.03, 20_000)
    half = QUANTILE * 0.015

    def rate(estimates, floor_sd):
        verdicts = [verdict_of(e, *floored_interval(e, e - half, e + half, floor_sd)) for e in estimates]
        return np.mean([v != NO_CHANGE for v in verdicts])

    assert rate(d, 0.0) > 0.05 and rate(d, floor) < 0.01
    assert rate(d + math.log(1.25), floor) == 1.0
