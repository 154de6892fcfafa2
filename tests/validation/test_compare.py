"""The comparison pipeline: commits, the planted slowdown, the worker protocol and the CLI's exit codes."""

import gc
import json
import math
import subprocess
from pathlib import Path

import keras
import numpy as np
import pytest

from benchmarks.interleaved import Case, WorkerError, _build_case, measure, refresh, refresh_block
from benchmarks.planted_slowdown import slowed_call
from harness.device import device_description
from multidense_impl import MultiDense
from validation.timing import compare
from validation.timing.commits import CommitError, export, plant, resolve, show
from validation.timing.method import REFRESH_EVERY, comparison_cases
from validation.timing.planted import planted_files
from validation.timing.rates import SCHEMA, PowerTableError, design_mismatch, error_rates_lines, load_power

ROOT = Path(__file__).resolve().parents[2]


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A small git repository holding the project's packages (as in a clone), one commit."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(repo)], check=True)
    return repo


@pytest.mark.backend_matrix
def test_plant_writes_a_commit_without_touching_head_index_or_branches(repo):
    head, branches = git(repo, "rev-parse", "HEAD"), git(repo, "branch", "--list")
    commit = plant(repo, head, {"multidense_impl/note.txt": "planted\n"}, "a planted commit")
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "branch", "--list") == branches
    assert git(repo, "status", "--porcelain") == ""
    assert show(repo, commit, "multidense_impl/note.txt") == "planted\n"
    assert git(repo, "rev-parse", f"{commit}^") == head


@pytest.mark.backend_matrix
def test_export_gives_the_commit_tree_and_reuses_it(repo, tmp_path):
    head = resolve(repo, "HEAD")
    folder = export(repo, head, tmp_path / "cache")
    layers = show(repo, head, "multidense_impl/layers.py")
    assert (folder / "multidense_impl" / "layers.py").read_text() == layers
    marker = folder / "marker"
    marker.write_text("kept")
    assert export(repo, head, tmp_path / "cache") == folder and marker.exists()


@pytest.mark.backend_matrix
@pytest.mark.parametrize("revision", ["no-such-branch", "", "--all"])
def test_resolve_names_the_parameter(repo, revision):
    with pytest.raises(CommitError, match="--base"):
        resolve(repo, revision, "--base")


@pytest.mark.backend_matrix
def test_planted_files_patch_multidense(repo):
    files = planted_files(repo, resolve(repo, "HEAD"), {1: 2.5})
    assert "slowed_call(MultiDense.call, {1: 2.5}, {})" in files["multidense_impl/layers.py"]
    files = planted_files(repo, resolve(repo, "HEAD"), {}, {100: 40.0})
    assert "slowed_call(MultiDense.call, {}, {100: 40.0})" in files["multidense_impl/layers.py"]
    assert "def slowed_call" in files["multidense_impl/_planted_slowdown.py"]


@pytest.mark.backend_matrix
def test_the_planted_slowdown_is_numerically_inert_and_keeps_gradients():
    seeds = [7, 17]
    layer = MultiDense(4, seeds, is_first_layer=True, activation="tanh")
    slowed_class = type("SlowedMultiDense", (MultiDense,), {"call": slowed_call(MultiDense.call, {2: 3.0})})
    slowed = slowed_class(4, seeds, is_first_layer=True, activation="tanh")
    inputs = keras.random.normal((1, 30, 2), seed=3)
    expected = keras.ops.convert_to_numpy(layer(inputs))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(slowed(inputs)), expected)
    traced = type("Traced", (MultiDense,), {"call": slowed_call(MultiDense.call, {}, {2: 50})})
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(traced(4, seeds, is_first_layer=True, activation="tanh")(inputs)),
        expected)
    untouched = type("Other", (MultiDense,), {"call": slowed_call(MultiDense.call, {5: 3.0})})
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(untouched(4, seeds, is_first_layer=True, activation="tanh")(inputs)),
        expected)


