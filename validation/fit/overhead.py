"""Per-step cost of the fit loop's bookkeeping against a bare ``train_on_batch``, interleaved in one process.

    python -m validation.fit.overhead [--replicas R] [--full-grid] [--blocks B] [--steps K]

Per implementation, blocks of K bare training steps alternate with blocks of K fit-loop steps (training
step, monitor forward pass, best-weight update whenever a replica improved), so drift cancels; the
median over blocks of each is reported, and the monitor pass and the best-weight update alone.
"""

import argparse
import dataclasses
import time

import numpy as np

from harness.fit import FitOptions, FitRun
from harness.registry import implementation_names, load_implementation
from validation.fit import checks as fit_checks
from validation.settings import FIT_FULL, FIT_QUICK


def _per_step(function, steps):
    start = time.perf_counter()
    for _ in range(steps):
        function()
    return (time.perf_counter() - start) / steps


def measure(implementation, settings, blocks, steps):
    """Median seconds per step of: bare train step, fit-loop step, monitor pass, best-weight update."""
    fitter = fit_checks.fitter(implementation, settings, 0.0)
    options = FitOptions(max_steps=10**9, patience=None, learning_rate=settings.learning_rate)
    fitter._load(tuple(range(7, 7 + 10 * settings.replicas, 10)), options)
    run = FitRun(fitter, options)
    every = np.ones(settings.replicas, bool)
    parts = {"bare train_on_batch": fitter.train_step, "fit-loop step": run.step_and_monitor,
             "monitor pass alone": fitter.evaluate,
             "best-weight update alone": lambda: fitter.best_weights.update(every)}
    for function in parts.values():  # warm-up (traces)
        function()
    samples = {name: [] for name in parts}
    for _ in range(blocks):
        for name, function in parts.items():
            samples[name].append(_per_step(function, steps))
    return {name: float(np.median(values)) for name, values in samples.items()}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m validation.fit.overhead",
                                description=__doc__.splitlines()[0])
    p.add_argument("--replicas", type=int, default=FIT_QUICK.replicas)
    p.add_argument("--full-grid", action="store_true", help="the full mode's 1500-point grid")
    p.add_argument("--blocks", type=int, default=7)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--implementations", nargs="+", default=implementation_names())
    args = p.parse_args(argv)
    grid = FIT_FULL if args.full_grid else FIT_QUICK
    settings = dataclasses.replace(FIT_QUICK, replicas=args.replicas, points=grid.points,
                                   datasets=grid.datasets, data_per_dataset=grid.data_per_dataset)
    print(f"R = {args.replicas}, {grid.points}-point grid, {settings.workload.n_data} data points; median of "
          f"{args.blocks} interleaved blocks of {args.steps} steps [ms per step]")
    for name in args.implementations:
        times = measure(load_implementation(name), settings, args.blocks, args.steps)
        bare, loop = times["bare train_on_batch"], times["fit-loop step"]
        print(f"{name:<12} " + "  ".join(f"{k} {v * 1e3:.2f}" for k, v in times.items())
              + f"  overhead {(loop - bare) * 1e3:.2f} ms ({loop / bare - 1:+.0%})")


if __name__ == "__main__":
    main()
