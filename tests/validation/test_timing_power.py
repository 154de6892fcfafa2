"""The timing power study's statistics: the variance-components model, independent comparisons, the
two-probe calibration, and the comparison's cells and minimum detectable slowdown."""

import math

import numpy as np
import pytest

from harness.timing_rule import QUANTILE, judge_paired
from tests.validation.timing_fixtures import synthetic_blocks
from validation.timing import planted, power, rates, variance
from validation.timing.compare import blind_spot_lines, caught, prior_line, verdict_text
from validation.timing.method import (
    block_log_ratios,
    comparison_cases,
    control_of,
    judge_comparison,
    minimum_detectable,
    rounds_to_detect,
    skipped_cases,
)

pytestmark = pytest.mark.tensorflow_kernel_free  # statistics on synthetic timings: no backend runs


def simulated_detection(factor, block_sd, round_sd, rounds=2, blocks=12, runs=300, seed=0, prior_sd=0.0):
    """The timing rule's "slower" rate on simulated two-level data (the truth the model must predict),
    its interval widened by a prior round sd as ``make compare`` widens it."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(rounds), blocks)
    hits = 0
    for run in range(runs):
        values = (math.log(factor) + np.repeat(rng.normal(0, round_sd, rounds), blocks)
                  + rng.normal(0, block_sd, rounds * blocks))
        verdict = judge_paired(values, labels, seed=run, known_variance=prior_sd ** 2 / rounds)
        hits += verdict.verdict == "slower"
    return hits / runs


def test_the_fit_recovers_known_components_with_upper_limits_above_them():
    rng = np.random.default_rng(1)
    rounds, blocks = 30, 20
    values = np.repeat(rng.normal(0, 0.02, rounds), blocks) + rng.normal(0, 0.03, rounds * blocks)
    model = variance.fit(values, np.repeat(np.arange(rounds), blocks))
    assert model.block_sd == pytest.approx(0.03, rel=0.1) and model.round_sd == pytest.approx(0.02, rel=0.35)
    assert model.block_sd_upper > model.block_sd and model.round_sd_upper > model.round_sd
    assert (model.rounds, model.blocks) == (rounds, rounds * blocks)
    with pytest.raises(ValueError, match="at least 2 rounds"):
        variance.fit(values[:blocks], np.zeros(blocks))


def test_the_model_predicts_the_rules_detection_and_a_model_without_rounds_does_not():
    block_sd, round_sd = 0.03, 0.015
    model = variance.NoiseModel(block_sd, round_sd, block_sd, round_sd, 2, 24)
    mde = variance.minimum_detectable(model.standard_error(2, 12))
    assert simulated_detection(mde, block_sd, round_sd) == pytest.approx(0.95, abs=0.05)
    # a planted defect: the round-to-round variance left out understates the MDE, which the rule then
    # detects far less often than the 95 % it promises
    naive = variance.minimum_detectable(math.sqrt(block_sd ** 2 / 24))
    assert simulated_detection(naive, block_sd, round_sd) < 0.85


def test_the_false_alarm_bound_is_above_the_rules_rate_even_when_rounds_differ():
    block_sd, round_sd = 0.1, 0.04  # a round effect that a two-round bootstrap underestimates
    model = variance.NoiseModel(block_sd, round_sd, block_sd, round_sd, 2, 24)
    se, blocks_se = model.standard_error(2, 12), model.standard_error(2, 12, blocks_only=True)
    observed = simulated_detection(1.0, block_sd, round_sd, runs=400) * 2  # "slower" is half the alarms
    bound = variance.false_alarm_rate(se, blocks_se)
    assert 0 < observed <= bound <= variance.false_alarm_rate(se)
    # a planted defect: the bound of a model that assumes the interval sees the round variance too
    assert variance.false_alarm_rate(se, se) < observed


def test_a_prior_round_variance_keeps_the_false_alarms_under_the_bound_and_the_mde_true():
    """Two rounds cannot show a round effect: without the power table's round variance the rule's
    false alarms pass 5 %; with it (as ``make compare`` adds it) they stay under the model's bound,
    itself under 5 %, and the rule detects the stated minimum detectable slowdown 95 % of the time."""
    block_sd, round_sd = 0.1, 0.04
    model = variance.NoiseModel(block_sd, round_sd, block_sd, round_sd, 2, 24)
    se, interval_se = model.standard_error(2, 12), model.interval_se(2, 12, round_sd)
    without = simulated_detection(1.0, block_sd, round_sd, runs=400) * 2  # "slower" is half the alarms
    with_prior = simulated_detection(1.0, block_sd, round_sd, runs=400, prior_sd=round_sd) * 2
    bound = variance.false_alarm_rate(se, interval_se)
    assert without > 0.05  # the planted defect: a comparison that ignores the round variance
    assert with_prior <= bound <= 0.02
    mde = variance.minimum_detectable(se, model.interval_se(2, 12, round_sd, widest=True))
    assert simulated_detection(mde, block_sd, round_sd, prior_sd=round_sd) >= 0.95
    # a planted defect: the least interval (right for false alarms) promises a detection it misses
    assert simulated_detection(variance.minimum_detectable(se, interval_se), block_sd, round_sd,
                               prior_sd=round_sd) < 0.9


def test_the_study_judges_each_pair_with_priors_from_the_other_rounds():
    cases = comparison_cases(("train_step",), (1,))
    blocks = synthetic_blocks(cases, ["base", "aa"], {}, 6, 12, block_sd=0.02, round_sd=0.0)
    shifted = {label: {name: list(values) for name, values in per.items()}
               for label, per in blocks.medians.items()}
    for block in range(24):  # rounds 0 and 1 of the A/A worker run 30 % apart, the others alike
        shifted["aa"][cases[1].name][block] *= 1.3 if block < 12 else 1 / 1.3
    blocks = type(blocks)(blocks.labels, blocks.cases, blocks.steps, shifted, blocks.rounds)
    rounds = np.asarray(blocks.rounds)
    judged_pair = np.isin(rounds, (0, 1))
    aside = power.held_out_priors(blocks, "raw", ~judged_pair)[cases[1].name]
    seen = power.held_out_priors(blocks, "raw", ~np.isin(rounds, (2, 3)))[cases[1].name]
    assert aside < 0.05 < 0.2 < seen  # the judged pair's own offset never widens its own interval


def test_compare_takes_the_tables_round_sd_upper_limits_and_says_so():
    table = {"path": "docs/timing-power/tensorflow.json", "rows": [
        {"method": "controlled", "scenario": "aa", "benchmark": "a", "model": {"round_sd_upper": 0.03}},
        {"method": "controlled", "scenario": "aa", "benchmark": "b", "model": {"round_sd_upper": 0.05}},
        {"method": "raw", "scenario": "aa", "benchmark": "a", "model": {"round_sd_upper": 0.9}},
        {"method": "controlled", "scenario": "slow_step_1.25", "benchmark": "a",
         "model": {"round_sd_upper": 0.9}}]}
    priors = rates.prior_round_sd(table, ["a", "c"])
    assert priors == {"a": 0.03, "c": 0.05}  # c: not in the table, the largest it measured
    assert rates.prior_round_sd(None, ["a"]) == {}
    assert "0.030-0.050" in prior_line(table, priors) and table["path"] in prior_line(table, priors)
    assert "not measured" in prior_line(None, {})


def test_independent_comparisons_are_disjoint_pairs_of_rounds():
    assert power.disjoint_pairs([0] * 3 + [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3) == [(0, 1), (2, 3)]
    assert power.disjoint_pairs(np.repeat(np.arange(7), 2)) == [(0, 1), (2, 3), (4, 5)]


def test_two_probes_put_the_knob_at_the_named_factor():
    def ratio(knob):  # a slowdown that grows slower than the knob (measured so at R = 100)
        return 1 + 0.6 * knob ** 0.7

    expected = (0.25 / 0.6) ** (1 / 0.7)
    assert planted.knob_for(1.25, (4.0, ratio(4.0)), (0.5, ratio(0.5))) == pytest.approx(expected)
    proportional = 4.0 * 0.25 / (ratio(4.0) - 1)  # what one probe (a line through the origin) would say
    assert ratio(proportional) > 1.3
    with pytest.raises(RuntimeError, match="slowed nothing"):
        planted.knob_for(1.5, (4.0, 1.3), (16.0, 1.2))
    with pytest.raises(ValueError, match="two positive"):
        planted.knob_for(1.5, (4.0, 1.3), (4.0, 1.3))


def study_blocks(effects, rounds=8, seed=0):
    cases = comparison_cases() + comparison_cases(("train_step",), power.TWIN_REPLICAS, [power.TWIN])
    labels = ["base", "aa", *power.SCENARIOS]
    slowed = {(label, target): scenario.factor for label, scenario in power.SCENARIOS.items()
              for target in scenario.targets()}
    return synthetic_blocks(cases, labels, {**slowed, **effects}, rounds, 12, seed=seed, one_shot_every=2)


def judged(blocks, rounds=8):
    recorded = {"schema": power.SCHEMA, "machine": "m", "started": "t", "backend": "tensorflow", "device": {},
                "seconds": 1.0, "blocks": blocks.as_json(),
                "design_sizes": {"rounds": rounds, "blocks": 12, "steps": 5, "compare_rounds": 2,
                                 "one_shot_every": 2}}
    return power.judged(recorded)


def test_the_study_passes_identical_code_and_detects_the_planted_slowdowns():
    table = judged(study_blocks({}))
    rows = {row["name"]: row for row in table["summary"]}
    assert table["comparisons"] == 4 and rows["aa_per_benchmark"]["comparisons"] == 4
    assert all(row["met"] for row in table["summary"]), [r for r in table["summary"] if not r["met"]]
    assert rows["aa_per_benchmark"]["bound"] <= 0.05 and table["model_check"]["kept"]
    detections = [name for name in rows if name.startswith("slow_")]
    assert len(detections) == 5 and all(rows[name]["flags"] == 4 for name in detections)
    assert {row["benchmark"] for row in table["mde"]} == {case.name for case in comparison_cases()}
    assert all(1.0 < row["mde"] <= row["mde_upper"] < 1.2 for row in table["mde"])


def test_the_study_fails_when_identical_code_is_not_timed_alike():
    """A planted defect in the pipeline: the A/A worker's fused R = 10 step is 12 % slower."""
    table = judged(study_blocks({("aa", "train_step(multidense, R=10)"): 1.12}))
    rows = {row["name"]: row for row in table["summary"]}
    assert rows["aa_per_benchmark"]["flags"] == 4 and not rows["aa_per_benchmark"]["met"]
    assert "multidense, R=10" in rows["aa_per_benchmark"]["label"]
    assert not table["model_check"]["kept"]  # 4 alarms where the model predicts almost none


