"""The device the active Keras backend computes on: GPU detection, a description of the device that
decides performance (for caches of measured choices), synchronisation and the synchronising timer."""

import functools
import os
import platform
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


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_threads():
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def onednn_enabled():
    """True when TensorFlow runs its oneDNN kernels (``TF_ENABLE_ONEDNN_OPTS``, on by default on
    x86 CPUs with AVX-512 VNNI/BF16 or AMX); None when TensorFlow cannot say."""
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return None


@functools.cache
def device_description(backend=None):
    """What decides how fast the backend's kernels run here, as a dict of strings: backend and its
    version, Keras's version, the device (GPU name, or CPU model and threads) and, on TensorFlow,
    whether oneDNN is on."""
    backend = backend or keras.backend.backend()
    description = {"backend": backend, "keras": keras.__version__}
    if backend == "tensorflow":
        import tensorflow as tf

        description["backend_version"] = tf.__version__
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            description["device"] = f"GPU {details.get('device_name', gpus[0].name)}"
        description["onednn"] = str(onednn_enabled())
    elif backend == "jax":
        import jax

        description["backend_version"] = jax.__version__
        device = jax.devices()[0]
        if device.platform != "cpu":
            description["device"] = f"{device.platform.upper()} {device.device_kind}"
    elif backend == "torch":
        import torch

        description["backend_version"] = torch.__version__
        if torch.cuda.is_available():
            description["device"] = f"GPU {torch.cuda.get_device_name(0)}"
        description["threads"] = str(torch.get_num_threads())
    description.setdefault("device", f"CPU {cpu_model()} x{cpu_threads()}")
    return description


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
