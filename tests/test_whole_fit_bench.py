"""The whole-fit asv benchmark (benchmarks/bench_whole_fit.py): skips where the commit has no fit loop,
fails where the fit loop is broken, times a real fit of the asked number of steps."""

import sys
import types

import pytest

from benchmarks import bench_whole_fit, profiles
from benchmarks.device import gpu_available


def test_setup_skips_on_a_commit_without_harness_fit(monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.fit", None)  # import harness.fit now raises ModuleNotFoundError
    with pytest.raises(NotImplementedError, match="no harness.fit"):
        bench_whole_fit.WholeFit().setup("reference", 1, 2)


def test_setup_skips_on_a_fit_module_without_run_fit(monkeypatch):
    monkeypatch.setitem(sys.modules, "harness.fit", types.ModuleType("harness.fit"))
    with pytest.raises(NotImplementedError, match="run_fit"):
        bench_whole_fit.WholeFit().setup("reference", 1, 2)


def test_a_broken_fit_module_is_a_failure_not_a_skip(monkeypatch):
    def import_module(name):
        raise ModuleNotFoundError("No module named 'scipy'", name="scipy")

    monkeypatch.setattr(bench_whole_fit.importlib, "import_module", import_module)
    with pytest.raises(ModuleNotFoundError, match="scipy"):
        bench_whole_fit.WholeFit().setup("reference", 1, 2)


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_the_gpu_class_skips_without_a_gpu():
    with pytest.raises(NotImplementedError, match="no GPU"):
        bench_whole_fit.GpuWholeFit().setup("reference", profiles.GPU_REPLICAS, 2)


def test_a_fit_that_stops_early_is_an_error():
    fit = bench_whole_fit.fit_module()

    def stops_after_one(implementation, workload, seeds, options):
        return types.SimpleNamespace(steps_run=1)

    case = bench_whole_fit.WholeFitCase(stops_after_one, None, None, [7], fit.FitOptions(max_steps=3), None)
    with pytest.raises(RuntimeError, match="ran 1 steps, not the 3"):
        case.run()


@pytest.mark.backend_matrix  # keras.device("cpu:0") loses the gradients on torch; "cpu" works everywhere
def test_the_benchmark_runs_a_whole_fit_of_the_asked_steps():
    benchmark = bench_whole_fit.WholeFit()
    benchmark.setup("multidense", 1, 3)
    assert benchmark.case.options.patience is None and benchmark.case.device == bench_whole_fit.CPU_DEVICE
    result = benchmark.case.run()
    assert result.steps_run == 3 and result.pdf.shape[0] == 1


def test_every_profile_has_one_replica_and_only_the_larger_ones_100():
    whole_fit = {name: profile.whole_fit_replicas for name, profile in profiles.PROFILES.items()}
    assert all(replicas[0] == 1 for replicas in whole_fit.values())
    assert whole_fit["quick"] == (1,) and 10 in whole_fit["regular"] and 100 in whole_fit["full"]
    assert bench_whole_fit.GpuWholeFit.params[1] == [profiles.GPU_REPLICAS]


def test_the_side_by_side_command_rejects_no_repeats(capsys):
    with pytest.raises(SystemExit):
        bench_whole_fit.main(["--repeat", "0"])
    assert "--repeat must be at least 1" in capsys.readouterr().err
