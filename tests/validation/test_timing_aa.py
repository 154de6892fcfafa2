"""The A/A ledger: records read back or refused by line, false alarms counted per benchmark over
independent runs of one method, exact intervals, and the runs the <= 5 % bound needs."""

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import harness.device
from validation.timing import aa, rates

pytestmark = pytest.mark.tensorflow_kernel_free  # ledger arithmetic: no backend runs

BENCHMARKS = ("train_step(multidense, R=100)", "first_step(reference, R=1)")


def result(verdicts, head="c0ffee"):
    """A ``compare.json`` with one row per benchmark."""
    rows = [{"benchmark": name, "verdict": verdict, "ratio": 1.0, "low": 0.9, "high": 1.1, "mde": 1.2}
            for name, verdict in zip(BENCHMARKS, verdicts, strict=True)]
    return {"head": head, "rows": rows}


def record(verdicts, method="m1", backend="tensorflow", seconds=100.0):
    machine, started = {"device": "test"}, "2026-11-29T00:00:00Z"
    return aa.record_of(result(verdicts), backend, method, machine, started, seconds)


def test_a_ledger_is_read_back_in_order_and_only_appended_to(tmp_path):
    ledger = tmp_path / "tensorflow.jsonl"
    assert aa.load_ledger(ledger) == []
    first, second = record(["no detectable change"] * 2), record(["slower", "no detectable change"])
    aa.append_record(ledger, first)
    aa.append_record(ledger, second)
    assert [r["rows"][0]["verdict"] for r in aa.load_ledger(ledger)] == ["no detectable change", "slower"]
    assert len(ledger.read_text().splitlines()) == 2


@pytest.mark.parametrize("line, says", [
    ("{not json", "not JSON"),
    (json.dumps({"schema": "other/1", "rows": []}), "schema"),
    (json.dumps({"schema": aa.SCHEMA, "rows": [{"benchmark": "x"}]}), "verdict"),
    (json.dumps({"schema": aa.SCHEMA, "rows": [], "backend": "tensorflow"}), "lacks method, seconds"),
])
def test_a_corrupt_line_is_refused_with_its_file_and_line(tmp_path, line, says):
    ledger = tmp_path / "tensorflow.jsonl"
    aa.append_record(ledger, record(["no detectable change"] * 2))
    with ledger.open("a") as handle:
        handle.write(line + "\n")
    with pytest.raises(aa.LedgerError, match=rf"tensorflow.jsonl:2: .*{says}"):
        aa.load_ledger(ledger)


def test_false_alarms_are_counted_per_benchmark_over_this_methods_runs_only():
    records = ([record(["no detectable change", "no detectable change"]) for _ in range(8)]
               + [record(["slower", "no detectable change"]), record(["faster", "not comparable"])]
               + [record(["slower", "slower"], method="m0"), record(["slower", "slower"], backend="jax")])
    summary = aa.summarise(records, "tensorflow", "m1")
    rows = {row["benchmark"]: row for row in summary["rows"]}
    step, first = rows[BENCHMARKS[0]], rows[BENCHMARKS[1]]
    assert (step["flags"], step["runs"]) == (2, 10)  # "faster" on identical code is a false alarm too
    assert (first["flags"], first["runs"]) == (0, 9)  # "not comparable" is no verdict: not a unit
    expected = stats.binomtest(2, 10).proportion_ci(0.95, method="exact")
    assert (step["low95"], step["high95"]) == pytest.approx((expected.low, expected.high))
    assert summary["runs"] == 10 and summary["runs_any_flag"] == 2 and summary["other_methods"] == 1
    assert summary["seconds_per_run"] == pytest.approx(100.0)


def test_the_runs_a_five_percent_bound_needs_are_the_fewest_that_reach_it():
    assert aa.runs_for_bound(0, 1) == 72  # 1 - 0.025 ** (1 / 72) = 4.99 %
    assert aa.runs_for_bound(0, 100) == 100  # already there: no fewer than were run
    for flags in (1, 2):
        needed = aa.runs_for_bound(flags, 10)
        assert aa.exact_interval(flags, needed)[1] <= 0.05 < aa.exact_interval(flags, needed - 1)[1]


