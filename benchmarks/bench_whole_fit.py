"""Whole fits: ``harness.fit.run_fit`` timed from build to the last step (build + trace + K steps,
best-weight bookkeeping on, early stopping off so that every implementation does the same work).

``WholeFit`` is pinned to the CPU (``keras.device``), also on a GPU machine: the 1-replica column of
the MultiDense PR's table; ``GpuWholeFit`` runs R = 100 on the default device, skipped without a GPU.
asv also times old commits: where the installed harness has no fit loop, setup raises
NotImplementedError and asv records a skip.
"""

import argparse
import contextlib
import importlib
import statistics
from dataclasses import dataclass

import keras

from benchmarks.cases import build_network, replica_seeds, warm_process
from benchmarks.common import Benchmark
from benchmarks.device import gpu_suite_replicas, require_gpu, skip_without_gpu, timed
from benchmarks.profiles import PROFILE
from harness.registry import REFERENCE, implementation_names, load_implementation
from harness.workload import FitWorkload

FIT_MODULE = "harness.fit"
CPU_DEVICE = "cpu"


def fit_module():
    """``harness.fit``; NotImplementedError (an asv skip) on a commit without its ``run_fit``."""
    try:
        module = importlib.import_module(FIT_MODULE)
    except ModuleNotFoundError as error:
        if error.name != FIT_MODULE:
            raise  # harness.fit exists but one of its own imports is missing: a failure
        raise NotImplementedError(f"this commit has no {FIT_MODULE}: no whole fit to time") from None
    if not all(hasattr(module, name) for name in ("run_fit", "FitOptions")):
        raise NotImplementedError(f"this commit's {FIT_MODULE} has no run_fit/FitOptions")
    return module


def device_scope(device):
    """``keras.device(device)``, or no scope (the backend's default device) for None."""
    return keras.device(device) if device else contextlib.nullcontext()


@dataclass
class WholeFitCase:
    """A prepared whole fit: ``run()`` is the timed part, ``run_fit`` from build to the last step."""

    run_fit: object
    implementation: object
    workload: FitWorkload
    seeds: list
    options: object
    device: str | None

    def run(self):
        with device_scope(self.device):
            result = self.run_fit(self.implementation, self.workload, self.seeds, self.options)
        steps = self.options.max_steps
        if result.steps_run != steps:  # the result's host copies have also synchronised the device
            raise RuntimeError(f"the fit ran {result.steps_run} steps, not the {steps} asked for")
        return result


def whole_fit_case(implementation, replicas, steps, device=CPU_DEVICE):
    """A fresh whole fit of ``steps`` steps without early stopping, in a process whose backend start-up
    is paid (``warm_process``, as for the first step); the synthetic data is made here, off the clock."""
    fit = fit_module()
    workload = FitWorkload(replicas)
    workload.fk_table  # noqa: B018 - computes the cached tables
    with device_scope(device):
        warm_process(implementation)
        build_network(implementation, replicas)  # a lowering measured here (auto) is not timed in the fit
    keras.backend.clear_session()
    return WholeFitCase(fit.run_fit, load_implementation(implementation), workload, replica_seeds(replicas),
                        fit.FitOptions(max_steps=steps, patience=None), device)


class WholeFit(Benchmark):
    """One whole fit per sample (asv re-runs setup before each: a fresh network every time)."""

    params = [implementation_names(), list(PROFILE.whole_fit_replicas), [PROFILE.whole_fit_steps]]
    param_names = ["implementation", "replicas", "steps"]
    repeat = PROFILE.whole_fit_repeat
    device = CPU_DEVICE

    def setup(self, implementation, replicas, steps):
        self.case = whole_fit_case(implementation, replicas, steps, self.device)

    def time_whole_fit(self, implementation, replicas, steps):
        self.case.run()


class GpuWholeFit(WholeFit):
    """R = 100 on the GPU (the backend's default device there): the 100-replica column; a small R on
    the CPU under the rehearsal switch (``MRH_GPU_REHEARSAL=1``, see benchmarks/device.py)."""

    params = [implementation_names(), [gpu_suite_replicas()], [PROFILE.whole_fit_steps]]
    device = None

    def setup(self, implementation, replicas, steps):
        require_gpu()
        super().setup(implementation, replicas, steps)

    time_whole_fit = skip_without_gpu(WholeFit.time_whole_fit)


def interleaved_whole_fits(implementations, replicas, steps, repeat, device=CPU_DEVICE):
    """``{implementation: [FitResult with .seconds = the timed call]}``: the fits run in turn (one of
    each implementation per round) in this process, so that load on the machine hits all alike."""
    fits = {name: [] for name in implementations}
    for _ in range(repeat):
        for name in implementations:
            seconds, result = timed(whole_fit_case(name, replicas, steps, device).run)
            result.seconds = seconds
            fits[name].append(result)
    return fits


def main(argv=None):
    parser = argparse.ArgumentParser(description="Whole fits, reference and candidate interleaved in one "
                                     "process: medians of the timed run_fit and of its setup / loop split")
    parser.add_argument("--candidate", default="multidense", help="implementation against the reference")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--steps", type=int, default=PROFILE.whole_fit_steps, help="fit steps K")
    parser.add_argument("--repeat", type=int, default=3, help="fits per implementation and R")
    parser.add_argument("--device", default=CPU_DEVICE, help="keras.device name; 'default': no pinning")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {arguments.repeat}")
    device = None if arguments.device == "default" else arguments.device
    pair = [REFERENCE, arguments.candidate]
    print(f"whole fit: build + trace + {arguments.steps} steps, device {device or 'default'}, "
          f"median of {arguments.repeat} (interleaved); seconds: total (run_fit's setup = build, compile "
          f"and the first, tracing step / the other {arguments.steps - 1} steps)")
    for replicas in arguments.replicas:
        fits = interleaved_whole_fits(pair, replicas, arguments.steps, arguments.repeat, device)
        cells = []
        for name in pair:
            medians = [statistics.median(getattr(fit, key) for fit in fits[name])
                       for key in ("seconds", "setup_seconds", "loop_seconds")]
            cells.append(f"{name} {medians[0]:.2f} ({medians[1]:.2f} / {medians[2]:.2f})")
        total = [statistics.median(fit.seconds for fit in fits[name]) for name in pair]
        print(f"R={replicas}: " + "; ".join(cells) + f"; reference / {arguments.candidate} = "
              f"{total[0] / total[1]:.2f}", flush=True)


if __name__ == "__main__":
    main()
