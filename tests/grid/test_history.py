"""The grid's run-to-run spread (benchmarks.grid.history): its fit, its file and the widening it gives."""

import json
import math

import numpy as np
import pytest

from benchmarks.grid import history, instance, run
from benchmarks.grid.verdict import cell_verdict

pytestmark = pytest.mark.tensorflow_kernel_free  # simulated runs and files: no backend runs


def simulated_runs(rng, run_sd, runs, cells=4, replicas=100, blocks=15, block_sd=0.05, backend="jax"):
    """``runs`` grids of ``cells`` warm cells at ``replicas``: cell c's true ratio ``exp(c / 4)`` (far
    apart, as real cells are), each run moving it by an offset of sd ``run_sd`` its blocks cannot show."""
    suites = ("train_step", "layer_forward", "layer_forward_backward", "network_forward")
    made = []
    for _ in range(runs):
        grid = []
        for index in range(cells):
            true = math.exp(index / 4)
            offset = rng.normal(0, run_sd)
            reference = np.exp(rng.normal(np.log(2e-3), block_sd, blocks))
            fused = reference / true * np.exp(-offset + rng.normal(0, block_sd, blocks))
            grid.append({"backend": backend, "suite": suites[index % 4], "replicas": replicas,
                         "candidate": f"c{index // 4}", "true": true, "reference": reference, "fused": fused,
                         **cell_verdict(reference, fused)})
        made.append({"cells": grid, "code": "abc"})
    return made


def fit_at(runs, replicas=100):
    return history.spread_by_replicas(runs)[replicas]


def test_the_upper_limit_covers_the_true_run_to_run_sd_95_percent_of_the_time():
    """Two runs of 12 cells (R = 100 over three backends): the Q-profile limit with each cell's mean
    unknown covers the true sd about 95 % of the time; its estimate alone about half the time."""
    rng = np.random.default_rng(11)
    true_sd = 0.08
    fits = [fit_at(simulated_runs(rng, true_sd, 2, cells=12)) for _ in range(300)]
    coverage = np.mean([fit["sd_upper"] >= true_sd for fit in fits])
    assert 0.91 <= coverage <= 0.99, coverage
    assert np.mean([fit["sd"] >= true_sd for fit in fits]) < 0.7
    assert 0.06 < np.median([fit["sd"] for fit in fits]) < 0.1
    assert {fit["degrees"] for fit in fits} == {12} and {fit["cells"] for fit in fits} == {12}


def test_cells_far_apart_with_no_run_to_run_offset_give_a_small_limit():
    """Cells' true ratios differ (x1 to x15): only a cell's own runs may be compared. Against one mean
    for all cells, the limit would be the spread of the ratios (planted: it must stay small)."""
    rng = np.random.default_rng(12)
    uppers = [fit_at(simulated_runs(rng, 0.0, 3, cells=12))["sd_upper"] for _ in range(50)]
    assert np.median(uppers) < 0.03
    sd, upper, degrees = history.run_sd([[(0.0, 0.02), (0.0, 0.02)], [(2.0, 0.02), (2.0, 0.02)]])
    assert (sd, upper, degrees) == (0.0, 0.0, 2)


def test_run_sd_refuses_bad_groups():
    with pytest.raises(ValueError, match="block_se"):
        history.run_sd([[(0.1, 0.05)]])  # one run: nothing to compare
    with pytest.raises(ValueError, match="se > 0"):
        history.run_sd([[(0.1, 0.05), (0.2, 0.0)]])


