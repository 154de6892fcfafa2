"""Unit tests of the benchmark metric code: cost model, profiles, sync timer, skip rule, and the CI
detection of failed asv benchmarks."""

import json
import math
import sys
import types

import numpy as np
import pytest

from benchmarks import cases, device, profiles
from benchmarks.ci_results import failed_benchmarks, main
from harness.cost_model import CostModel, crossover_replicas, fit_cost_model


def test_fit_cost_model_recovers_a_line():
    replicas = [1, 2, 5, 10, 20]
    model = fit_cost_model(replicas, [0.003 + 0.0005 * r for r in replicas])
    assert model.intercept == pytest.approx(0.003)
    assert model.slope == pytest.approx(0.0005)
    assert model.seconds(100) == pytest.approx(0.053)


def test_fit_cost_model_is_least_squares():
    replicas, seconds = [1, 2, 3], [1.0, 3.0, 2.0]
    model = fit_cost_model(replicas, seconds)
    slope, intercept = np.polyfit(replicas, seconds, 1)
    assert (model.intercept, model.slope) == pytest.approx((intercept, slope))


@pytest.mark.parametrize(
    ("replicas", "seconds", "message"),
    [([5, 5], [1.0, 2.0], "two distinct"), ([1, 2], [1.0], "same length"),
     ([1, 2], [1.0, math.nan], "finite")],
)
def test_fit_cost_model_rejects_bad_input(replicas, seconds, message):
    with pytest.raises(ValueError, match=message):
        fit_cost_model(replicas, seconds)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (CostModel(3.0, 0.5), 4.0),          # slower start, smaller slope: wins from R = 4
        (CostModel(0.5, 0.5), 0.0),          # faster start and slope: wins everywhere
        (CostModel(0.5, 2.0), math.inf),     # larger slope: loses for large R
        (CostModel(0.5, 1.0), 0.0),          # same slope, faster start
        (CostModel(1.5, 1.0), math.inf),     # same slope, slower start
    ],
)
def test_crossover_replicas(candidate, expected):
    assert crossover_replicas(CostModel(1.0, 1.0), candidate) == expected


def test_profile_defaults_to_regular_and_names_the_variable():
    assert profiles.active_profile({}).name == "regular"
    assert profiles.active_profile({profiles.PROFILE_VARIABLE: "quick"}).name == "quick"
    with pytest.raises(ValueError, match=profiles.PROFILE_VARIABLE):
        profiles.active_profile({profiles.PROFILE_VARIABLE: "fast"})


def test_profiles_cover_the_issue_grid_and_keep_quick_cheap():
    quick, regular, full = (profiles.PROFILES[name] for name in ("quick", "regular", "full"))
    assert quick.replicas[0] == 1 and max(quick.replicas + quick.first_step_replicas) < 100
    assert regular.replicas == (1, 10, 100) and regular.first_step_replicas == (100,)
    assert full.sweep_replicas == (1, 2, 5, 10, 20, 50, 100, 200)
    assert full.gpu_sweep_extra == (500, 1000) and "nnpdf" in full.clipnorms


def test_timed_synchronises_before_the_clock_stops():
    events = []

    def clock():
        events.append("clock")
        return float(len(events))

    def sync(result):
        events.append("sync")
        return result

    seconds, result = device.timed(lambda: events.append("call") or 42, clock=clock, sync=sync)
    assert events == ["clock", "call", "sync", "clock"]
    assert (seconds, result) == (3.0, 42)


def test_synchronize_blocks_on_jax_arrays(monkeypatch):
    jax = pytest.importorskip("jax")
    blocked = []
    monkeypatch.setattr(jax, "block_until_ready", lambda leaves: blocked.extend(leaves))
    array = jax.numpy.ones(3)
    assert device.synchronize({"loss": array, "step": 1}, backend="jax")["loss"] is array
    assert len(blocked) == 1 and blocked[0] is array


def test_step_medians_rejects_no_steps():
    with pytest.raises(ValueError, match="steps"):
        cases.step_medians(["multidense"], 1, steps=0)


def test_skip_rule_raises_not_implemented_without_gpu(monkeypatch):
    monkeypatch.setattr(device, "gpu_available", lambda backend=None: False)
    with pytest.raises(NotImplementedError, match="no GPU"):
        device.require_gpu()
    monkeypatch.setattr(device, "gpu_available", lambda backend=None: True)
    device.require_gpu()


def test_layer_class_skips_implementations_without_one(monkeypatch):
    monkeypatch.setitem(sys.modules, "fused_elsewhere", types.SimpleNamespace(build_network=print))
    assert cases.layer_class("multidense").__name__ == "MultiDense"
    with pytest.raises(NotImplementedError, match="fused_elsewhere"):
        cases.layer_class("fused_elsewhere")


def asv_results(results):
    """A results file in asv 0.6's layout."""
    columns = ["result", "params", "version", "started_at", "duration"]
    return {"result_columns": columns, "results": results}


def test_failed_benchmarks_names_null_results_but_not_skips():
    results = asv_results({
        "bench_fit.TrainStep.time_train_step": [
            [0.002, None, math.nan, 0.004], [["'multidense'", "'reference'"], ["1", "10"]], "v", 0, 1.0,
        ],
        "bench_scaling.ReplicaScaling.track_slope": [[0.1], [["'multidense'"]], "v", 0, 1.0],
        "bench_gpu.GpuPeakMemory.track_gpu_peak_memory": [None, [], "v", 0, 1.0],
    })
    assert failed_benchmarks(results) == [
        "bench_fit.TrainStep.time_train_step('multidense')(10)",
        "bench_gpu.GpuPeakMemory.track_gpu_peak_memory",
    ]


def test_ci_results_exit_status(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(asv_results({"b.time_x": [[1.0], [], "v", 0, 1.0]})))
    bad.write_text(json.dumps(asv_results({"b.time_x": [[None], [], "v", 0, 1.0]})))
    assert main([str(good)]) == 0
    assert main([str(good), str(bad)]) == 1
