"""MultiDense: one fused kernel of shape (replicas, in, out) for all replicas of a dense layer."""

import keras

from harness.replica_layer import ReplicaLayer
from multidense_impl.initializers import MultiInitializer

# Backends on which the product runs as R plain ``(b*N, F) @ (F, units)`` matmuls on slices of the
# fused kernel when no GPU is visible: TensorFlow's CPU BatchMatMulV2 of R such small matrices took
# ~1.4x the time of R MatMuls (``python -m benchmarks.step_profile``; docs/benchmarks.md). The
# variables stay fused.
PER_REPLICA_PRODUCT_CPU_BACKENDS = ("tensorflow",)
# Backends on which the hidden layers run as ``(R, b*N, F) @ (R, F, units)``, the replica axis the
# only batch axis, instead of the broadcast ``(b, R, N, F) @ (R, F, units)``: on JAX (XLA:CPU) the
# broadcast form's backward pass copies (transposes) every activation before the kernel-gradient
# dot; on TensorFlow/CPU the broadcast BatchMatMul was slower in the layer suite (kept where
# TensorFlow sees a GPU, which this project could not measure). PyTorch gained nothing.
REPLICA_LEADING_BACKENDS = ("jax", "tensorflow")
# Backends whose first layer also runs replica-leading, its (b*N, F) input broadcast to
# (R, b*N, F); elsewhere it stays the broadcast matmul of (b, 1, N, F) with (R, F, units).
FIRST_LAYER_REPLICA_LEADING_BACKENDS = ("jax",)


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiDense(ReplicaLayer):
    """Dense layer for R replicas with one fused kernel and bias (one variable each).

    Kernel ``(R, F, units)``, bias ``(R, 1, units)``. The product is the einsum ``bnf,rfg->brng`` on
    the first layer (its input has no replica axis) and ``brnf,rfg->brng`` after, computed as a
    ``matmul`` whose layout suits the backend (measured with ``python -m benchmarks.grid``):

    * R = 1: a plain ``(N, F) @ (F, units)`` as ``Dense`` does, on every backend;
    * R plain matmuls on the kernel's replica slices, on TensorFlow without a GPU (see
      ``PER_REPLICA_PRODUCT_CPU_BACKENDS``);
    * a broadcast ``matmul`` of ``(b, 1 or R, N, F)`` with ``(R, F, units)`` on PyTorch, and for the
      first layer on TensorFlow with a GPU (on TensorFlow/CPU the einsum lowering, transposes around
      a BatchMatMul, made the fused train step slower than R plain Dense layers);
    * ``(R, b*N, F) @ (R, F, units)``, the replica axis the only batch axis, on JAX and for the
      hidden layers on TensorFlow with a GPU (see ``REPLICA_LEADING_BACKENDS``).
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
        return getattr(self, f"_{product_path(self.replicas, self.is_first_layer)}")(inputs)

    def _broadcast(self, inputs):
        """``(b, 1 or R, N, F) @ (R, F, units)``, the replica axis a broadcast batch axis."""
        if self.is_first_layer:
            inputs = keras.ops.expand_dims(inputs, 1)  # (b, 1, N, F): broadcast over replicas
        return self._bias_and_activation(keras.ops.matmul(inputs, self.kernel), self._stacked_bias())

    def _stacked_bias(self):
        """``(R, 1, units)``, or None without a bias."""
        return self.bias if self.use_bias else None

    def _bias_and_activation(self, outputs, bias):
        if bias is not None:
            # keras.ops.add, not ``+``: on TensorFlow it adds a (units,) bias with BiasAdd, which
            # Grappler fuses into the MatMul before it and whose gradient is one BiasAddGrad
            outputs = keras.ops.add(outputs, bias)
        return self.activation(outputs)

    def _single(self, inputs):
        """One replica: a plain matmul with the (F, units) kernel and a (units,) bias, as Dense
        does. A batched matmul over a replica axis of length 1 adds broadcast and reduction ops
        to the backward pass, enough to make a one-replica fit slower than plain Dense."""
        kernel = keras.ops.reshape(self.kernel, (self.input_features, self.units))
        bias = keras.ops.reshape(self.bias, (self.units,)) if self.use_bias else None
        outputs = self._bias_and_activation(keras.ops.matmul(inputs, kernel), bias)
        return keras.ops.expand_dims(outputs, 1) if self.is_first_layer else outputs

    def _per_replica(self, inputs):
        """R plain ``(b*N, F) @ (F, units)`` products on replica slices (see
        ``PER_REPLICA_PRODUCT_CPU_BACKENDS``). Inputs, kernel and bias are split with ``unstack``
        on a leading axis, which TensorFlow does without a copy and whose gradient is one stack; an
        indexed slice ``x[r]`` would back-propagate R full-size zero-padded gradients."""
        replicas = self.replicas
        if self.is_first_layer:
            per_replica = [keras.ops.reshape(inputs, (-1, self.input_features))] * replicas
        else:
            per_replica = keras.ops.unstack(self._replica_leading_input(inputs), replicas, axis=0)
        kernels = keras.ops.unstack(keras.ops.convert_to_tensor(self.kernel), replicas, axis=0)
        biases = [None] * replicas
        if self.use_bias:
            biases = keras.ops.unstack(keras.ops.reshape(self.bias, (replicas, self.units)), replicas, axis=0)
        outputs = [self._bias_and_activation(keras.ops.matmul(x, kernel), bias)
                   for x, kernel, bias in zip(per_replica, kernels, biases, strict=True)]
        return self._replica_leading_output(keras.ops.stack(outputs, axis=0), inputs)

    def _replica_leading(self, inputs):
        """The product as ``(R, b*N, F) @ (R, F, units)``, the replica axis leading (see
        ``REPLICA_LEADING_BACKENDS``); with batch 1 (the fit's) every reshape is free."""
        features = self.input_features
        if self.is_first_layer:
            flat = keras.ops.reshape(inputs, (1, -1, features))
            flat = keras.ops.broadcast_to(flat, (self.replicas, keras.ops.shape(flat)[1], features))
        else:
            flat = self._replica_leading_input(inputs)
        outputs = self._bias_and_activation(keras.ops.matmul(flat, self.kernel), self._stacked_bias())
        return self._replica_leading_output(outputs, inputs)

    def _replica_leading_input(self, inputs):
        """``(b, R, N, F)`` as ``(R, b*N, F)``: a free reshape at batch 1, else a transpose first."""
        if inputs.shape[0] != 1:
            inputs = keras.ops.transpose(inputs, (1, 0, 2, 3))
        return keras.ops.reshape(inputs, (self.replicas, -1, self.input_features))

    def _replica_leading_output(self, outputs, inputs):
        """``(R, b*N, units)`` back to ``(b, R, N, units)``, ``b`` and ``N`` those of ``inputs``."""
        points = keras.ops.shape(inputs)[-2]  # static where known, else the runtime size
        if inputs.shape[0] == 1:
            return keras.ops.reshape(outputs, (1, self.replicas, points, self.units))
        outputs = keras.ops.reshape(outputs, (self.replicas, -1, points, self.units))
        return keras.ops.transpose(outputs, (1, 0, 2, 3))


PRODUCT_PATHS = ("single", "per_replica", "replica_leading", "broadcast")


def product_path(replicas, is_first_layer):
    """How ``MultiDense`` computes its product on the active backend, one of ``PRODUCT_PATHS``
    (each a ``MultiDense._<path>`` method); read when a layer is traced."""
    if replicas == 1:
        return "single"
    backend = keras.backend.backend()
    if backend in PER_REPLICA_PRODUCT_CPU_BACKENDS and not keras.distribution.list_devices("gpu"):
        return "per_replica"
    leading = FIRST_LAYER_REPLICA_LEADING_BACKENDS if is_first_layer else REPLICA_LEADING_BACKENDS
    return "replica_leading" if backend in leading else "broadcast"
