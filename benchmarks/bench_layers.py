"""One layer alone: MultiDense against PerReplicaDense (the hidden 25 -> 20 tanh layer)."""

from benchmarks.cases import warm_layer_case
from benchmarks.common import Benchmark
from benchmarks.device import synchronize
from benchmarks.profiles import PROFILE
from harness.registry import implementation_names


class _LayerBenchmark(Benchmark):
    params = [implementation_names(), list(PROFILE.secondary_replicas)]
    backward = False

    def setup(self, implementation, replicas):
        self.case = warm_layer_case(implementation, replicas, backward=self.backward)


class LayerForward(_LayerBenchmark):
    def time_layer_forward(self, implementation, replicas):
        synchronize(self.case.step())


class LayerForwardBackward(_LayerBenchmark):
    backward = True

    def time_layer_forward_backward(self, implementation, replicas):
        synchronize(self.case.step())
