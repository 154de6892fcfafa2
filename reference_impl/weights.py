"""Per-replica view of a reference network's weights: ``[replica][layer] -> (kernel, bias)``."""

import keras


def _replica_layers(model):
    """``[replica][layer]`` Dense layers, found by the names build_network gives them."""
    layers = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense) and layer.name.startswith("replica_"):
            _, replica, _, index = layer.name.split("_")
            layers.setdefault(int(replica), {})[int(index)] = layer
    return [[per_layer[i] for i in sorted(per_layer)] for _, per_layer in sorted(layers.items())]


def get_replica_weights(model):
    """Each replica's ``(kernel (in, out), bias (out,))`` per layer, as numpy arrays."""
    return [
        [tuple(keras.ops.convert_to_numpy(w) for w in (dense.kernel, dense.bias)) for dense in stack]
        for stack in _replica_layers(model)
    ]


def set_replica_weights(model, replica_weights):
    """Load ``[replica][layer] -> (kernel, bias)`` into the per-replica Dense layers."""
    for stack, weights in zip(_replica_layers(model), replica_weights, strict=True):
        for dense, (kernel, bias) in zip(stack, weights, strict=True):
            dense.kernel.assign(keras.ops.cast(kernel, dense.kernel.dtype))
            dense.bias.assign(keras.ops.cast(bias, dense.bias.dtype))