def test_the_default_comparison_covers_the_cells_and_names_what_it_skips():
    names = [case.name for case in comparison_cases()]
    for cell in ("train_step(multidense, R=100)", "first_step(multidense, R=100)", "build(multidense, R=100)",
                 "first_step(reference, R=1)", "train_step(reference, R=10)"):
        assert cell in names
    assert "train_step(reference, R=100)" not in names
    skipped = [case.name for case in skipped_cases()]
    assert "train_step(reference, R=100)" in skipped and "forward(multidense, R=10)" in skipped
    assert skipped_cases("all") == []
    assert [case.name for case in comparison_cases(("build",), (1,))] == ["build(reference, R=1)",
                                                                            "build(multidense, R=1)"]
    with pytest.raises(ValueError, match="suites"):
        comparison_cases(("warp_drive",))


def test_no_detectable_change_states_what_it_would_have_caught():
    blocks = synthetic_blocks(comparison_cases(("train_step",), (1,)), ["base", "head"], {}, 2, 12,
                              block_sd=0.02, round_sd=0.0)
    case = blocks.cases[1]
    own = minimum_detectable(blocks, "base", "head", case)
    noisier = minimum_detectable(blocks, "base", "head", case, round_sd=0.05)
    assert 1.03 < own < 1.1 and noisier > own
    floored = minimum_detectable(blocks, "base", "head", case, floor_sd=0.05)
    assert floored > math.exp(QUANTILE * 0.05) > own  # no change smaller than the floor is caught
    assert minimum_detectable(blocks, "base", "head", case, floor_sd=0.0001) == own
    assert verdict_text({"verdict": "no detectable change", "mde": own}) == (
        f"no detectable change (would have caught >= x{own:.2f})")
    assert verdict_text({"verdict": "slower", "mde": own}) == "slower"
    assert verdict_text({"verdict": "no detectable change", "mde": 1.12, "mde_this_run": 1.45}) == (
        "no detectable change (would have caught >= x1.45 with this run's round spread; x1.12 by design)")
    assert verdict_text({"verdict": "no detectable change", "mde": 1.12, "mde_this_run": 1.05}) == (
        "no detectable change (would have caught >= x1.12)")


