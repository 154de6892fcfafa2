"""The device: GPU detection, the skip rule, synchronisation and the synchronising timer."""

import functools
import time

import keras


@functools.cache
def gpu_available(backend=None):
    """True when the Keras backend (the active one by default) sees a GPU."""
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def skip_without_gpu(function):
    """asv skip decorator: without a GPU the benchmark is skipped at discovery, so no process is
    spawned for it (``require_gpu`` in setup still skips it wherever the decorator is bypassed)."""
    if gpu_available():
        return function
    try:
        from asv_runner.benchmarks.mark import skip_benchmark
    except ImportError:  # outside asv
        return function
    return skip_benchmark(function)


def require_gpu():
    """The skip rule: raise NotImplementedError (asv and tests/perf skip on it) without a GPU."""
    if not gpu_available():
        raise NotImplementedError(f"no GPU visible to the {keras.backend.backend()} backend")


def synchronize(result=None, backend=None):
    """Wait until the device has finished the work behind ``result`` (JAX) or all queued work."""
    backend = backend or keras.backend.backend()
    if backend == "jax":
        import jax

        leaves = jax.tree_util.tree_leaves(result)
        jax.block_until_ready([leaf for leaf in leaves if hasattr(leaf, "block_until_ready")])
    elif backend == "tensorflow" and gpu_available(backend):
        import tensorflow as tf

        tf.test.experimental.sync_devices()
    elif backend == "torch" and gpu_available(backend):
        import torch

        torch.cuda.synchronize()
    return result


def timed(function, *args, clock=time.perf_counter, sync=synchronize):
    """``(seconds, result)`` of ``function(*args)``; the device is synchronised before the clock stops."""
    start = clock()
    result = sync(function(*args))
    return clock() - start, result