def test_the_summary_states_the_goals_and_what_the_bound_still_needs():
    runs = [record(["no detectable change"] * 2)] * 4
    clean = aa.summary_lines(aa.summarise(runs, "tensorflow", "m1"), "L")
    assert "4 runs" in clean[0] and "0 with any flag; on device test (4 runs)" in clean[0]
    assert any("per benchmark met" in line and "not yet" in line for line in clean)
    assert any("needs 72 runs" in line and "68 more" in line and "1.9 h" in line for line in clean)
    flagged = aa.summary_lines(aa.summarise([record(["slower", "no detectable change"])] * 2
                                            + [record(["no detectable change"] * 2, method="m0")],
                                            "tensorflow", "m1"), "L")
    assert any("MISSED" in line and BENCHMARKS[0] in line for line in flagged)
    assert any("1 runs of another method version" in line for line in flagged)
    none = aa.summary_lines(aa.summarise([], "jax", "m1"), "L")
    assert len(none) == 1 and "python -m validation.timing.aa run --backend jax" in none[0]


def test_the_fingerprint_follows_the_method_files(tmp_path):
    for name in aa.METHOD_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((aa.ROOT / name).read_bytes())
    assert aa.method_fingerprint("tensorflow", tmp_path) == aa.method_fingerprint("tensorflow")
    rule = tmp_path / aa.METHOD_FILES[0]
    rule.write_text(rule.read_text() + "\nMIN_EFFECT = 1.10\n")
    assert aa.method_fingerprint("tensorflow", tmp_path) != aa.method_fingerprint("tensorflow")


def test_a_campaign_appends_each_run_and_stops_before_its_time_is_spent(tmp_path, monkeypatch):
    verdicts = iter([["slower", "no detectable change"]] + [["no detectable change"] * 2] * 5)
    clock = iter(range(0, 10_000, 50))  # every read of the clock is 50 s later
    monkeypatch.setattr(aa, "run_once", lambda repo, backend, log, profile: result(next(verdicts)))
    monkeypatch.setattr(aa.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(harness.device, "device_description", lambda backend: {"device": "stand-in"})
    ledger, said = tmp_path / "l.jsonl", []
    done = aa.campaign(".", "tensorflow", 6, 5, ledger, tmp_path / "log", progress=said.append)
    # runs of 50 s starting 150 s apart: a third, from 350 s, would end past 5 minutes
    assert done == 2 and len(aa.load_ledger(ledger)) == 2 and said[-1].startswith("stopping")
    assert said[0].endswith("1 flag(s) " + BENCHMARKS[0])
    first = aa.load_ledger(ledger)[0]
    assert first["machine"] == {"device": "stand-in"} and first["seconds"] == 50
    assert first["method"] == aa.method_fingerprint("tensorflow") and first["profile"] == "default"


def test_a_corrupt_ledger_stops_the_command_and_is_left_as_it_was(tmp_path, capsys):
    ledger = tmp_path / "tensorflow.jsonl"
    ledger.write_text("{half a line\n")
    assert aa.main(["summary", "--ledger", str(ledger)]) == 2
    assert "tensorflow.jsonl:1" in capsys.readouterr().err
    assert ledger.read_text() == "{half a line\n"
    with pytest.raises(SystemExit) as stop:
        aa.main(["run", "--backend", "theano"])
    assert stop.value.code == 2 and "--backend" in capsys.readouterr().err


def test_make_compare_quotes_the_worst_benchmark_of_this_methods_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path)
    method = aa.method_fingerprint("tensorflow")
    for verdicts in (["no detectable change"] * 2, ["no detectable change", "slower"]):
        aa.append_record(aa.ledger_path("tensorflow"), record(verdicts, method=method))
    aa.append_record(aa.ledger_path("tensorflow"), record(["slower"] * 2, method="an older method"))
    lines = aa.ledger_lines("tensorflow")
    assert "2 runs of this whole comparison" in lines[0] and "1 with any flag" in lines[0]
    assert not any(line.lstrip().startswith("benchmark") for line in lines)  # the worst only
    assert f"worst {BENCHMARKS[1]}: 1/2, interval 1.3%-98.7%" in lines[1]
    assert any("1 runs of another method version" in line for line in lines)  # a device table adds a line
    aa.ledger_path("tensorflow").write_text("{torn\n")
    assert "tensorflow.jsonl:1" in aa.ledger_lines("tensorflow")[0]