def test_the_fit_is_per_r_and_skips_one_shot_unjudged_and_unrepeated_cells():
    rng = np.random.default_rng(13)
    runs = [{"cells": a["cells"] + b["cells"], "code": "abc"}
            for a, b in zip(simulated_runs(rng, 0.05, 2, replicas=10), simulated_runs(rng, 0.2, 2),
                            strict=True)]
    runs[0]["cells"].append({**runs[0]["cells"][0], "suite": "build", "ratio": 9.0})
    runs[1]["cells"].append({**runs[1]["cells"][0], "suite": "build", "ratio": 0.1})
    runs[1]["cells"].append({**runs[1]["cells"][1], "candidate": "only-once"})
    runs[1]["cells"][2] = {**runs[1]["cells"][2], "verdict": "n/a", "block_se": None}
    fitted = history.spread_by_replicas(runs)
    assert set(fitted) == {10, 100}
    assert fitted[10]["cells"] == 3 and fitted[100]["cells"] == 4  # the n/a cell and the lone one left out


def test_disjoint_intervals_count_consecutive_runs_cells_that_do_not_overlap():
    def grid(low, high, replicas=100):
        return {"cells": [{"backend": "jax", "suite": "network_forward", "replicas": replicas, "ratio": low,
                           "low": low, "high": high, "verdict": "win", "block_se": 0.02}]}

    runs = [grid(1.47, 1.88), grid(0.94, 1.37), grid(1.30, 1.50), grid(1.0, 1.1, replicas=1)]
    assert history.disjoint_intervals(runs) == {100: (1, 2)}


def test_widening_by_an_earlier_history_brings_coverage_back_to_the_rule():
    """Planted: each run moves a cell's ratio by an offset of sd 0.1 its blocks cannot show (as two
    real grids did at R = 100). Judged on their blocks alone, the 99 % intervals miss the true ratio
    in far more than 5 % of fresh cells; widened by the limit fitted on two earlier runs, in at most 5 %."""
    rng = np.random.default_rng(14)
    upper = fit_at(simulated_runs(rng, 0.1, 2, cells=12))["sd_upper"]
    assert upper > 0.07
    fresh = [cell for grid in simulated_runs(rng, 0.1, 40, cells=4) for cell in grid["cells"]]

    def missed(cells, offset_sd):
        judged = [cell_verdict(cell["reference"], cell["fused"], offset_sd) for cell in cells]
        return np.mean([not judged_cell["low"] <= cell["true"] <= judged_cell["high"]
                        for cell, judged_cell in zip(cells, judged, strict=True)])

    assert missed(fresh, 0.0) > 0.2
    assert missed(fresh, upper) <= 0.05


def record(cells, code="abc"):
    clean = [{key: value for key, value in cell.items() if key not in ("reference", "fused", "true")}
             for cell in cells]
    return history.run_record(clean, "python -m benchmarks.grid", "2026-11-30T13:00:00Z", 600.0, code)


def test_the_history_appends_runs_and_names_a_corrupt_line_without_touching_it(tmp_path):
    path = tmp_path / "perf" / "grid-runs.jsonl"
    assert history.load_history(path) == []
    rng = np.random.default_rng(15)
    for grid in simulated_runs(rng, 0.05, 2):
        history.append_run(path, record(grid["cells"]))
    runs = history.load_history(path)
    assert len(runs) == 2 and runs[0]["code"] == "abc" and runs[0]["seconds"] == 600.0
    cells = [{"backend": "jax", "device": "CPU x2", "ratio": ratio} for ratio in (1.0, 2.0)]
    described = history.run_record(cells, "grid", "", 1.0, "abc")
    assert described["devices"] == {"jax": "CPU x2"} and all("device" not in c for c in described["cells"])
    for corrupt in ("{not json", json.dumps({"schema": "other", "cells": []}),
                    json.dumps({"schema": history.SCHEMA, "cells": "x", "code": "abc"})):
        path.write_text(path.read_text().splitlines()[0] + "\n" + corrupt + "\n")
        before = path.read_text()
        with pytest.raises(history.HistoryError, match=r"grid-runs.jsonl:2"):
            history.append_run(path, record(runs[0]["cells"]))
        assert path.read_text() == before


