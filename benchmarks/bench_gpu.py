"""The GPU suite at R = 100: the fit-step benchmarks again, skipped (never failed) without a GPU,
plus the GPU's peak memory from the backend's own statistics."""

from benchmarks import bench_fit
from benchmarks.cases import warm_fit_case
from benchmarks.common import Benchmark
from benchmarks.device import require_gpu, skip_without_gpu, synchronize
from benchmarks.profiles import GPU_REPLICAS
from harness.registry import implementation_names


def gpu_peak_bytes():
    """Peak GPU memory in bytes, from the Keras backend's allocator statistics."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"]
    if backend == "jax":
        import jax

        return jax.devices("gpu")[0].memory_stats()["peak_bytes_in_use"]
    import torch

    return torch.cuda.max_memory_allocated()


class GpuTrainStep(bench_fit.TrainStep):
    params = [implementation_names(), [GPU_REPLICAS], ["off", "nnpdf"]]

    def setup(self, implementation, replicas, clipnorm):
        require_gpu()
        super().setup(implementation, replicas, clipnorm)

    time_train_step = skip_without_gpu(bench_fit.TrainStep.time_train_step)


class GpuFirstStep(bench_fit.FirstStep):
    params = [implementation_names(), [GPU_REPLICAS]]

    def setup(self, implementation, replicas):
        require_gpu()
        super().setup(implementation, replicas)

    time_first_step = skip_without_gpu(bench_fit.FirstStep.time_first_step)


class GpuNetworkForward(bench_fit.NetworkForward):
    params = [implementation_names(), [GPU_REPLICAS]]

    def setup(self, implementation, replicas):
        require_gpu()
        super().setup(implementation, replicas)

    time_forward = skip_without_gpu(bench_fit.NetworkForward.time_forward)


class GpuPeakMemory(Benchmark):
    """Peak GPU memory (bytes) of building, tracing and running train steps; every asv benchmark
    runs in a fresh process, so the peak is this benchmark's own (JAX cannot reset it)."""

    params = [implementation_names(), [GPU_REPLICAS]]
    unit = "bytes"

    def setup(self, implementation, replicas):
        require_gpu()

    @skip_without_gpu
    def track_gpu_peak_memory(self, implementation, replicas):
        synchronize(warm_fit_case(implementation, replicas).step())
        return gpu_peak_bytes()