def test_a_run_whose_rounds_disagree_states_the_larger_slowdown_it_would_have_caught():
    """The power table says round sd 0.01; these runs' rounds vary with sd 0.08 (a cold first run, a
    neighbour's job). Each run's stated slowdown is planted on that run's own noise: the design's
    figure alone is then missed about half the time, ``caught`` (the larger of it and the run's own
    rounds') mostly caught; two rounds give the run's own spread one degree of freedom, so not 95 %."""
    cases = comparison_cases(("train_step",), (1,))
    table_sd, runs = 0.01, 100
    hits = {"design": 0, "caught": 0}
    for seed in range(runs):
        noise = synthetic_blocks(cases, ["base", "head"], {}, 2, 12, block_sd=0.02, round_sd=0.08, seed=seed)
        case = noise.cases[1]
        row = {"mde": minimum_detectable(noise, "base", "head", case, table_sd, table_sd),
               "mde_this_run": minimum_detectable(noise, "base", "head", case, None, table_sd)}
        for key, factor in (("design", row["mde"]), ("caught", caught(row))):
            planted = synthetic_blocks(cases, ["base", "head"], {("head", case.name): factor}, 2, 12,
                                       block_sd=0.02, round_sd=0.08, seed=seed)
            verdict = judge_comparison(planted, "base", "head", prior_round_sd={case.name: table_sd})[1]
            hits[key] += verdict["verdict"] == "slower"
    assert hits["design"] / runs < 0.65 and hits["caught"] / runs >= 0.78  # 400 runs: 46.0 %, 87.5 %


