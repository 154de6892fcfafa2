"""Per-replica view of a fused network's weights: ``[replica][layer] -> (kernel, bias)``."""

import keras

from multidense_impl.layers import MultiDense


def _fused_layers(model):
    return [layer for layer in model.layers if isinstance(layer, MultiDense)]


def get_replica_weights(model):
    """Each replica's ``(kernel (in, out), bias (out,))`` per layer, as numpy arrays."""
    layers = _fused_layers(model)
    kernels = [keras.ops.convert_to_numpy(layer.kernel) for layer in layers]
    biases = [keras.ops.convert_to_numpy(layer.bias) for layer in layers]
    replicas = kernels[0].shape[0]
    return [[(k[r], b[r, 0]) for k, b in zip(kernels, biases, strict=True)] for r in range(replicas)]


def set_replica_weights(model, replica_weights):
    """Load ``[replica][layer] -> (kernel, bias)`` into the fused kernels and biases."""
    for index, layer in enumerate(_fused_layers(model)):
        kernel = keras.ops.stack([weights[index][0] for weights in replica_weights])
        bias = keras.ops.stack([weights[index][1][None] for weights in replica_weights])
        layer.kernel.assign(keras.ops.cast(kernel, layer.kernel.dtype))
        layer.bias.assign(keras.ops.cast(bias, layer.bias.dtype))