def test_the_cli_rejects_bad_input_with_exit_2(repo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    assert compare.main(["--base", "no-such-branch", "--json", str(tmp_path / "c.json")]) == compare.FAILURE
    assert "--base" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--rounds", "0"])
    assert exit_info.value.code == compare.FAILURE
    with pytest.raises(SystemExit) as exit_info:
        compare.main(["--backend", "theano"])
    assert exit_info.value.code == compare.FAILURE
    assert "--backend" in capsys.readouterr().err
    foreign = tmp_path / "mine.json"
    foreign.write_text('{"my": "data"}')
    assert compare.main(["--base", "HEAD", "--json", str(foreign)]) == compare.FAILURE
    assert foreign.read_text() == '{"my": "data"}'


@pytest.mark.onednn_neutral  # worker plumbing: its numbers are not judged
def test_workers_time_both_commits_and_a_broken_commit_is_named(repo, tmp_path):
    """The real protocol, at the smallest size: one case, two blocks."""
    head = resolve(repo, "HEAD")
    broken = plant(repo, head, {"harness/registry.py": "raise ImportError('planted breakage')\n"}, "broken")
    cases = [Case("train_step", "reference", 1), Case("build", "reference", 1)]
    sources = {"base": export(repo, head, tmp_path / "c"), "head": export(repo, head, tmp_path / "c")}
    blocks = measure(sources, cases, rounds=1, blocks=4, steps=1, one_shot_every=2, refresh_every=1)
    assert [len(blocks.medians[label][cases[0].name]) for label in ("base", "head")] == [4, 4]
    assert all(value > 0 for value in blocks.medians["head"][cases[0].name])
    one_shot = np.asarray(blocks.medians["head"][cases[1].name])  # sampled in blocks 0 and 1 only
    assert np.all(one_shot[:2] > 0) and np.all(np.isnan(one_shot[2:]))
    with pytest.raises(WorkerError, match="broken-side.*planted breakage"):
        measure({"base": sources["base"], "broken-side": export(repo, broken, tmp_path / "c")}, cases,
                rounds=1, blocks=1, steps=1)


def test_workers_rebuild_their_warm_models_at_the_start_of_the_pairs_of_blocks_named():
    assert [refresh_block(block, 1) for block in range(6)] == [False, False, True, False, True, False]
    every_two = [False] * 4 + [True] + [False] * 3 + [True, False]
    assert [refresh_block(block, 2) for block in range(10)] == every_two
    assert not any(refresh_block(block, None) for block in range(6))


@pytest.mark.onednn_neutral  # worker plumbing: its numbers are not judged
def test_refresh_replaces_the_warm_cases_and_keeps_the_one_shot_ones():
    specs = [["train_step", "reference", 1], ["build", "reference", 1]]
    cases = [_build_case(*spec) for spec in specs]
    before = list(cases)
    try:
        refresh(specs, cases)
    finally:
        gc.unfreeze()
    assert cases[0] is not before[0] and cases[0].model is not before[0].model
    assert cases[1] is before[1]
    assert np.isfinite(float(np.asarray(keras.ops.convert_to_numpy(cases[0].step()))))  # warmed, runs


@pytest.mark.backend_matrix
def test_error_rates_come_from_the_power_table_of_the_backend(tmp_path, monkeypatch):
    monkeypatch.setattr("validation.timing.rates.LOCAL_FOLDER", tmp_path / "local")
    monkeypatch.setattr("validation.timing.rates.COMMITTED_FOLDER", tmp_path)
    active = keras.backend.backend()  # the one this machine can describe (another may not be installed)
    other, mislabelled = (name for name in ("tensorflow", "jax", "torch") if name != active)
    table = tmp_path / f"{active}.json"
    data = {"schema": SCHEMA, "machine": "m", "started": "t", "backend": active, "comparisons": 20,
            "design_sizes": {"refresh_every": REFRESH_EVERY.get(active)},
            "summary": [{"label": "A/A whole comparison exits 0", "flags": 19, "comparisons": 20,
                         "rate": 0.95, "low95": 0.75, "high95": 0.999, "goal_text": ">= 95%", "met": True,
                         "bound_text": "model bound 0.001"}]}
    table.write_text(json.dumps(data))
    lines = error_rates_lines(backend=active)
    assert "19/20 = 95.0%, 95% interval 75.0%-99.9%" in lines[1] and "met" in lines[1]
    assert f"backend {active}" in lines[0] and "20 independent comparisons" in lines[0]
    assert "model bound 0.001" in lines[2] and "records no device" in lines[3]
    assert f"NOT measured on {other}" in error_rates_lines(backend=other)[0]  # no table of its own
    (tmp_path / f"{mislabelled}.json").write_text(json.dumps(data))  # the active one's table filed wrongly
    with pytest.raises(PowerTableError, match=f"measured on '{active}', not '{mislabelled}'"):
        load_power(backend=mislabelled)
    here = device_description(active)
    table.write_text(json.dumps({**data, "device": here}))
    assert len(error_rates_lines(backend=active)) == 3  # measured here, in this design: no warning
    table.write_text(json.dumps({**data, "device": {**here, "device": "GPU H100"}}))
    assert "NOT measured on this device" in error_rates_lines(backend=active)[-1]
    if "vector_set" in here:  # a table from before the field: the CPU's vector set is unknown
        older = {field: value for field, value in here.items() if field != "vector_set"}
        table.write_text(json.dumps({**data, "device": older}))
        assert f"records no vector_set (this device: vector_set {here['vector_set']})" in (
            error_rates_lines(backend=active)[-1])
    table.write_text("{not json")
    with pytest.raises(PowerTableError, match=str(table)):
        load_power(backend=active)


def test_error_rates_leave_out_planted_rows_about_benchmarks_not_timed():
    """A comparison of the train steps alone (the quick profile) does not quote first-step detection."""
    row = {"flags": 4, "comparisons": 4, "rate": 1.0, "low95": 0.4, "high95": 1.0, "goal_text": "g",
           "met": True}
    summary = [{**row, "name": "aa_per_benchmark", "label": "A/A worst"},
               {**row, "name": "slow_step_1.25:train_step(multidense, R=100)", "label": "planted step"},
               {**row, "name": "slow_first_1.50:first_step(multidense, R=100)", "label": "planted first"}]
    table = {"backend": "jax", "path": "p", "comparisons": 4, "summary": summary}
    everything = error_rates_lines(table, backend="jax")
    assert any("planted first" in line for line in everything)
    assert not any("left out" in line for line in everything)
    lines = error_rates_lines(table, backend="jax", timed=["train_step(multidense, R=100)"])
    assert any("A/A worst" in line for line in lines) and any("planted step" in line for line in lines)
    assert not any("planted first" in line for line in lines)
    left_out = "1 planted-slowdown row(s) about benchmarks this comparison does not time left out"
    assert left_out in "\n".join(lines)


def test_a_power_table_of_another_design_says_so():
    """Rates of one model per round are not those of a comparison that rebuilds them (torch)."""
    kept, rebuilt = {"design_sizes": {"refresh_every": None}}, {"design_sizes": {"refresh_every": 1}}
    assert REFRESH_EVERY.get("torch") == 1 and REFRESH_EVERY.get("tensorflow") is None
    assert "warm models kept for the round" in design_mismatch(kept, "torch")
    assert "rebuilt every 1 pair(s)" in design_mismatch({}, "torch")  # a table from before the field
    assert design_mismatch(rebuilt, "torch") is None and design_mismatch(kept, "tensorflow") is None
    assert "NOT this comparison's design" in design_mismatch(rebuilt, "jax")


def test_the_output_says_what_floors_the_intervals_or_why_nothing_does(tmp_path, monkeypatch):
    from harness.timing_rule import QUANTILE
    from validation.timing import aa, compare

    none = aa.FloorSource({}, 3, 3, False)
    assert "no run-to-run floor (3 A/A runs" in compare.floor_line(none, None, "jax")
    line = compare.floor_line(aa.FloorSource({"a": 0.01, "b": 0.04}, 141, 141, True), None, "jax")
    assert "141 A/A ledger runs on jax, all on this device" in line
    assert f"x{math.exp(QUANTILE * 0.01):.3f}-x{math.exp(QUANTILE * 0.04):.3f}" in line
    line = compare.floor_line(aa.FloorSource({"a": 0.01}, 141, 12, False), None, "jax")
    assert f"141 A/A ledger runs on jax, 12 on this device: never narrower than all runs' floor until it " \
           f"has {aa.TAIL_MIN_RUNS} of its own" in line
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path)
    (tmp_path / "jax.jsonl").write_text("{torn\n")
    source, error = compare._floors("jax")
    assert (source.sd, source.runs) == ({}, 0) and "jax.jsonl:1" in error
    assert "could not be read" in compare.floor_line(source, error, "jax")
    assert (tmp_path / "jax.jsonl").read_text() == "{torn\n"  # refused, left as it was