def aa_run(ratio, low, high, verdict, method):
    rows = [{"benchmark": BENCHMARKS[0], "verdict": verdict, "ratio": ratio, "low": low, "high": high}]
    return aa.record_of({"head": "c0ffee", "rows": rows}, "tensorflow", method, {"device": "test"},
                        "2026-12-01T00:00:00Z", 90.0)


def quiet_runs(count, method, seed=0):
    """A/A runs whose ratios spread by sd 0.02 while each interval claims sd 0.01 (too narrow)."""
    ratios = np.exp(np.random.default_rng(seed).normal(0, 0.02, count))
    return [aa_run(r, r * math.exp(-0.026), r * math.exp(0.026), "no detectable change", method)
            for r in ratios]


def test_an_earlier_methods_runs_are_judged_again_under_the_method_named_and_floor_each_other():
    marginal = aa_run(1.06, 1.03, 1.09, "slower", "old")  # the old rule's false alarm, past x1.05
    real = aa_run(1.40, 1.30, 1.50, "slower", "old")  # a slowdown far past any floor (a planted defect)
    records = quiet_runs(30, "old") + [marginal, real] + quiet_runs(5, "new", seed=1)
    named = {"tensorflow": {"from": ["old"], "under": "new"}}
    summary = aa.summarise(records, "tensorflow", "new", rejudged=named)
    row = summary["rows"][0]
    assert summary["runs"] == 37 and summary["rejudged_runs"] == 32 and row["runs"] == 37
    assert summary["rejudged_recorded_flags"] == 2 and summary["rejudged_flags"] == 1 and row["flags"] == 1
    assert 0.02 < row["floor_sd"] < 0.1  # the 37 runs' spread, the slowdown included
    lines = aa.summary_lines(summary, "L")
    assert any("32 recorded by method old and judged again" in line and "2 flag(s) as recorded, 1 now" in line
               and aa.REJUDGED_BASIS in line for line in lines)
    # another method in force: the earlier runs count for nothing (but still measure its floor)
    other = aa.summarise(records, "tensorflow", "newer", rejudged=named)
    assert other["runs"] == 0 and other["other_methods"] == 37
    assert set(aa.floors(aa.floor_source(records, "tensorflow", "newer", named), {})) == {BENCHMARKS[0]}


def test_a_run_judged_again_is_never_floored_by_its_own_ratio():
    records = quiet_runs(12, "old") + [aa_run(1.30, 1.25, 1.35, "slower", "old")]
    again = aa.counted_runs(records, "tensorflow", "new", {"tensorflow": {"from": ["old"], "under": "new"}})
    last = again[-1][1][0]
    assert last["floor_sd"] == pytest.approx(aa.floors(records[:12], {"device": "test"})[BENCHMARKS[0]])
    assert last["verdict"] == "slower" and last["recorded_verdict"] == "slower"


def test_a_run_judged_again_is_floored_by_the_runs_of_its_own_device():
    """Pass on a noisy host's identical code (its x1.10 is within its own floor), fail on a floor
    pooled with a quieter host's runs (it would flag); the quiet host's x1.10 still flags."""
    def runs(device, sd, count, seed):
        found = quiet_runs(count, "old", seed)
        for run, value in zip(found, np.random.default_rng(seed).normal(0, sd, count), strict=True):
            run["machine"] = {"device": device}
            bounds = {"low": math.exp(value - 0.01), "high": math.exp(value + 0.01)}
            run["rows"][0].update(ratio=math.exp(value), **bounds)
        return found
    quiet, noisy = runs("CPU A", 0.01, 600, 5), runs("CPU B", 0.045, aa.TAIL_MIN_RUNS, 6)
    for device, expected in (("CPU B", "no detectable change"), ("CPU A", "slower")):
        judged = aa_run(1.10, 1.09, 1.11, "slower", "old")
        judged["machine"] = {"device": device}
        assert aa.rejudged_rows(judged, quiet + noisy)[0]["verdict"] == expected, device
    pooled_half = aa.QUANTILE * aa.floors(quiet + noisy, {})[BENCHMARKS[0]]
    assert math.log(1.10) > pooled_half  # the pooled floor would have flagged the noisy host's run


