"""How ``MultiDense`` computes its product: the lowerings, the backend's prior, pinning, and the
measured choice (``auto``).

Every lowering computes the design's einsum with the same variables; they differ in the kernels the
backend runs, and which is fastest depends on the machine (TensorFlow's CPU BatchMatMul is slower than
R MatMuls with oneDNN off and faster with it on). So the default, ``auto``, measures: when a layer is
built, each lowering of that layer's shapes trains a one-layer model on the device at hand
(``harness.autotune``: interleaved blocks, the project's timing rule), the prior is kept unless a
lowering beats it by the rule's margin, and the answer is cached per machine (backend and versions,
device and the CPU's vector set, oneDNN state, shapes).

A lowering is pinned by the layer's ``lowering`` argument, by ``pinned(name)`` around the build, or by
``MRH_LOWERING`` (in that order); ``MRH_LOWERING=prior`` takes the prior without measuring.
"""

import contextlib
import os
import sys

import keras

from harness.autotune import autotune
from harness.device import (
    contraction_error,
    device_description,
    float32_tolerance,
    gpu_available,
    synchronize,
)

LOWERINGS = ("single", "per_replica", "replica_leading", "broadcast")
AUTO, PRIOR = "auto", "prior"
REQUESTS = (AUTO, PRIOR, *LOWERINGS)
LOWERING_VARIABLE = "MRH_LOWERING"
LOWERING_VERSION = 1  # bump when a lowering's computation changes: cached choices are then re-measured
TUNING_POINTS = 1500  # grid points tuned when the layer's input leaves N open (the fit's x-grid)

_pinned = []


def check_lowering(name, parameter="lowering"):
    """``name`` if it is ``auto``, ``prior`` or one of ``LOWERINGS``; else a ValueError naming
    ``parameter``."""
    if name not in REQUESTS:
        raise ValueError(f"{parameter} must be one of {list(REQUESTS)}, got {name!r}")
    return name


@contextlib.contextmanager
def pinned(name):
    """Layers built inside use lowering ``name`` unless their own ``lowering`` argument says otherwise."""
    _pinned.append(check_lowering(name))
    try:
        yield
    finally:
        _pinned.pop()


def requested_lowering(argument=None, environ=None):
    """What is asked for: the argument, else the innermost ``pinned``, else ``MRH_LOWERING``, else auto."""
    if argument is not None:
        return check_lowering(argument)
    if _pinned:
        return _pinned[-1]
    value = (os.environ if environ is None else environ).get(LOWERING_VARIABLE, "") or AUTO
    return check_lowering(value, LOWERING_VARIABLE)


def candidates(replicas):
    """The lowerings that compute a layer of ``replicas`` replicas (``single`` only at R = 1)."""
    return LOWERINGS if replicas == 1 else LOWERINGS[1:]


def prior_lowering(replicas, is_first_layer, backend=None, gpu=None):
    """The choice before any measurement (measured on the CPU this project started on, with oneDNN
    off): ``single`` at R = 1; R MatMuls on TensorFlow without a GPU; the replica axis leading on
    JAX (XLA:CPU copies every activation around the broadcast form's backward dot) and for
    TensorFlow's hidden layers on a GPU; the broadcast matmul elsewhere. On an NVIDIA H200 the JAX
    and torch priors were measured as fast as any lowering (docs/gpu-lowerings/); TensorFlow's GPU
    prior is unmeasured."""
    if replicas == 1:
        return "single"
    backend = backend or keras.backend.backend()
    gpu = gpu_available(backend) if gpu is None else gpu
    if backend == "tensorflow" and not gpu:
        return "per_replica"
    if backend == "jax" or (backend == "tensorflow" and not is_first_layer):
        return "replica_leading"
    return "broadcast"


def resolve(layer, input_shape):
    """The lowering ``layer`` (a built-to-be MultiDense) computes with, for ``input_shape``."""
    request = requested_lowering(layer.lowering)
    replicas = layer.replicas
    if request in LOWERINGS:
        if request not in candidates(replicas):
            raise ValueError(f"lowering {request!r} computes one replica only; {type(layer).__name__} "
                             f"'{layer.name}' has {replicas}: use one of {list(candidates(replicas))}")
        return request
    prior = prior_lowering(replicas, layer.is_first_layer)
    if request == PRIOR:
        return prior
    points, batch = _tuning_points(input_shape), int(input_shape[0] or 1)
    key = tuning_key(layer, points, batch)
    label = (f"{type(layer).__name__} lowering, R = {replicas}, {layer.input_features} -> {layer.units}, "
             f"{'first layer' if layer.is_first_layer else 'hidden layer'}, N = {points}")
    return autotune(key, prior, lambda: _tuning_steps(layer, points, batch), label=label)


def _bucket(count):
    """Powers of two: 1, 2-3, 4-7, ...; a choice measured at one size serves its bucket."""
    low = 1 << (int(count).bit_length() - 1)
    return f"{low}-{2 * low - 1}" if low > 1 else "1"


