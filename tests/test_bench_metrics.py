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


def test_step_medians_time_one_step_of_each_in_a_fresh_order_every_turn(monkeypatch):
    log = []

    class Logged:
        def __init__(self, name):
            self.name = name

        def step(self):
            log.append(self.name)

    monkeypatch.setattr(cases, "new_fit_case", lambda name, replicas, clipnorm: Logged(name))
    monkeypatch.setattr(cases, "warmed", lambda case: case)
    medians = cases.step_medians(["reference", "multidense"], 1, steps=12)
    assert set(medians) == {"reference", "multidense"}
    turns = [tuple(log[i:i + 2]) for i in range(0, len(log), 2)]
    assert len(turns) == 12 and set(turns) == {("reference", "multidense"), ("multidense", "reference")}


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


# The GPU rehearsal switch (MRH_GPU_REHEARSAL) and the device memory statistics.


def test_the_rehearsal_switch_is_1_or_off_and_names_its_variable():
    assert device.gpu_rehearsal({}) is False
    assert device.gpu_rehearsal({device.REHEARSAL_VARIABLE: "0"}) is False
    assert device.gpu_rehearsal({device.REHEARSAL_VARIABLE: "1"}) is True
    with pytest.raises(ValueError, match=device.REHEARSAL_VARIABLE):
        device.gpu_rehearsal({device.REHEARSAL_VARIABLE: "yes"})


def test_without_gpu_the_gpu_benchmarks_skip_unless_rehearsed(monkeypatch):
    pytest.importorskip("asv_runner")
    monkeypatch.setattr(device, "gpu_available", lambda backend=None: False)

    def benchmark():
        return "ran"

    monkeypatch.delenv(device.REHEARSAL_VARIABLE, raising=False)
    assert getattr(device.skip_without_gpu(benchmark), "skip_benchmark", False)
    with pytest.raises(NotImplementedError, match=device.REHEARSAL_VARIABLE):
        device.require_gpu()
    monkeypatch.setenv(device.REHEARSAL_VARIABLE, "1")
    assert device.skip_without_gpu(benchmark) is benchmark
    device.require_gpu()


def test_the_gpu_suite_states_its_rehearsal_size_in_its_params(monkeypatch):
    import importlib

    from benchmarks import bench_gpu

    suites = [bench_gpu.GpuTrainStep, bench_gpu.GpuFirstStep, bench_gpu.GpuNetworkForward,
              bench_gpu.GpuPeakMemory]
    try:
        monkeypatch.setenv(device.REHEARSAL_VARIABLE, "1")
        bench_gpu = importlib.reload(bench_gpu)
        suites = [getattr(bench_gpu, suite.__name__) for suite in suites]
        assert [suite.params[1] for suite in suites] == [[device.REHEARSAL_REPLICAS]] * 4
        assert 1 < device.REHEARSAL_REPLICAS < profiles.GPU_REPLICAS
        monkeypatch.delenv(device.REHEARSAL_VARIABLE)
        bench_gpu = importlib.reload(bench_gpu)
        suites = [getattr(bench_gpu, suite.__name__) for suite in suites]
        assert [suite.params[1] for suite in suites] == [[profiles.GPU_REPLICAS]] * 4
    finally:
        monkeypatch.delenv(device.REHEARSAL_VARIABLE, raising=False)
        importlib.reload(bench_gpu)


def test_jax_cpu_reports_no_peak_memory_and_the_benchmark_says_so(capsys):
    jax = pytest.importorskip("jax")
    if jax.devices()[0].platform != "cpu":
        pytest.skip("the default JAX device is not the CPU")
    with pytest.raises(device.NoMemoryStatistics, match=r"memory_stats\(\) gave None"):
        device.peak_memory_bytes("jax")
    from benchmarks.bench_gpu import measured_peak_bytes

    assert math.isnan(measured_peak_bytes("jax"))
    assert "not measured: JAX device" in capsys.readouterr().err


def test_tensorflow_and_torch_on_cpu_report_no_peak_memory():
    tf = pytest.importorskip("tensorflow")
    if not tf.config.list_physical_devices("GPU"):
        with pytest.raises(device.NoMemoryStatistics, match="CPU:0"):
            device.peak_memory_bytes("tensorflow")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():  # torch.cuda.max_memory_allocated() would say 0
        with pytest.raises(device.NoMemoryStatistics, match="without CUDA"):
            device.peak_memory_bytes("torch")


class FakeDevice:
    platform = "gpu"

    def __init__(self, stats):
        self.stats = stats

    def memory_stats(self):
        return self.stats


def test_peak_memory_reads_the_allocators_peak(monkeypatch):
    jax = pytest.importorskip("jax")
    gpu = FakeDevice({"peak_bytes_in_use": 123, "bytes_in_use": 7})
    monkeypatch.setattr(jax, "devices", lambda *a: [gpu])
    assert device.peak_memory_bytes("jax") == 123
    monkeypatch.setattr(jax, "devices", lambda *a: [FakeDevice({"bytes_in_use": 7})])
    with pytest.raises(device.NoMemoryStatistics, match="no peak memory"):
        device.peak_memory_bytes("jax")
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setattr(tf.config.experimental, "get_memory_info", lambda name: {"current": 1, "peak": 77})
    assert device.peak_memory_bytes("tensorflow") == 77


@pytest.mark.parametrize("answer", [{"current": 0, "peak": 0}, {"current": 5, "peak": 0}])
def test_an_allocator_answering_zero_keeps_no_statistics(monkeypatch, answer):
    """TensorFlow's CPU allocator with oneDNN on answers zeros: that is no measurement of 0 bytes."""
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setattr(tf.config.experimental, "get_memory_info", lambda name: answer)
    with pytest.raises(device.NoMemoryStatistics, match="peak of 0 bytes"):
        device.peak_memory_bytes("tensorflow")
    jax = pytest.importorskip("jax")
    monkeypatch.setattr(jax, "devices", lambda *a: [FakeDevice({"peak_bytes_in_use": 0})])
    with pytest.raises(device.NoMemoryStatistics, match="peak of 0 bytes"):
        device.peak_memory_bytes("jax")
