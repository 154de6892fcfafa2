"""The summary box: the answer first, each answer with its measured error rate."""

import json

import numpy as np
import pytest
from markupsafe import escape as html_escape

from reports.errors import ReportInputError
from reports.page.build import render
from reports.page.summary import COMPARE_SCHEMA, SPEEDUP_SCHEMA, summary_context
from validation.timing.rates import SCHEMA as POWER_SCHEMA

VALIDATION = {"passed": False, "checks": [{"verdict": "pass"}, {"verdict": "fail"}, {"verdict": "pass"}]}
POWER = {"null_runs": 200, "rows": [
    {"check": "dropout.binomial", "defect": None, "kind": "false_alarm", "runs": 200, "failures": 1,
     "rate": 0.005, "goal": 0.01, "met": True},
    {"check": "training.clipnorm", "defect": "clipnorm_coupling", "kind": "detection", "runs": 200,
     "failures": 197, "rate": 0.985, "goal": 0.99, "met": False}]}
ASV = {"machines": [{"name": "cpu-ci", "commit": "b" * 40, "previous_commit": "a" * 40,
                     "regressions": [object()], "steps_compared": 12}]}


def rate(name, label, flags, comparisons, goal_text="<= 1%", met=True):
    return {"name": name, "label": label, "flags": flags, "comparisons": comparisons,
            "rate": flags / comparisons, "goal_text": goal_text, "met": met}


@pytest.fixture
def timing_files(tmp_path):
    speedup = {"schema": SPEEDUP_SCHEMA, "started": "2026-11-23T15:00:00Z", "seconds": 61.0, "rows": [
        {"suite": "train_step", "replicas": 10, "candidate": "multidense", "speedup": 1.37, "low": 1.31,
         "high": 1.44, "verdict": "fused faster"},
        {"suite": "train_step", "replicas": 1, "candidate": "multidense", "speedup": 1.01, "low": 0.97,
         "high": 1.05, "verdict": "no detectable difference"}]}
    compared = {"schema": COMPARE_SCHEMA, "base": "a" * 40, "head": "c" * 40, "base_name": "main",
                "head_name": "HEAD", "rows": [{"benchmark": "train_step(multidense, R=1)", "ratio": 1.27,
                                                "verdict": "slower"}]}
    power = {"schema": POWER_SCHEMA, "machine": "box", "started": "2026-11-23", "summary": [
        rate("aa_per_benchmark", "A/A false alarms", 0, 28),
        rate("aa_exit_zero", "A/A exits 0", 28, 28, ">= 95%"),
        rate("slow_1.25:train_step(multidense, R=1)", "planted x1.25 detected R=1", 28, 28, ">= 95%"),
        rate("speedup_aa", "speedup A/A not significant", 64, 64, ">= 99%")],
        "mde": [{"benchmark": "first_step(multidense, R=100)", "mde": 1.083, "mde_upper": 1.121}]}
    paths = {}
    for name, data in (("speedup", speedup), ("compare", compared), ("power", power)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(data))
    return paths


def context(tmp_path, files):
    return summary_context(tmp_path, ASV, VALIDATION, POWER, files.get("speedup", tmp_path / "none"),
                           files.get("compare", tmp_path / "none"), files.get("power", tmp_path / "none"))


def test_the_box_states_each_answer_with_its_error_rate(tmp_path, timing_files):
    html = render({"summary": context(tmp_path, timing_files)}, "summary.html.j2")
    assert "R = 10: reference / multidense =\n  <strong>1.37</strong> (99% interval 1.31 – 1.44)" in html
    assert "fused faster" in html and "no detectable difference" in html
    assert "not significant in 64/64 (100.0%, goal &gt;= 99%)" in html
    assert "1 regression</span> in 12 measurements" in html
    assert "1 slower" in html and "train_step(multidense, R=1) x1.27" in html
    assert "exits 0 in 28/28" in html and "planted x1.25 detected R=1: 28/28" in html
    assert "failed</span>: 2/3 checks" in html
    assert "worst false-alarm rate 1/200 (dropout.binomial)" in html
    assert "worst detection rate 197/200 (training.clipnorm, clipnorm_coupling)" in html
    assert "(some goals missed)" in html
    assert 'id="timing-power"' in html and html.count("<tr><td>A/A") == 2
    assert 'id="timing-mde"' in html and "first_step(multidense, R=100)</td><td class=\"num\">x1.083" in html


def test_without_measurements_the_box_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setattr("validation.timing.rates.COMMITTED_FOLDER", tmp_path / "absent")
    monkeypatch.chdir(tmp_path)
    context = summary_context(tmp_path, {"machines": []}, VALIDATION, None)
    html = render({"summary": context}, "summary.html.j2")
    assert 'id="no-speedup"' in html and "make timing-power" in html and "make power" in html
    assert "run <code>make compare BASE=main</code>" in html


