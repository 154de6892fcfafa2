"""The fused network: one MultiDense per layer for all replicas."""

import keras

from harness.network_spec import NetworkSpec
from multidense_impl.layers import MultiDense


def build_network(replica_seeds, nodes=(25, 20, 8), activations=("tanh", "tanh", "linear"),
                  kernel_initializer="glorot_normal", input_features=2, dropout_rate=0.0,
                  lowering=None):
    """A model mapping ``(1, N, input_features)`` to ``(1, R, N, nodes[-1])``.

    Layer i of replica r is seeded ``replica_seeds[r] + i``; dropout (rate > 0) follows the first
    hidden layer and is plain element-wise dropout on the fused tensor. ``lowering`` (see
    ``MultiDense``) is one request for every layer, or a sequence of one per layer.
    """
    spec = NetworkSpec.from_arguments(replica_seeds, nodes, activations, kernel_initializer,
                                      input_features, dropout_rate)
    per_layer = _per_layer(lowering, len(spec.layers))
    inputs = spec.inputs()
    x = inputs
    for index, units, activation in spec.layers:
        x = MultiDense(units, spec.replica_seeds, kernel_initializer=spec.kernel_initializer,
                       is_first_layer=index == 0, base_seed=index, activation=activation,
                       lowering=per_layer[index], name=f"multi_dense_{index}")(x)
        if index == 0 and spec.dropout_rate > 0:
            x = keras.layers.Dropout(spec.dropout_rate, seed=spec.replica_seeds[0],
                                     name="dropout")(x)
    return keras.Model(inputs, x, name="multidense_network")


def _per_layer(lowering, layers):
    """``lowering`` as one request per layer; a ValueError naming ``lowering`` on a wrong length."""
    if lowering is None or isinstance(lowering, str):
        return [lowering] * layers
    lowering = list(lowering)
    if len(lowering) != layers:
        raise ValueError(f"lowering must name one lowering or one per layer ({layers}), got "
                         f"{len(lowering)}: {lowering}")
    return lowering
