"""The device the active Keras backend computes on: GPU detection, a description of the device that
decides performance (for caches of measured choices), the precision of its float32 contractions (for
tolerances), synchronisation and the synchronising timer."""

import functools
import time

import keras

from harness import host


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
    version, Keras's version, the device (GPU name, or CPU model and threads, with the CPU's widest
    vector instruction set) and, on TensorFlow, whether oneDNN is on."""
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
    if "device" not in description:
        description.update(host.cpu_fields())
    return description


PRECISION_FACTOR = 10  # a float32 result may differ from float64 by 10x the device's own contraction error
CONTRACTION_PROBE = (4, 64, 96, 48)  # a batch of 4 products (64 x 96) @ (96 x 48): big enough for a GEMM


def measure_contraction_error(seed=0):
    """Largest relative error (max|error| / max|exact|) of float32 contractions on the device (a
    plain matmul, a batched matmul and an einsum, through ``keras.ops``) against float64: ~1e-7 where
    float32 products are computed in float32, ~1e-3 where matmuls run in TF32 (GPUs by default)."""
    import numpy as np

    batch, rows, inner, columns = CONTRACTION_PROBE
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((batch, rows, inner)).astype("float32")
    b = rng.standard_normal((batch, inner, columns)).astype("float32")
    exact = a.astype("float64") @ b.astype("float64")
    ops, tensor = keras.ops, keras.ops.convert_to_tensor
    results = {"matmul": (ops.matmul(tensor(a[0]), tensor(b[0])), exact[0]),
               "batched matmul": (ops.matmul(tensor(a), tensor(b)), exact),
               "einsum": (ops.einsum("bnf,bfg->bng", tensor(a), tensor(b)), exact)}
    return max(float(np.max(np.abs(ops.convert_to_numpy(value) - truth)) / np.max(np.abs(truth)))
               for value, truth in results.values())


@functools.cache
def _contraction_error(backend):
    return measure_contraction_error()


def contraction_error():
    """``measure_contraction_error()`` of the active backend, measured once per process."""
    return _contraction_error(keras.backend.backend())


def float32_tolerance(tolerance, error=None):
    """``tolerance`` (a bound set for float32 arithmetic), or ``PRECISION_FACTOR`` times the device's
    float32 contraction error (``error``, else ``contraction_error()``) where that is larger."""
    return max(tolerance, PRECISION_FACTOR * (contraction_error() if error is None else error))


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
