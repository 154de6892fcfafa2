"""MultiDense: one fused kernel of shape (replicas, in, out) for all replicas of a dense layer."""

import keras

from harness.replica_layer import ReplicaLayer
from multidense_impl.initializers import MultiInitializer


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiDense(ReplicaLayer):
    """Dense layer for R replicas in one einsum.

    Kernel ``(R, F, units)``, bias ``(R, 1, units)``; ``bnf,rfg->brng`` on the first layer (its input
    has no replica axis) and ``brnf,rfg->brng`` after.
    """

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.replicas, self.input_features, self.units),
            initializer=MultiInitializer(self.kernel_initializer, self.replica_seeds, self.base_seed),
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.replicas, 1, self.units),
                initializer=MultiInitializer(self.bias_initializer, self.replica_seeds, self.base_seed),
            )

    @property
    def equation(self):
        return "bnf,rfg->brng" if self.is_first_layer else "brnf,rfg->brng"

    def call(self, inputs):
        self.check_input_shape(inputs.shape)
        outputs = keras.ops.einsum(self.equation, inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)