def _tuning_points(input_shape):
    points = input_shape[-2]
    return int(points) if points else TUNING_POINTS


def tuning_key(layer, points, batch):
    """Everything that decides the fastest lowering of ``layer``: the device description (backend,
    versions, device and the CPU's vector set, oneDNN state), the lowering code's version and the
    shapes (R and N bucketed)."""
    return {**device_description(), "lowering_version": LOWERING_VERSION,
            "layer": "first" if layer.is_first_layer else "hidden",
            "replicas": _bucket(layer.replicas), "features": layer.input_features, "units": layer.units,
            "use_bias": layer.use_bias, "points": _bucket(points), "batch": batch}


def _tuning_steps(layer, points, batch):
    """``{lowering: step}``: one ``train_on_batch`` of a one-layer model (the layer's config, that
    lowering, squared loss, plain SGD) compiled as the fit's models are, on random inputs."""
    import numpy as np

    with _eager():
        rng = np.random.default_rng(0)
        shape = (points, layer.input_features) if layer.is_first_layer else \
            (layer.replicas, points, layer.input_features)
        x = rng.standard_normal((batch, *shape)).astype("float32")
        y = np.zeros((batch, layer.replicas, points, layer.units), "float32")
        steps, outputs = {}, {}
        for name in candidates(layer.replicas):
            config = {**layer.get_config(), "name": f"{layer.name}_tuning_{name}", "lowering": name}
            inputs = keras.Input(shape, batch_size=batch)
            tuned = type(layer).from_config(config)
            model = keras.Model(inputs, tuned(inputs))
            outputs[name] = keras.ops.convert_to_numpy(model.predict_on_batch(x))
            model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mean_squared_error")
            steps[name] = _step(model, x, y)
        tolerance = agreement_tolerance(tuned, x)
        wrong = disagreeing(outputs, einsum_reference(tuned, x), tolerance)
        if wrong:
            print(f"[autotune] {type(layer).__name__} '{layer.name}': lowerings {wrong} do not compute the "
                  f"einsum on this backend and device (max relative error > {tolerance:.2g}); not used",
                  file=sys.stderr, flush=True)
        return {name: step for name, step in steps.items() if name not in wrong}


AGREEMENT = 1e-4  # relative to the largest output: float32 round-off of these small sums is ~1e-6


def agreement_tolerance(layer, x):
    """``AGREEMENT``, widened where this device computes float32 products at a lower precision (GPUs
    may run matmuls in TF32): ``float32_tolerance`` of the larger of the device's contraction error and
    that of one plain 2-D float32 matmul of replica 0 on ``x``."""
    import numpy as np

    flat = x.reshape(-1, x.shape[-1]) if layer.is_first_layer else x[:, 0].reshape(-1, x.shape[-1])
    kernel = keras.ops.convert_to_numpy(layer.kernel)[0]
    device = keras.ops.convert_to_numpy(keras.ops.matmul(keras.ops.convert_to_tensor(flat),
                                                         keras.ops.convert_to_tensor(kernel)))
    exact = flat.astype("float64") @ kernel.astype("float64")
    error = float(np.max(np.abs(device - exact)) / max(float(np.max(np.abs(exact))), 1e-30))
    return float32_tolerance(AGREEMENT, max(error, contraction_error()))


def einsum_reference(layer, x):
    """The design's einsum, in float64 from ``layer``'s weights, then its bias and activation."""
    import numpy as np

    kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float64")
    product = np.einsum(layer.equation, x.astype("float64"), kernel)
    if layer.use_bias:
        product = product + keras.ops.convert_to_numpy(layer.bias).astype("float64")
    return keras.ops.convert_to_numpy(layer.activation(keras.ops.convert_to_tensor(product, "float32")))


def disagreeing(outputs, reference, tolerance=AGREEMENT):
    """The names in ``outputs`` whose values differ from ``reference`` by more than ``tolerance``
    relative to its largest magnitude (or are not finite)."""
    import numpy as np

    scale = max(float(np.max(np.abs(reference))), 1e-30)
    return [name for name, values in outputs.items()
            if values.shape != reference.shape or not np.all(np.isfinite(values))
            or float(np.max(np.abs(values - reference))) / scale > tolerance]


def _step(model, x, y):
    def step():
        return synchronize(model.train_on_batch(x, y))
    return step


@contextlib.contextmanager
def _eager():
    """Out of any TensorFlow graph being traced (a layer built inside a ``tf.function``), without
    TensorFlow's retracing warnings: each candidate is a model of its own, traced once on purpose."""
    if keras.backend.backend() == "tensorflow":
        import logging

        import tensorflow as tf

        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            with tf.init_scope():
                yield
        finally:
            logger.setLevel(level)
    else:
        yield


def lowerings_of(model):
    """``{layer name: lowering}`` of the model's built MultiDense layers (what ran)."""
    return {layer.name: layer.lowering_used for layer in model._flatten_layers(include_self=False)
            if getattr(layer, "lowering_used", None)}