def test_comparable_runs_take_the_first_history_with_two_runs_of_this_code(tmp_path):
    local, committed = tmp_path / "results.jsonl", tmp_path / "docs.jsonl"
    rng = np.random.default_rng(16)
    grids = [grid["cells"] for grid in simulated_runs(rng, 0.05, 4)]
    history.append_run(committed, record(grids[0]))
    history.append_run(committed, record(grids[1]))
    history.append_run(local, record(grids[2]))
    history.append_run(local, record(grids[3], code="other"))
    assert history.comparable_runs("abc", (local, committed)) == (committed, history.load_history(committed))
    history.append_run(local, record(grids[3]))
    path, runs = history.comparable_runs("abc", (local, committed))
    assert path == local and len(runs) == 2  # the other code's run left out
    assert history.comparable_runs("new", (local, committed)) == (None, [])


def test_the_code_fingerprint_follows_the_implementations_not_the_docs(tmp_path):
    for name in history.CODE_PATHS:
        target = tmp_path / name / "module.py" if "." not in name else tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x = 1\n")
    (tmp_path / "docs").mkdir()
    before = history.code_fingerprint(tmp_path)
    (tmp_path / "docs" / "notes.md").write_text("changed")
    assert history.code_fingerprint(tmp_path) == before
    for name in history.NOT_CODE:  # the result writer and the timing rule take no timing
        (tmp_path / name).write_text("y = 1\n")
    assert history.code_fingerprint(tmp_path) == before
    (tmp_path / "multidense_impl" / "module.py").write_text("x = 2\n")
    assert history.code_fingerprint(tmp_path) != before


def test_a_warm_cell_is_widened_by_the_larger_of_instance_and_run_to_run_sd(monkeypatch):
    monkeypatch.setattr(history, "table_instance_sd", lambda backend, suite, table=None: 0.03)
    spread = {100: {"sd_upper": 0.12}, 10: {"sd_upper": 0.01}}
    assert history.cell_widening("jax", "train_step", 100, spread) == (0.12, 0.03, 0.12)
    assert history.cell_widening("jax", "layer_forward", 10, spread) == (0.03, 0.03, 0.01)
    assert history.cell_widening("jax", "network_forward", 1, spread) == (0.03, 0.03, 0.0)
    assert history.cell_widening("jax", "build", 100, spread) == (0.0, 0.0, 0.0)


def test_a_grid_run_is_appended_and_its_spread_printed(tmp_path, monkeypatch, capsys):
    """Two runs of the grid: the first says the spread is not measured, the second prints it per R with
    the disjoint cells; a corrupt history stops the grid before it times anything."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(instance, "AA_TABLES", (tmp_path / "none.json",))
    local = tmp_path / "results" / "perf" / "grid-runs.jsonl"
    monkeypatch.setattr(history, "HISTORIES", (local, tmp_path / "docs" / "grid-runs.jsonl"))
    monkeypatch.setattr(history, "code_fingerprint", lambda root=None: "abc")
    rng = np.random.default_rng(17)
    grids = iter(record(grid["cells"])["cells"] for grid in simulated_runs(rng, 0.2, 2))
    monkeypatch.setattr(run, "run_backend", lambda backend, arguments: next(grids))
    run.main(["--backends", "jax"])
    assert "run-to-run spread: not measured for this code (abc)" in capsys.readouterr().out
    run.main(["--backends", "jax"])
    out = capsys.readouterr().out
    fit = history.spread_by_replicas(history.load_history(local))[100]
    assert f"R = 100: {fit['sd']:.3f} (<= {fit['sd_upper']:.3f}; 4 cells" in out
    assert "disjoint" in out and f"appended to {local}" in out
    assert [run_["code"] for run_ in history.load_history(local)] == ["abc", "abc"]
    local.write_text(local.read_text() + "{broken\n")
    monkeypatch.setattr(run, "run_backend", lambda *_: pytest.fail("a corrupt history stops the grid first"))
    with pytest.raises(SystemExit, match="grid-runs.jsonl:3"):
        run.main(["--backends", "jax", "--json", str(tmp_path / "other.json")])
    assert not (tmp_path / "other.json").exists()
