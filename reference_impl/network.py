"""The per-replica truth: one independent stack of plain Keras Dense layers per replica."""

import keras

from harness.arguments import layer_seed
from harness.keras_objects import seeded_copy
from harness.network_spec import NetworkSpec


def build_network(replica_seeds, nodes=(25, 20, 8), activations=("tanh", "tanh", "linear"),
                  kernel_initializer="glorot_normal", input_features=2, dropout_rate=0.0):
    """A model mapping ``(1, N, input_features)`` to ``(1, R, N, nodes[-1])``.

    Each replica is its own Dense stack (layer i seeded ``replica_seeds[r] + i``) with its own
    Dropout after the first hidden layer; the replica outputs are stacked on axis 1.
    """
    spec = NetworkSpec.from_arguments(replica_seeds, nodes, activations, kernel_initializer,
                                      input_features, dropout_rate)
    inputs = spec.inputs()
    outputs = []
    for replica, seed in enumerate(spec.replica_seeds):
        x = inputs
        for index, units, activation in spec.layers:
            initializer = seeded_copy(spec.kernel_initializer, layer_seed(seed, index))
            x = keras.layers.Dense(units, activation=activation, kernel_initializer=initializer,
                                   name=f"replica_{replica}_dense_{index}")(x)
            if index == 0 and spec.dropout_rate > 0:
                x = keras.layers.Dropout(spec.dropout_rate, seed=seed,
                                         name=f"replica_{replica}_dropout")(x)
        outputs.append(x)
    return keras.Model(inputs, keras.ops.stack(outputs, axis=1), name="reference_network")
