"""The fused network: one MultiDense per layer for all replicas."""

import keras

from harness.network_spec import NetworkSpec
from multidense_impl.layers import MultiDense


def build_network(replica_seeds, nodes=(25, 20, 8), activations=("tanh", "tanh", "linear"),
                  kernel_initializer="glorot_normal", input_features=2, dropout_rate=0.0):
    """A model mapping ``(1, N, input_features)`` to ``(1, R, N, nodes[-1])``.

    Layer i of replica r is seeded ``replica_seeds[r] + i``; dropout (rate > 0) follows the first
    hidden layer and is plain element-wise dropout on the fused tensor.
    """
    spec = NetworkSpec.from_arguments(replica_seeds, nodes, activations, kernel_initializer,
                                      input_features, dropout_rate)
    inputs = spec.inputs()
    x = inputs
    for index, units, activation in spec.layers:
        x = MultiDense(units, spec.replica_seeds, kernel_initializer=spec.kernel_initializer,
                       is_first_layer=index == 0, base_seed=index, activation=activation,
                       name=f"multi_dense_{index}")(x)
        if index == 0 and spec.dropout_rate > 0:
            x = keras.layers.Dropout(spec.dropout_rate, seed=spec.replica_seeds[0],
                                     name="dropout")(x)
    return keras.Model(inputs, x, name="multidense_network")
