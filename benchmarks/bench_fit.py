"""The fit step: train step, first-step (trace/compile) cost, build + initialisation, host peak
memory, network forward; on the default device with the profile's replica counts."""

import keras

from benchmarks.cases import (
    build_network,
    lowered_case,
    new_fit_case,
    warm_fit_case,
    warm_forward_case,
    warm_process,
)
from benchmarks.common import Benchmark
from benchmarks.device import synchronize
from benchmarks.profiles import LOWERINGS, PROFILE
from harness.registry import implementation_names


class TrainStep(Benchmark):
    """One ``train_on_batch`` of the NNPDF-like fit after warm-up (tracing done in setup)."""

    params = [implementation_names(), list(PROFILE.replicas), list(PROFILE.clipnorms), list(LOWERINGS)]
    param_names = ["implementation", "replicas", "clipnorm", "lowering"]

    def setup(self, implementation, replicas, clipnorm, lowering):
        self.case = warm_fit_case(lowered_case(implementation, replicas, lowering), replicas, clipnorm)

    def time_train_step(self, implementation, replicas, clipnorm, lowering):
        synchronize(self.case.step())


class FirstStep(Benchmark):
    """The first ``train_on_batch`` of a freshly built model: trace/compile plus one step, the price
    paid at start-up. ``time_`` with one call per sample and a fresh model per sample (asv re-runs
    setup before each sample), so the statistics and ``asv compare`` apply as to any timing."""

    params = [implementation_names(), list(PROFILE.first_step_replicas)]
    repeat = PROFILE.first_step_repeat

    def setup(self, implementation, replicas):
        warm_process(implementation)
        self.case = new_fit_case(implementation, replicas)

    def time_first_step(self, implementation, replicas):
        synchronize(self.case.step())


class BuildNetwork(Benchmark):
    """Building the network: layer construction and weight initialisation."""

    params = [implementation_names(), list(PROFILE.secondary_replicas)]

    def setup(self, implementation, replicas):
        build_network(implementation, replicas)  # the import, and a lowering measured (auto), untimed
        keras.backend.clear_session()

    def time_build_network(self, implementation, replicas):
        synchronize([weight.value for weight in build_network(implementation, replicas).weights])


class HostPeakMemory(Benchmark):
    """Peak resident memory of a process that builds, traces and runs a train step."""

    params = [implementation_names(), list(PROFILE.peakmem_replicas)]

    def peakmem_train_step(self, implementation, replicas):
        synchronize(warm_fit_case(implementation, replicas).step())


class NetworkForward(Benchmark):
    """The network's forward pass on the x-grid (compiled ``predict_on_batch``, traced in setup)."""

    params = [implementation_names(), list(PROFILE.secondary_replicas)]

    def setup(self, implementation, replicas):
        self.case = warm_forward_case(implementation, replicas)

    def time_forward(self, implementation, replicas):
        synchronize(self.case.step())
