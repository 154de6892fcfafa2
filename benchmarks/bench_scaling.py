"""Replica sweep: the train step's fitted cost model ``seconds = a + b * R`` per implementation,
and the replica count from which each implementation beats the reference."""

import math

from benchmarks.cases import fitted_cost_models
from benchmarks.common import Benchmark
from benchmarks.device import gpu_available
from benchmarks.profiles import PROFILE
from harness.cost_model import CostModel, crossover_replicas
from harness.registry import REFERENCE, implementation_names

try:  # raised inside a benchmark, asv records a skip instead of a failure
    from asv_runner.benchmarks.mark import SkipNotImplemented
except ImportError:  # pragma: no cover - outside asv
    SkipNotImplemented = NotImplementedError


def sweep_replicas():
    """The profile's replica counts, with 500 and 1000 added (full profile) where a GPU is present."""
    extra = PROFILE.gpu_sweep_extra if gpu_available() else ()
    return tuple(PROFILE.sweep_replicas) + tuple(extra)


class ReplicaScaling(Benchmark):
    """``setup_cache`` times every (implementation, R) of the sweep in one process and fits the
    cost models once; the ``track_`` benchmarks report them."""

    params = [implementation_names()]
    param_names = ["implementation"]

    def setup_cache(self):
        models = fitted_cost_models(sweep_replicas(), PROFILE.sweep_steps)
        return {name: (model.intercept, model.slope) for name, model in models.items()}

    def track_intercept_seconds(self, models, implementation):
        return models[implementation][0]

    track_intercept_seconds.unit = "seconds"

    def track_slope_seconds_per_replica(self, models, implementation):
        return models[implementation][1]

    track_slope_seconds_per_replica.unit = "seconds"

    def track_crossover_replicas(self, models, implementation):
        """R from which this implementation is at least as fast as the reference for good (0:
        everywhere); a very large number stands for never (inf is not stored by asv)."""
        if implementation == REFERENCE:
            raise SkipNotImplemented("the reference against itself")
        crossover = crossover_replicas(CostModel(*models[REFERENCE]), CostModel(*models[implementation]))
        return crossover if math.isfinite(crossover) else NEVER

    track_crossover_replicas.unit = "replicas"


NEVER = 1e12  # what track_crossover_replicas reports for "never wins at large R"
