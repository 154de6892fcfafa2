"""PerReplicaDense: R plain Keras Dense layers behind the MultiDense interface."""

import keras

from harness.arguments import layer_seed
from harness.keras_objects import seeded_copy
from harness.replica_layer import ReplicaLayer


@keras.saving.register_keras_serializable(package="reference_impl")
class PerReplicaDense(ReplicaLayer):
    """The layer-level counterpart of MultiDense: one independent ``keras.layers.Dense`` per replica."""

    def __init__(self, units, replica_seeds, **kwargs):
        super().__init__(units, replica_seeds, **kwargs)
        self.dense_layers = [
            keras.layers.Dense(
                self.units,
                activation=self.activation,
                use_bias=self.use_bias,
                kernel_initializer=seeded_copy(self.kernel_initializer, layer_seed(seed, self.base_seed)),
                bias_initializer=seeded_copy(self.bias_initializer, layer_seed(seed, self.base_seed)),
                name=f"replica_{replica}",
            )
            for replica, seed in enumerate(self.replica_seeds)
        ]

    def build(self, input_shape):
        super().build(input_shape)
        for dense in self.dense_layers:
            dense.build((None, None, self.input_features))

    def call(self, inputs):
        self.check_input_shape(inputs.shape)
        if self.is_first_layer:
            per_replica = [inputs] * self.replicas
        else:
            per_replica = [inputs[:, replica] for replica in range(self.replicas)]
        return keras.ops.stack(
            [dense(x) for dense, x in zip(self.dense_layers, per_replica, strict=True)], axis=1
        )
