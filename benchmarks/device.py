"""The benchmarks' view of the device: the skip rule (and the GPU rehearsal switch) and the device's
peak memory; GPU detection, synchronisation and the timer come from ``harness.device``."""

import os

import keras

from benchmarks.profiles import GPU_REPLICAS
from harness.device import gpu_available, synchronize, timed

__all__ = ["NoMemoryStatistics", "gpu_available", "gpu_rehearsal", "gpu_suite_replicas", "gpu_suites_run",
           "peak_memory_bytes", "require_gpu", "skip_without_gpu", "synchronize", "timed"]

REHEARSAL_VARIABLE = "MRH_GPU_REHEARSAL"
REHEARSAL_REPLICAS = 2  # the fused code path (R > 1) at a size CI's CPU runs in seconds


class NoMemoryStatistics(NotImplementedError):
    """The device keeps no allocator statistics (CPU devices, torch without CUDA); says which and why."""


def gpu_rehearsal(environ=None):
    """True when ``MRH_GPU_REHEARSAL=1``: the GPU suites run wherever the backend runs (the CPU in
    CI), at rehearsal size. Unset, empty or 0: off; any other value is an error naming the variable."""
    value = (os.environ if environ is None else environ).get(REHEARSAL_VARIABLE, "")
    if value not in ("", "0", "1"):
        raise ValueError(f"{REHEARSAL_VARIABLE}={value!r}: use 1 (rehearse the GPU suites) or 0")
    return value == "1"


def gpu_suite_replicas():
    """R of the GPU suites: GPU_REPLICAS (100), or REHEARSAL_REPLICAS under the rehearsal switch."""
    return REHEARSAL_REPLICAS if gpu_rehearsal() else GPU_REPLICAS


def gpu_suites_run():
    """The GPU suites run on a GPU, or anywhere under the rehearsal switch."""
    return gpu_rehearsal() or gpu_available()


def skip_without_gpu(function):
    """asv skip decorator: without a GPU (and no rehearsal) the benchmark is skipped at discovery, so
    no process is spawned for it (``require_gpu`` in setup still skips it wherever this is bypassed)."""
    if gpu_suites_run():
        return function
    try:
        from asv_runner.benchmarks.mark import skip_benchmark
    except ImportError:  # outside asv
        return function
    return skip_benchmark(function)


def require_gpu():
    """The skip rule: raise NotImplementedError (asv and tests/perf skip on it) without a GPU, unless
    the GPU suites are rehearsed (``MRH_GPU_REHEARSAL=1``)."""
    if not gpu_suites_run():
        raise NotImplementedError(f"no GPU visible to the {keras.backend.backend()} backend "
                                  f"(set {REHEARSAL_VARIABLE}=1 to rehearse the GPU suites on this device)")


def peak_memory_bytes(backend=None):
    """Peak memory in bytes of the backend's default device, from its allocator statistics.
    NoMemoryStatistics, naming the device and the reason, where it keeps none: never a made-up number."""
    backend = backend or keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        stats = device.memory_stats()
        if not stats or "peak_bytes_in_use" not in stats:
            raise NoMemoryStatistics(f"JAX device {device} ({device.platform}) reports no peak memory "
                                     f"(memory_stats() gave {stats!r})")
        return _measured(stats["peak_bytes_in_use"], f"JAX device {device} ({device.platform})")
    if backend == "tensorflow":
        import tensorflow as tf

        device = "GPU:0" if gpu_available(backend) else "CPU:0"
        try:
            peak = tf.config.experimental.get_memory_info(device)["peak"]
        except (ValueError, KeyError, tf.errors.OpError) as error:
            raise NoMemoryStatistics(f"TensorFlow keeps no memory statistics for {device}: {error}") from None
        return _measured(peak, f"TensorFlow's {device}")
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():  # max_memory_allocated() would answer 0, not a measurement
            raise NoMemoryStatistics("torch without CUDA keeps no device memory statistics")
        return _measured(torch.cuda.max_memory_allocated(), "torch's CUDA device")
    raise NoMemoryStatistics(f"no memory statistics known for the {backend} backend")


def _measured(peak, device):
    """``peak`` as bytes; NoMemoryStatistics when it is zero: work has run, so an allocator answering 0
    keeps no statistics (TensorFlow's CPU allocator with oneDNN on answers ``{'current': 0, 'peak': 0}``)."""
    peak = int(peak)
    if peak <= 0:
        raise NoMemoryStatistics(f"{device} reports a peak of {peak} bytes after work has run: its allocator "
                                 f"keeps no statistics")
    return peak
