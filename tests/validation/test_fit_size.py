"""The fit size study: rows, exact intervals, the choice, and the power statement of a fit verdict."""

import dataclasses
import json

import pytest

from harness.nnpdf import NNPDF_CLIPNORM
from validation.fit import size
from validation.settings import FIT_QUICK, FIT_STANDARD


def outcome(null_failed=(), defect_failed=(), cpu=10.0):
    return {"failed": {size.NULL: list(null_failed), size.DEFECT: list(defect_failed)},
            "cpu_seconds": {"reference": cpu, size.NULL: cpu / 4, size.DEFECT: cpu / 4},
            "build_cpu_seconds": 3.0}


def row_at(settings, detections, alarms, runs=20, cpu=10.0):
    outcomes = [outcome(["fit.matched.chi2"] if i < alarms else (),
                        ["fit.independent.replica_correlation"] if i < detections else (), cpu)
                for i in range(runs)]
    return size.size_row(settings, outcomes)


def test_a_row_counts_runs_with_any_failed_check_and_gives_exact_intervals():
    settings = size.size_settings(FIT_QUICK, 20, 150, 300)
    row = row_at(settings, detections=19, alarms=0)
    assert (row["detections"], row["false_alarms"], row["runs"]) == (19, 0, 20)
    assert row["detection_interval"] == pytest.approx((0.7513, 0.9987), abs=1e-3)  # Clopper-Pearson
    assert row["false_alarm_interval"] == pytest.approx((0.0, 0.1684), abs=1e-3)
    assert row["meets_goals"]
    assert row["detections_by_check"] == {"fit.independent.replica_correlation": 19}
    assert row["check_cpu_seconds_median"] == pytest.approx(12.5) and row["build_cpu_seconds"] == 3.0


@pytest.mark.parametrize(("detections", "alarms", "meets"), [(18, 0, False), (20, 1, False), (20, 0, True)])
def test_goals_need_95_percent_detection_and_at_most_1_percent_false_alarms(detections, alarms, meets):
    assert row_at(size.size_settings(FIT_QUICK, 20, 150, 300), detections, alarms)["meets_goals"] is meets


def test_the_cheapest_row_meeting_the_goals_is_chosen():
    rows = [row_at(size.size_settings(FIT_QUICK, r, 150, 300), d, 0, cpu=c)
            for r, d, c in ((10, 15, 5.0), (20, 20, 10.0), (50, 20, 30.0))]
    assert size.choose(rows)["replicas"] == 20
    assert size.choose(rows[:1]) is None


def _table(tmp_path, settings, detections=20):
    row = row_at(settings, detections, 0)
    path = tmp_path / "fit_size.json"
    path.write_text(json.dumps({"schema": size.SCHEMA, "clipnorm": NNPDF_CLIPNORM, "rows": [row]}))
    return path


def test_a_verdict_quotes_the_power_measured_at_its_own_size(tmp_path):
    settings = size.size_settings(FIT_QUICK, 20, 150, 300)
    table = size.load_size_table(_table(tmp_path, settings, detections=19))
    statement = size.power_statement(settings, table)
    assert statement["measured"] and "19/20 = 95%" in statement["text"] and "R = 20" in statement["text"]
    other = dataclasses.replace(settings, replicas=30)
    assert not size.power_statement(other, table)["measured"]
    assert "NOT measured" in size.power_statement(dataclasses.replace(settings, clipnorm=None), table)["text"]


def test_a_corrupt_table_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "fit_size.json"
    path.write_text("{ not json")
    with pytest.raises(size.FitSizeTableError, match=str(path)):
        size.load_size_table(path)
    path.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(size.FitSizeTableError, match="schema"):
        size.load_size_table(path)
    statement = size.power_statement(FIT_STANDARD, path=path)
    assert not statement["measured"] and "power not known" in statement["text"]
    assert str(path) in statement["text"]


@pytest.mark.parametrize("text", ["20,150", "a,b,c", "1,150,300", "20,100,300", "20,150,0"])
def test_bad_sizes_exit_2_naming_the_option(text, capsys):
    with pytest.raises(SystemExit) as exit_info:
        size.main(["--sizes", text, "--json", "/nonexistent/never.json"])
    assert exit_info.value.code == 2 and "--sizes" in capsys.readouterr().err


def test_the_committed_table_covers_the_standard_size():
    table = size.load_size_table(size.COMMITTED)
    assert table is not None, "docs/fit-size.json is missing"
    statement = size.power_statement(FIT_STANDARD, table)
    assert statement["measured"], statement["text"]
    assert statement["detection_rate"] >= size.DETECTION_GOAL
    chosen = table["chosen"]
    assert chosen == size.size_key(FIT_STANDARD)


def test_the_fit_power_tables_null_runs_replace_the_size_tables_false_alarms(tmp_path):
    from validation.fit.power import verdict_false_alarms

    settings = FIT_STANDARD
    null = {"candidate": "multidense", "design": "verdict", "kind": "false_alarm", "failures": 0, "runs": 100}
    power_table = {"settings": dataclasses.asdict(settings), "rows": [null]}
    assert verdict_false_alarms(settings, power_table) is null
    assert verdict_false_alarms(dataclasses.replace(settings, max_steps=300), power_table) is None
    table = size.load_size_table(_table(tmp_path, settings))
    statement = size.power_statement(settings, table, null_row=null)
    assert statement["false_alarm_runs"] == 100
    assert "false alarms 0/100 (95 % interval 0.0%-3.6%)" in statement["text"]


def test_a_row_is_recounted_at_the_verdicts_alpha_from_its_p_values():
    settings = size.size_settings(FIT_QUICK, 20, 150, 300)
    row = row_at(settings, detections=0, alarms=0, runs=4)
    row["p_values"] = [{size.NULL: {"fit.matched.chi2": p}, size.DEFECT: {"fit.matched.chi2": q}}
                       for p, q in ((0.5, 5e-4), (9e-4, 2e-3), (0.2, 1e-5), (0.3, 0.9))]
    strict, loose = size.at_alpha(row, 8e-4), size.at_alpha(row, 1e-3)
    assert (strict["detections"], strict["false_alarms"]) == (2, 0)
    assert (loose["detections"], loose["false_alarms"]) == (2, 1)
    assert size.at_alpha({"detections": 3}, 1e-3) == {"detections": 3}


def test_the_fit_alpha_spreads_1_percent_over_every_test_of_the_verdict():
    from validation.fit import checks as fit_checks
    from validation.settings import FIT_ALPHA, FIT_CHECKS, FIT_FAMILY_ALPHA

    assert FIT_CHECKS == len(fit_checks.CHECKS) * len(fit_checks.DESIGNS)
    assert FIT_ALPHA * FIT_CHECKS == pytest.approx(FIT_FAMILY_ALPHA) and FIT_STANDARD.alpha == FIT_ALPHA


def test_the_defects_measured_at_the_verdicts_size_are_listed():
    from validation.fit.power import defect_detections

    def row(candidate, design, failures, kind="detection"):
        return {"candidate": candidate, "design": design, "check": "any", "kind": kind, "failures": failures,
                "runs": 20}

    table = {"settings": dataclasses.asdict(FIT_STANDARD), "rows": [
        row("multidense", "verdict", 0, "false_alarm"), row("a.fans", "independent", 20),
        row("a.fans", "matched", 19), row("a.fans", "verdict", 20), row("a.mask", "independent", 0)]}
    assert defect_detections(FIT_STANDARD, table) == [("a.fans", 20, 20), ("a.mask", 0, 20)]
    assert defect_detections(dataclasses.replace(FIT_STANDARD, replicas=50), table) == []