def test_the_default_comparison_says_first_how_long_it_took_here(repo, tmp_path, capsys, monkeypatch):
    """The expected time is printed before the workers start, for the default design only (the one the
    A/A ledger's runs timed), and a ledger that cannot be read is named rather than guessed around."""
    import benchmarks.interleaved
    from validation.timing import aa

    def no_workers(*_, **__):
        raise WorkerError("stopped by the test")

    monkeypatch.setattr(benchmarks.interleaved, "measure", no_workers)
    times = {"default": aa.WallTime(4, 150.0, 170.0, 210.0), "quick": aa.WallTime(2, 90.0, 95.0, 100.0)}
    monkeypatch.setattr(compare, "wall_time_here", lambda backend, profile="default": times[profile])
    common = ["--repo", str(repo), "--base", "HEAD", "--json", str(tmp_path / "c.json")]
    assert compare.main(common) == compare.FAILURE
    assert "expected time: 170 s (the median of 4 A/A ledger run(s) of this comparison on this device; " \
           "150-210 s)" in capsys.readouterr().out
    assert compare.main(common + ["--suites", "quick"]) == compare.FAILURE
    assert "expected time: 95 s (the median of 2" in capsys.readouterr().out
    for other in (["--rounds", "3"], ["--suites", "all"], ["--replicas", "1"], ["--steps", "5"],
                  ["--suites", "train_step"]):
        assert compare.main(common + other) == compare.FAILURE
        assert "expected time" not in capsys.readouterr().out
    monkeypatch.setattr(compare, "wall_time_here", lambda backend, profile="default": None)
    assert "unknown on this device" in compare.duration_line("jax")
    monkeypatch.undo()
    monkeypatch.setattr(aa, "LEDGER_FOLDER", tmp_path)
    (tmp_path / "jax.jsonl").write_text("{torn\n")
    assert "jax.jsonl:1" in compare.duration_line("jax")
    assert (tmp_path / "jax.jsonl").read_text() == "{torn\n"