def test_make_compare_takes_this_devices_own_floor_once_it_has_enough_runs_else_never_narrower(
        tmp_path, monkeypatch):
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path)
    method = aa.method_fingerprint("tensorflow")
    for device, sd, count, seed in (("CPU A", 0.01, aa.TAIL_MIN_RUNS, 7), ("CPU B", 0.04, 12, 8)):
        for value in np.random.default_rng(seed).normal(0, sd, count):
            run = aa_run(math.exp(value), math.exp(value - 0.01), math.exp(value + 0.01), "slower", method)
            run["machine"] = {"device": device}
            aa.append_record(aa.ledger_path("tensorflow"), run)
    own = aa.current_floor_source("tensorflow", machine={"device": "CPU A"})
    assert (own.runs, own.device_runs, own.own) == (aa.TAIL_MIN_RUNS, aa.TAIL_MIN_RUNS, True)
    few = aa.current_floor_source("tensorflow", machine={"device": "CPU B"})
    assert (few.runs, few.device_runs, few.own) == (aa.TAIL_MIN_RUNS + 12, 12, False)
    pooled = aa.floors(aa.load_ledger(aa.ledger_path("tensorflow")), {})[BENCHMARKS[0]]
    assert own.sd[BENCHMARKS[0]] < pooled <= few.sd[BENCHMARKS[0]]  # the quiet device: its own floor
    assert aa.current_floors("tensorflow", machine={"device": "CPU B"}) == (few.sd, few.runs)


@pytest.mark.parametrize("text", ["{torn", json.dumps({"jax": {"from": "old", "under": "new"}}),
                                  json.dumps({"jax": {"from": ["old"]}})])
def test_a_malformed_rejudged_file_is_refused_by_name(tmp_path, text):
    path = tmp_path / "rejudged.json"
    path.write_text(text)
    with pytest.raises(aa.LedgerError, match="rejudged.json"):
        aa.load_rejudged(path)
    assert path.read_text() == text
    assert aa.load_rejudged(tmp_path / "absent.json") == {}


def test_the_committed_rejudged_file_names_methods_that_are_in_the_ledgers():
    named = aa.load_rejudged()
    for backend, entry in named.items():
        methods = {r["method"] for r in aa.load_ledger(aa.ledger_path(backend))}
        assert set(entry["from"]) <= methods, backend


def test_a_side_its_recorded_floor_set_is_judged_again_by_a_narrower_floor_as_if_no_wider():
    """A run recorded under a wider floor: where that floor set a side, its own width is unknown, so
    a narrower floor judges it alone (a flag may be added, none hidden); a side of its own is kept."""
    half = math.log(1.12)
    floored = {"benchmark": BENCHMARKS[0], "verdict": "no detectable change", "ratio": 1.10,
               "low": 1.10 * math.exp(-half), "high": 1.10 * math.exp(half), "floor_sd": half / aa.QUANTILE}
    own = {**floored, "low": 1.10 / 1.2, "high": 1.10 * 1.2}
    assert aa.unfloored(floored) == (1.10, 1.10) and aa.unfloored(own) == (own["low"], own["high"])
    narrow = quiet_runs(30, "old")  # their floor: about x1.06
    for row, expected in ((floored, "slower"), (own, "no detectable change")):
        record = aa.record_of({"head": "c0ffee", "rows": [row]}, "tensorflow", "old", {"device": "test"},
                              "2026-12-01T00:00:00Z", 90.0)
        assert aa.rejudged_rows(record, narrow)[0]["verdict"] == expected


