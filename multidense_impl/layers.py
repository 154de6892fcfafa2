"""MultiDense: one fused kernel of shape (replicas, in, out) for all replicas of a dense layer."""

import keras

from harness.replica_layer import ReplicaLayer
from multidense_impl.initializers import MultiInitializer

# Backends on which the hidden layers run as ``(R, b*N, F) @ (R, F, units)``, the replica axis the
# only batch axis, instead of the broadcast ``(b, R, N, F) @ (R, F, units)``: on JAX (XLA:CPU) the
# broadcast form's backward pass copies (transposes) every activation before the kernel-gradient
# dot; on TensorFlow the broadcast BatchMatMul was slower in the layer suite. PyTorch gained nothing.
REPLICA_LEADING_BACKENDS = ("jax", "tensorflow")
# Backends whose first layer also runs replica-leading, its (b*N, F) input broadcast to
# (R, b*N, F); elsewhere it stays the broadcast matmul of (b, 1, N, F) with (R, F, units).
FIRST_LAYER_REPLICA_LEADING_BACKENDS = ("jax",)


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiDense(ReplicaLayer):
    """Dense layer for R replicas in one batched matmul.

    Kernel ``(R, F, units)``, bias ``(R, 1, units)``. The product is the einsum ``bnf,rfg->brng`` on
    the first layer (its input has no replica axis) and ``brnf,rfg->brng`` after, computed as a
    ``matmul`` whose layout suits the backend (measured with ``python -m benchmarks.grid``):

    * R = 1: a plain ``(N, F) @ (F, units)`` as ``Dense`` does, on every backend;
    * a broadcast ``matmul`` of ``(b, 1 or R, N, F)`` with ``(R, F, units)`` on PyTorch, and for the
      first layer on TensorFlow (on TensorFlow/CPU the einsum lowering, transposes around a
      BatchMatMul, made the fused train step slower than R plain Dense layers);
    * ``(R, b*N, F) @ (R, F, units)``, the replica axis the only batch axis, on JAX and for the
      hidden layers on TensorFlow (see ``REPLICA_LEADING_BACKENDS``).
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
        if self.replicas == 1:
            return self._single_replica(inputs)
        leading = FIRST_LAYER_REPLICA_LEADING_BACKENDS if self.is_first_layer else REPLICA_LEADING_BACKENDS
        if keras.backend.backend() in leading:
            return self._replica_leading(inputs)
        if self.is_first_layer:
            inputs = keras.ops.expand_dims(inputs, 1)  # (b, 1, N, F): broadcast over replicas
        return self._bias_and_activation(keras.ops.matmul(inputs, self.kernel), self._stacked_bias())

    def _stacked_bias(self):
        """``(R, 1, units)``, or None without a bias."""
        return self.bias if self.use_bias else None

    def _bias_and_activation(self, outputs, bias):
        if bias is not None:
            outputs = outputs + bias
        return self.activation(outputs)

    def _single_replica(self, inputs):
        """One replica: a plain matmul with the (F, units) kernel and a (units,) bias, as Dense
        does. A batched matmul over a replica axis of length 1 adds broadcast and reduction ops
        to the backward pass, enough to make a one-replica fit slower than plain Dense."""
        kernel = keras.ops.reshape(self.kernel, (self.input_features, self.units))
        bias = keras.ops.reshape(self.bias, (self.units,)) if self.use_bias else None
        outputs = self._bias_and_activation(keras.ops.matmul(inputs, kernel), bias)
        return keras.ops.expand_dims(outputs, 1) if self.is_first_layer else outputs

    def _replica_leading(self, inputs):
        """The product as ``(R, b*N, F) @ (R, F, units)``, the replica axis leading (see
        ``REPLICA_LEADING_BACKENDS``); with batch 1 (the fit's) every reshape is free."""
        replicas, features = self.replicas, self.input_features
        points = keras.ops.shape(inputs)[-2]  # static where known, else the runtime size
        single_batch = inputs.shape[0] == 1
        if self.is_first_layer:
            flat = keras.ops.reshape(inputs, (1, -1, features))
            flat = keras.ops.broadcast_to(flat, (replicas, keras.ops.shape(flat)[1], features))
        elif single_batch:
            flat = keras.ops.reshape(inputs, (replicas, -1, features))
        else:
            flat = keras.ops.reshape(keras.ops.transpose(inputs, (1, 0, 2, 3)), (replicas, -1, features))
        outputs = self._bias_and_activation(keras.ops.matmul(flat, self.kernel), self._stacked_bias())
        if single_batch:
            return keras.ops.reshape(outputs, (1, replicas, points, self.units))
        outputs = keras.ops.reshape(outputs, (replicas, -1, points, self.units))
        return keras.ops.transpose(outputs, (1, 0, 2, 3))