def test_auto_runs_the_default_unless_this_device_timed_it_over_the_budget(repo, tmp_path, capsys,
                                                                          monkeypatch):
    """``auto`` (what ``make compare`` runs) keeps the default within 3 minutes here or where it was never
    timed; over it, the default's train steps alone, and the output names the profile, why, and what it
    left out; the result file records the profile timed."""
    import benchmarks.interleaved
    from validation.timing import aa
    from validation.timing.profiles import BUDGET_SECONDS

    timed = {}

    def no_workers(sources, cases, *_, **__):
        timed["cases"] = [case.name for case in cases]
        raise WorkerError("stopped by the test")

    monkeypatch.setattr(benchmarks.interleaved, "measure", no_workers)
    common = ["--repo", str(repo), "--base", "HEAD", "--json", str(tmp_path / "c.json")]
    default = [case.name for case in comparison_cases("default")]
    for median, chosen in ((None, default), (BUDGET_SECONDS, default), (BUDGET_SECONDS + 1, None)):
        wall = median and aa.WallTime(3, median - 1.0, float(median), median + 1.0)
        monkeypatch.setattr(compare, "wall_time_here", lambda backend, profile="default", w=wall: w)
        assert compare.main(common) == compare.FAILURE
        out = capsys.readouterr().out
        if chosen:
            assert timed["cases"] == chosen and "profile default (auto:" in out
        else:
            assert timed["cases"] == [name for name in default if name.startswith("train_step")]
            assert f"profile quick (auto: the median of 3 A/A ledger run(s) of the default on this device " \
                   f"is {median} s" in out and "over the 180 s budget; `--suites default` times" in out
    assert compare.main(common + ["--suites", "default"]) == compare.FAILURE  # named: never switched
    assert timed["cases"] == default and "auto" not in capsys.readouterr().out


def test_the_quick_profile_is_the_defaults_train_steps_and_says_what_it_leaves_to_all():
    from validation.timing.profiles import not_timed, profile_cases

    names = [case.name for case in comparison_cases("all")]
    quick, left = ([case.name for case in cases] for cases in (profile_cases("quick"), not_timed("quick")))
    assert quick == [case.name for case in comparison_cases("default") if case.suite == "train_step"]
    assert "train_step(multidense, R=100)" in quick and "train_step(reference, R=100)" not in quick
    assert sorted(quick + left) == sorted(names) and not set(quick) & set(left)
    assert left[0].startswith("first_step")  # what the default would have timed comes first
    assert [case.name for case in profile_cases("quick", replicas=[1])] == [
        "train_step(reference, R=1)", "train_step(multidense, R=1)"]
