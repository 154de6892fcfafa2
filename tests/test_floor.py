"""The floor arithmetic (benchmarks.floor) and the grid's statistics, formatting and writer
(benchmarks.grid)."""

import json

import numpy as np
import pytest

from benchmarks.floor import (
    FloorStep,
    activation_traffic_bytes,
    floor_seconds,
    fraction_of_floor,
    roofline_seconds,
    step_gemms,
)
from benchmarks.grid import cell_verdict, format_grid, ratio_interval, write_json
from benchmarks.grid_aa import rates


@pytest.mark.parametrize("replicas", [1, 10, 100])
def test_step_flops_are_the_networks_and_the_fk_convolutions(replicas):
    n, r, k, d, p = 1500, replicas, 30, 67, 50 * 8
    network_forward = 2 * n * r * (2 * 25 + 25 * 20 + 20 * 8)
    network_backward = 2 * network_forward - 2 * n * r * 2 * 25  # dW and dX, no dX for the input
    fk = 2 * (2 * k * r * p * d)  # forward and its input gradient
    assert sum(g.flops for g in step_gemms(replicas)) == network_forward + network_backward + fk


def test_step_gemms_refuse_a_workload_of_other_replicas():
    from harness.workload import FitWorkload

    with pytest.raises(ValueError, match="replicas"):
        step_gemms(10, workload=FitWorkload(3))


def test_traffic_counts_five_passes_per_tanh_layer_and_three_for_the_linear_one():
    assert activation_traffic_bytes(2, n_points=10) == 4 * 2 * 10 * (5 * 25 + 5 * 20 + 3 * 8)


def test_traffic_names_an_unknown_activation():
    with pytest.raises(ValueError, match="activations"):
        activation_traffic_bytes(1, n_points=10, activations=("relu", "tanh", "linear"))


def test_floor_adds_the_traffic_at_the_bandwidth():
    assert floor_seconds(0.010, 2e9, 1e11) == pytest.approx(0.030)
    assert fraction_of_floor(0.060, 0.030) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="bandwidth"):
        floor_seconds(0.01, 1e6, 0.0)
    with pytest.raises(ValueError, match="floor"):
        fraction_of_floor(1.0, 0.0)


def test_roofline_is_the_slower_of_flops_and_bytes():
    assert roofline_seconds(1e9, 1e8, 1e8, peak_flops=1e11, bandwidth=1e10) == pytest.approx(0.02)
    assert roofline_seconds(4e9, 1e8, 1e8, peak_flops=1e11, bandwidth=1e10) == pytest.approx(0.04)


def test_floor_step_runs_every_gemm():
    step = FloorStep(1)
    assert len(step.gemm_times()) == len(step.gemms)
    assert step.seconds() > 0


def test_ratio_interval_brackets_the_median_of_block_ratios():
    ratios = np.random.default_rng(0).normal(1.3, 0.05, 20)
    median, low, high = ratio_interval(ratios)
    assert median == pytest.approx(np.median(ratios))
    assert low < median < high
    assert 1.2 < low and high < 1.4
    assert ratio_interval([0.9, 1.1]) == (1.0, 0.9, 1.1)
    with pytest.raises(ValueError, match="block_ratios"):
        ratio_interval([1.0, -1.0, 2.0])


def test_the_grid_verdict_is_the_timing_rule():
    rng = np.random.default_rng(0)
    reference = np.exp(rng.normal(np.log(2e-3), 0.03, 15))
    noise = np.exp(rng.normal(0, 0.02, 15))
    ratio, low, high, verdict = cell_verdict(reference, reference / 1.3 * noise)
    assert verdict == "win" and low < ratio < high and 1.2 < low and high < 1.4
    assert cell_verdict(reference, reference * 1.3 * noise)[3] == "LOSS"
    assert cell_verdict(reference, reference * noise)[3] == "tie"
    assert cell_verdict(reference, reference * 1.03 * noise)[3] == "tie"  # under the rule's 5 %
    assert cell_verdict(reference[:3], reference[:3] / 2)[3] == "n/a"  # 3 blocks: no verdict
    with pytest.raises(ValueError, match="block seconds"):
        cell_verdict([1.0, -1.0], [1.0, 1.0])


def test_the_grid_aa_rate_counts_wins_and_losses_per_backend():
    cells = [{"backend": "jax", "verdict": v} for v in ("tie", "tie", "win", "n/a")] + [
        {"backend": "torch", "verdict": "tie"}]
    jax, torch = rates(cells)
    assert (jax["flags"], jax["cells"], torch["flags"], torch["cells"]) == (1, 3, 0, 1)
    assert jax["low95"] < 1 / 3 < jax["high95"] and torch["high95"] == pytest.approx(0.975)


def cell(suite, ratio, low, verdict="tie", **extra):
    return {"backend": "jax", "suite": suite, "replicas": 100, "ratio": ratio, "low": low,
            "high": ratio + 0.1, "verdict": verdict, **extra}


def test_grid_lines_show_ratio_interval_verdict_and_floor():
    text = format_grid([cell("build", 0.8, 0.7, "LOSS"),
                        cell("train_step", 1.5, 1.4, "win", fused_fraction_of_floor=1.25,
                             reference_fraction_of_floor=1.9, fused_fraction_of_roofline=4.5)])
    header, build, train = text.splitlines()
    assert "ref/fused" in header and "fused/floor" in header
    assert "0.80" in build and "[0.70, 0.90]" in build and "LOSS" in build
    assert "1.50" in train and "win" in train and "1.25" in train and "1.90" in train and "4.50" in train


def test_writer_refuses_a_foreign_file_and_replaces_its_own(tmp_path):
    foreign = tmp_path / "grid.json"
    foreign.write_text('{"someone": "else"}')
    with pytest.raises(FileExistsError, match="--json"):
        write_json(foreign, {"cells": []})
    assert json.loads(foreign.read_text()) == {"someone": "else"}
    own = tmp_path / "perf" / "grid.json"
    write_json(own, {"cells": [1]})
    write_json(own, {"cells": [2]})
    assert json.loads(own.read_text())["cells"] == [2]


def test_report_block_reads_the_train_step_rows_and_says_when_the_grid_is_missing(tmp_path):
    from reports.page.perf_grid import perf_grid_context

    missing = perf_grid_context(tmp_path / "none.json")
    assert missing["available"] is False and missing["rows"] == []
    path = tmp_path / "grid.json"
    write_json(path, {"command": "python -m benchmarks.grid", "cells": [
        cell("build", 0.8, 0.7),
        cell("train_step", 1.5, 1.4, fused_fraction_of_floor=1.25, reference_fraction_of_floor=1.9,
             fused_fraction_of_roofline=4.5)]})
    context = perf_grid_context(path)
    assert context["available"] and context["command"] == "python -m benchmarks.grid"
    rows = [(row["backend"], row["fused_fraction"], row["reference_fraction"]) for row in context["rows"]]
    assert rows == [("jax", 1.25, 1.9)]