def test_a_blind_cell_is_told_the_rounds_that_would_see_its_goal_and_they_do():
    """A process-level offset (round sd 0.08, as torch's fused R = 100 step keeps) hides x1.25 from two
    rounds; ``rounds_to_detect`` names the fewest rounds that catch it, and the rule, simulated with
    that many rounds, catches it 95 % of the time (one round fewer would not have been promised)."""
    block_sd, round_sd = 0.1, 0.08
    blocks = synthetic_blocks(comparison_cases(("train_step",), (1,)), ["base", "head"], {}, 2, 12,
                              block_sd=block_sd, round_sd=0.0)
    case = blocks.cases[1]
    two = minimum_detectable(blocks, "base", "head", case, round_sd, round_sd)
    needed = rounds_to_detect(blocks, "base", "head", case, 1.25, round_sd, round_sd)
    assert two > 1.25 and 2 < needed < 20
    assert minimum_detectable(blocks, "base", "head", case, round_sd, round_sd, rounds=needed) <= 1.25
    assert minimum_detectable(blocks, "base", "head", case, round_sd, round_sd, rounds=needed - 1) > 1.25
    log_ratios = block_log_ratios(blocks, "base", "head", case.name, control_of(case, blocks.cases))
    fitted_block_sd = variance.fit(log_ratios, blocks.rounds).block_sd
    assert simulated_detection(1.25, fitted_block_sd, round_sd, rounds=needed, prior_sd=round_sd) >= 0.93
    assert rounds_to_detect(blocks, "base", "head", case, 1.01, round_sd, round_sd) is None  # under 1.05


def test_the_compare_output_names_blind_spots_only():
    rows = [{"benchmark": "train_step(multidense, R=100)", "verdict": "no detectable change", "mde": 1.49,
             "goal": 1.25, "rounds_for_goal": 6},
            {"benchmark": "build(multidense, R=1)", "verdict": "no detectable change", "mde": 2.9,
             "goal": 1.5, "rounds_for_goal": None},
            {"benchmark": "train_step(multidense, R=1)", "verdict": "no detectable change", "mde": 1.1,
             "goal": 1.25, "rounds_for_goal": 2},
            {"benchmark": "train_step(multidense, R=10)", "verdict": "slower", "mde": 1.4, "goal": 1.25,
             "rounds_for_goal": 4}]
    text = "\n".join(blind_spot_lines(rows, 2))
    assert "train_step(multidense, R=100): x1.25 not seen (caught >= x1.49); --rounds 6 would" in text
    assert "build(multidense, R=1): x1.50 not seen" in text and "more than 20 rounds" in text
    assert "R=1)" not in text.replace("build(multidense, R=1)", "") and "R=10)" not in text
    assert blind_spot_lines(rows[2:], 2) == []
    disagreeing = {**rows[2], "mde_this_run": 1.4}  # blind only by its own rounds: the design was not
    assert blind_spot_lines([disagreeing], 2)[1] == (
        "  train_step(multidense, R=1): x1.25 not seen (caught >= x1.40); its rounds disagreed beyond the "
        "design's round variance: run it again")
