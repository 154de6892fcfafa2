"""The GPU suite at R = 100: the fit-step benchmarks again, skipped (never failed) without a GPU,
plus the device's peak memory from the backend's own statistics.

``MRH_GPU_REHEARSAL=1`` rehearses the suite wherever the backend runs (the CPU in CI) at
R = ``device.REHEARSAL_REPLICAS``, the ``replicas`` parameter saying so. Where the device keeps no memory
statistics (JAX's CPU device, TensorFlow's CPU, torch without CUDA) the peak memory is NaN, which asv
records as skipped, and the reason is printed: never a made-up number.
"""

import math
import sys

from benchmarks import bench_fit
from benchmarks.cases import warm_fit_case
from benchmarks.common import Benchmark
from benchmarks.device import (
    NoMemoryStatistics,
    gpu_suite_replicas,
    peak_memory_bytes,
    require_gpu,
    skip_without_gpu,
    synchronize,
)
from benchmarks.profiles import LOWERINGS
from harness.registry import implementation_names

REPLICAS = gpu_suite_replicas()


def measured_peak_bytes(backend=None):
    """The device's peak memory in bytes; NaN (asv: skipped) with the reason on stderr where the
    device keeps no statistics."""
    try:
        return peak_memory_bytes(backend)
    except NoMemoryStatistics as reason:
        print(f"track_gpu_peak_memory: not measured: {reason}", file=sys.stderr)
        return math.nan


class GpuTrainStep(bench_fit.TrainStep):
    params = [implementation_names(), [REPLICAS], ["off", "nnpdf"], list(LOWERINGS)]

    def setup(self, implementation, replicas, clipnorm, lowering):
        require_gpu()
        super().setup(implementation, replicas, clipnorm, lowering)

    time_train_step = skip_without_gpu(bench_fit.TrainStep.time_train_step)


class GpuFirstStep(bench_fit.FirstStep):
    params = [implementation_names(), [REPLICAS]]

    def setup(self, implementation, replicas):
        require_gpu()
        super().setup(implementation, replicas)

    time_first_step = skip_without_gpu(bench_fit.FirstStep.time_first_step)


class GpuNetworkForward(bench_fit.NetworkForward):
    params = [implementation_names(), [REPLICAS]]

    def setup(self, implementation, replicas):
        require_gpu()
        super().setup(implementation, replicas)

    time_forward = skip_without_gpu(bench_fit.NetworkForward.time_forward)


class GpuPeakMemory(Benchmark):
    """Peak device memory (bytes) of building, tracing and running train steps; every asv benchmark
    runs in a fresh process, so the peak is this benchmark's own (JAX cannot reset it)."""

    params = [implementation_names(), [REPLICAS]]
    unit = "bytes"

    def setup(self, implementation, replicas):
        require_gpu()

    @skip_without_gpu
    def track_gpu_peak_memory(self, implementation, replicas):
        synchronize(warm_fit_case(implementation, replicas).step())
        return measured_peak_bytes()