@pytest.mark.parametrize("name", ["speedup", "compare", "power"])
def test_a_corrupt_timing_file_is_an_error_naming_it(tmp_path, timing_files, name):
    timing_files[name].write_text('{"schema": "something else", "rows": []}')
    with pytest.raises(ReportInputError, match=str(timing_files[name])):
        context(tmp_path, timing_files)


def test_the_page_opens_with_the_summary(built_report):
    html = (built_report / "index.html").read_text()
    assert html.index('id="summary"') < html.index('id="performance"') < html.index('id="validation"')


def page_with_ledger(tmp_path, timing_files, monkeypatch, runs):
    """The summary box with a TensorFlow A/A ledger of ``runs`` (each a list of benchmark rows)."""
    from validation.timing import aa

    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path / "timing-aa")
    method = aa.method_fingerprint("tensorflow")
    for rows in runs:
        record = aa.record_of({"head": "c" * 40, "rows": rows}, "tensorflow", method, {}, "now", 99.0)
        aa.append_record(aa.ledger_path("tensorflow"), record)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    return render({"summary": context(tmp_path, timing_files)}, "summary.html.j2")


def test_the_box_quotes_the_a_a_ledger_of_whole_comparisons(tmp_path, timing_files, monkeypatch):
    from validation.timing import aa

    names, quiet = ("a(R=1)", "b(R=1)"), "no detectable change"
    runs = [[{"benchmark": n, "verdict": v} for n, v in zip(names, verdicts, strict=True)]
            for verdicts in ([quiet, quiet], [quiet, "slower"], ["faster", "slower"])]
    html = page_with_ledger(tmp_path, timing_files, monkeypatch, runs)
    assert "A/A ledger: 3 whole <code>make compare</code> runs on identical code (tensorflow), 2 with" in html
    assert "worst benchmark b(R=1): 2/3, exact 95% interval 9.43 – 99.2 %" in html
    assert "by the intervals' calibration no bound (under 10 runs" in html
    aa.ledger_path("tensorflow").write_text("{torn\n")
    with pytest.raises(ReportInputError, match="tensorflow.jsonl:1"):
        context(tmp_path, timing_files)
    aa.ledger_path("tensorflow").unlink()
    assert 'id="aa-ledger"' not in render({"summary": context(tmp_path, timing_files)}, "summary.html.j2")


def test_the_box_quotes_the_ledger_s_calibration_bound(tmp_path, timing_files, monkeypatch):
    runs = [[{"benchmark": "a(R=1)", "verdict": "no detectable change", "ratio": ratio,
              "low": ratio * np.exp(-0.05), "high": ratio * np.exp(0.05), "mde": 1.1}]
            for ratio in np.exp(np.random.default_rng(0).normal(0, 0.01, 12))]  # intervals +-0.05: k ~ 0.5
    html = page_with_ledger(tmp_path, timing_files, monkeypatch, runs)
    assert "by the intervals' calibration the worst bound is" in html
    assert "(a(R=1); goal &lt;= 5 %: met)" in html


def test_the_box_says_how_many_runs_an_earlier_method_recorded_and_their_flags_now(
        tmp_path, timing_files, monkeypatch):
    import json

    from validation.timing import aa

    folder = tmp_path / "timing-aa"
    monkeypatch.setattr(aa, "LEDGER_FOLDER", folder)
    ratios = np.exp(np.random.default_rng(0).normal(0, 0.02, 12))
    runs = [(r, r * np.exp(-0.026), r * np.exp(0.026), "no detectable change") for r in ratios]
    runs.append((1.052, 1.03, 1.075, "slower"))  # the earlier rule's false alarm, just past x1.05
    for ratio, low, high, verdict in runs:
        rows = [{"benchmark": "a(R=1)", "verdict": verdict, "ratio": ratio, "low": low, "high": high}]
        record = aa.record_of({"head": "c" * 40, "rows": rows}, "tensorflow", "older", {}, "now", 99.0)
        aa.append_record(aa.ledger_path("tensorflow"), record)
    method = aa.method_fingerprint("tensorflow")
    (folder / "rejudged.json").write_text(json.dumps({"tensorflow": {"from": ["older"], "under": method}}))
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    html = render({"summary": context(tmp_path, timing_files)}, "summary.html.j2")
    assert "13 whole <code>make compare</code> runs" in html
    assert "13 of them recorded by an earlier method and judged again" in html
    assert "1 flag(s) as recorded, 0 now" in html
    assert str(html_escape(aa.REJUDGED_BASIS)) in html  # the same words as the command line's