@pytest.fixture
def no_device_table(tmp_path, monkeypatch):
    """The committed backend tables without any device's: the tests below judge as a device without
    its own table does, on whichever device they run."""
    folder = tmp_path / "committed"
    folder.mkdir()
    for table in rates.COMMITTED_FOLDER.glob("*.json"):
        shutil.copy(table, folder)
    monkeypatch.setattr(rates, "COMMITTED_FOLDER", folder)


@pytest.mark.usefixtures("no_device_table")
def test_the_ledger_summary_is_kept_until_the_ledger_or_the_code_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path / "ledgers")
    monkeypatch.setenv(aa.SUMMARY_CACHE_VARIABLE, str(tmp_path / "cache"))
    method = aa.method_fingerprint("tensorflow")
    for verdicts in (["no detectable change"] * 2, ["slower", "no detectable change"]):
        aa.append_record(aa.ledger_path("tensorflow"), record(verdicts, method=method))
    first = aa.current_summary("tensorflow")
    assert first == aa.summarise(aa.load_ledger(aa.ledger_path("tensorflow")), "tensorflow", method)
    summarised = []
    monkeypatch.setattr(aa, "summarise", lambda *args, **_: summarised.append(args) or {"runs": "recomputed"})
    assert aa.current_summary("tensorflow") == first and not summarised  # read back
    aa.append_record(aa.ledger_path("tensorflow"), record(["slower"] * 2, method=method))
    assert aa.current_summary("tensorflow") == {"runs": "recomputed"} and len(summarised) == 1
    monkeypatch.setattr(aa, "SUMMARY_CODE", ("harness",))  # another body of code: another key
    assert aa.current_summary("tensorflow") == {"runs": "recomputed"} and len(summarised) == 2


@pytest.mark.usefixtures("no_device_table")
def test_a_local_power_table_keeps_the_ledgers_runs_as_its_floor_but_not_as_its_false_alarms(
        tmp_path, monkeypatch):
    """``make timing-power`` leaves a local table, which judges by its own round variance (another
    method): the committed ledger's runs measured the same thing, so they still floor its intervals,
    but their flags were judged with the committed table's variance and are not counted for it."""
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path / "ledgers")
    monkeypatch.setenv(aa.SUMMARY_CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setattr(rates, "LOCAL_FOLDER", tmp_path / "local")
    committed = aa.method_fingerprint("tensorflow")
    assert aa.ledger_method("tensorflow") == committed
    for run in quiet_runs(12, committed):
        aa.append_record(aa.ledger_path("tensorflow"), run)
    assert not any("judges by" in line for line in aa.ledger_lines("tensorflow"))
    table = json.loads(rates.committed_table("tensorflow").read_text())
    rates.local_table("tensorflow").parent.mkdir(parents=True)
    rates.local_table("tensorflow").write_text(json.dumps({**table, "started": "measured here"}))
    local = aa.method_fingerprint("tensorflow")
    assert local != committed and aa.ledger_method("tensorflow") == committed
    source = aa.current_floor_source("tensorflow", machine={"device": "test"})
    assert source.runs == 12 and source.sd == aa.floors(quiet_runs(12, committed), {"device": "test"})
    summary = aa.current_summary("tensorflow")
    assert (summary["runs"], summary["floor_runs"], summary["method"]) == (0, 12, local)
    note = aa.ledger_lines("tensorflow")[-1]
    assert f"judges by the power table {rates.local_table('tensorflow')}" in note
    assert "12 runs" in note and committed in note


@pytest.mark.usefixtures("no_device_table")
def test_the_expected_wall_time_comes_from_this_measurements_runs_on_this_device_only(tmp_path, monkeypatch):
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path / "ledgers")
    method = aa.method_fingerprint("tensorflow")
    here, elsewhere = {"device": "test"}, {"device": "another"}
    assert aa.wall_time_here("tensorflow", machine=here) is None
    runs = [(here, method, 300.0), (here, method, 100.0), (here, method, 200.0),
            (elsewhere, method, 5.0), (here, "another method", 1.0)]
    for machine, fingerprint, seconds in runs:
        run = record(["no detectable change"] * 2, method=fingerprint, seconds=seconds)
        aa.append_record(aa.ledger_path("tensorflow"), {**run, "machine": machine})
    assert aa.wall_time_here("tensorflow", machine=here) == (3, 100.0, 200.0, 300.0)
    assert aa.wall_time_here("tensorflow", machine=elsewhere) == (1, 5.0, 5.0, 5.0)
    assert aa.wall_time_here("jax", machine=here) is None


