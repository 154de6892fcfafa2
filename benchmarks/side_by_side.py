"""Reference against fused in one process, timings interleaved: the train step at several R, the
first step, and the fitted cost models. ``python -m benchmarks.side_by_side --help``."""

import argparse
import statistics

from benchmarks.cases import first_step_seconds, fitted_cost_models, step_medians
from harness.cost_model import crossover_replicas
from harness.registry import REFERENCE


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidate", default="multidense", help="implementation against the reference")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 10, 100], help="train-step R")
    parser.add_argument("--steps", type=int, default=50, help="timed train steps per implementation and R")
    parser.add_argument("--first-step", type=int, nargs="*", default=[100], help="first-step R")
    parser.add_argument("--first-step-repeats", type=int, default=1)
    parser.add_argument("--sweep", type=int, nargs="*", default=[1, 2, 5, 10, 20, 50, 100],
                        help="R of the cost-model fit (none: no fit)")
    arguments = parser.parse_args(argv)
    if arguments.candidate == REFERENCE:
        parser.error(f"--candidate must differ from the reference ({REFERENCE!r})")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    pair = [REFERENCE, arguments.candidate]
    print(f"{'measure':<28}{'reference':>14}{arguments.candidate:>14}{'ref/cand':>10}")

    def row(label, reference, candidate, unit=1e3, suffix=" ms"):
        print(f"{label:<28}{reference * unit:>11.3f}{suffix}{candidate * unit:>11.3f}{suffix}"
              f"{reference / candidate:>10.2f}", flush=True)

    for replicas in arguments.replicas:
        medians = step_medians(pair, replicas, arguments.steps)
        row(f"train step R={replicas}", medians[REFERENCE], medians[arguments.candidate])
    for replicas in arguments.first_step:
        seconds = {name: [] for name in pair}
        for _ in range(arguments.first_step_repeats):
            for name in pair:
                seconds[name].append(first_step_seconds(name, replicas))
        row(f"first step R={replicas}", *(statistics.median(seconds[name]) for name in pair),
            unit=1.0, suffix="  s")
    if arguments.sweep:
        models = fitted_cost_models(arguments.sweep, arguments.steps, pair)
        reference, candidate = models[REFERENCE], models[arguments.candidate]
        row("cost model intercept a", reference.intercept, candidate.intercept)
        row("cost model slope b (/R)", reference.slope, candidate.slope)
        print(f"crossover R (candidate wins from): {crossover_replicas(reference, candidate):.2f}"
              f"  (sweep R = {arguments.sweep})")


if __name__ == "__main__":
    main()
