"""MultiDense: one fused kernel of shape (replicas, in, out) for all replicas of a dense layer."""

import keras

from harness.replica_layer import ReplicaLayer
from multidense_impl.initializers import MultiInitializer


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiDense(ReplicaLayer):
    """Dense layer for R replicas in one batched matmul.

    Kernel ``(R, F, units)``, bias ``(R, 1, units)``. The product is the einsum ``bnf,rfg->brng`` on
    the first layer (its input has no replica axis) and ``brnf,rfg->brng`` after, computed as a
    broadcast ``matmul`` of ``(b, 1 or R, N, F)`` with ``(R, F, units)``: on TensorFlow/CPU the
    einsum lowering (transposes around a BatchMatMul, in the forward and the backward pass) made the
    fused train step slower than R plain Dense layers, at R = 1 and at R = 100.
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
        """The einsum this layer computes (documentation and tests; ``call`` uses ``matmul``)."""
        return "bnf,rfg->brng" if self.is_first_layer else "brnf,rfg->brng"

    def call(self, inputs):
        self.check_input_shape(inputs.shape)
        single = self.replicas == 1
        if single:
            # One replica: a plain tensordot with the (F, units) kernel, as Dense does. A batched
            # matmul (or einsum) over a replica axis of length 1 adds broadcast and reduction ops
            # to the backward pass, enough to make a one-replica fit slower than plain Dense.
            kernel = keras.ops.reshape(self.kernel, (self.input_features, self.units))
            outputs = keras.ops.tensordot(inputs, kernel, axes=1)
        else:
            if self.is_first_layer:
                inputs = keras.ops.expand_dims(inputs, 1)  # (b, 1, N, F): broadcast over replicas
            outputs = keras.ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = outputs + self.bias  # (R, 1, units) broadcasts over batch and points
        outputs = self.activation(outputs)
        if single and self.is_first_layer:
            outputs = keras.ops.expand_dims(outputs, 1)  # the replica axis
        return outputs
