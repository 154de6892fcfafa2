"""One layer alone: MultiDense against PerReplicaDense (the hidden 25 -> 20 tanh layer)."""

from benchmarks.cases import lowered_case, warm_layer_case
from benchmarks.common import Benchmark
from benchmarks.device import synchronize
from benchmarks.profiles import LOWERINGS, PROFILE
from harness.registry import implementation_names


class _LayerBenchmark(Benchmark):
    params = [implementation_names(), list(PROFILE.secondary_replicas), list(LOWERINGS)]
    param_names = ["implementation", "replicas", "lowering"]
    backward = False

    def setup(self, implementation, replicas, lowering):
        self.case = warm_layer_case(lowered_case(implementation, replicas, lowering), replicas,
                                    backward=self.backward)


class LayerForward(_LayerBenchmark):
    def time_layer_forward(self, implementation, replicas, lowering):
        synchronize(self.case.step())


class LayerForwardBackward(_LayerBenchmark):
    backward = True

    def time_layer_forward_backward(self, implementation, replicas, lowering):
        synchronize(self.case.step())