def test_each_profiles_runs_are_counted_apart_and_every_floor_comes_from_the_defaults():
    """A quick run's flags count for the quick profile only, and its ratios never move the floor."""
    default = quiet_runs(12, "m1")
    wild = [{**run, "profile": "quick"} for run in quiet_runs(12, "m1", seed=3)]
    for run in wild[:3]:
        run["rows"] = [{**row, "ratio": 1.5, "low": 1.4, "high": 1.6, "verdict": "slower"}
                       for row in run["rows"]]
    records = default + wild
    mine = aa.summarise(records, "tensorflow", "m1")
    quick = aa.summarise(records, "tensorflow", "m1", profile="quick")
    assert (mine["runs"], mine["runs_any_flag"], mine["other_methods"]) == (12, 0, 0)
    assert mine["profile"] == "default"
    assert (quick["runs"], quick["runs_any_flag"], quick["profile"]) == (12, 3, "quick")
    assert aa.floor_source(records, "tensorflow", "m1", {}) == default
    assert aa.floors(aa.floor_source(records, "tensorflow", "m1", {}), None) == aa.floors(default, None)
    assert "profile quick" in aa.summary_lines(quick, "l.jsonl")[0]
    empty = aa.summarise(default, "tensorflow", "m1", profile="quick")
    assert "--profile quick` records them" in aa.summary_lines(empty, "l.jsonl")[0]


@pytest.mark.usefixtures("no_device_table")
def test_the_wall_time_and_the_auto_profile_of_a_campaign_follow_this_devices_default_runs(
        tmp_path, monkeypatch):
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path / "ledgers")
    monkeypatch.setattr(harness.device, "device_description", lambda backend: {"device": "test"})
    monkeypatch.setattr(aa, "this_device", lambda backend: {"device": "test"})
    monkeypatch.setattr(aa, "device_fields", lambda backend: {"device": "test"})
    method = aa.method_fingerprint("tensorflow")
    assert aa.resolve_profile("auto", "tensorflow")[0] == "default"  # never timed here
    for seconds, profile in ((400.0, "default"), (420.0, "default"), (150.0, "quick")):
        run = record(["no detectable change"] * 2, method=method, seconds=seconds)
        run = {**run, "machine": {"device": "test"}, "profile": profile}
        aa.append_record(aa.ledger_path("tensorflow"), run)
    assert aa.wall_time_here("tensorflow") == (2, 400.0, 410.0, 420.0)
    assert aa.wall_time_here("tensorflow", profile="quick") == (1, 150.0, 150.0, 150.0)
    profile, why = aa.resolve_profile("auto", "tensorflow")
    assert profile == "quick" and "410 s" in why
    assert aa.resolve_profile("default", "tensorflow")[0] == "default"  # named: never switched
    commands = []

    def fake_compare(command, **_):
        commands.append(command)
        path = command[command.index("--json") + 1]
        Path(path).write_text(json.dumps(result(["no detectable change"] * 2)))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(aa.subprocess, "run", fake_compare)
    ledger = tmp_path / "campaign.jsonl"
    aa.campaign(".", "tensorflow", 2, None, ledger, tmp_path / "log", progress=print, profile=profile)
    assert [command[command.index("--suites") + 1] for command in commands] == ["quick", "quick"]
    assert [run["profile"] for run in aa.load_ledger(ledger)] == ["quick", "quick"]
