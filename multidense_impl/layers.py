"""MultiDense: one fused kernel of shape (replicas, in, out) for all replicas of a dense layer."""

import keras

from harness.replica_layer import ReplicaLayer
from multidense_impl import lowerings
from multidense_impl.initializers import MultiInitializer


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiDense(ReplicaLayer):
    """Dense layer for R replicas with one fused kernel and bias (one variable each).

    Kernel ``(R, F, units)``, bias ``(R, 1, units)``. The product is the einsum ``bnf,rfg->brng`` on
    the first layer (its input has no replica axis) and ``brnf,rfg->brng`` after, computed by one of
    ``lowerings.LOWERINGS`` (each a ``_<lowering>`` method), chosen when the layer is built:

    * ``single``: R = 1, a plain ``(N, F) @ (F, units)`` as ``Dense`` does;
    * ``per_replica``: R plain matmuls on the kernel's replica slices;
    * ``replica_leading``: ``(R, b*N, F) @ (R, F, units)``, the replica axis the only batch axis;
    * ``broadcast``: ``(b, 1 or R, N, F) @ (R, F, units)``, the replica axis a broadcast batch axis.

    ``lowering`` (default None: ``MRH_LOWERING``, else ``auto``) pins one of them, or asks for
    ``auto`` (measured on this machine, cached) or ``prior`` (the backend's default, unmeasured);
    ``lowering_used`` says which one runs.
    """

    def __init__(self, units, replica_seeds, *args, lowering=None, **kwargs):
        super().__init__(units, replica_seeds, *args, **kwargs)
        self.lowering = None if lowering is None else lowerings.check_lowering(lowering)
        self.lowering_used = None

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
        self.lowering_used = lowerings.resolve(self, input_shape)

    @property
    def equation(self):
        """The einsum this layer computes (documentation and tests; ``call`` uses ``matmul``)."""
        return "bnf,rfg->brng" if self.is_first_layer else "brnf,rfg->brng"

    def call(self, inputs):
        self.check_input_shape(inputs.shape)
        return getattr(self, f"_{self.lowering_used}")(inputs)

    def get_config(self):
        return {**super().get_config(), "lowering": self.lowering}

    def _broadcast(self, inputs):
        """``(b, 1 or R, N, F) @ (R, F, units)``, the replica axis a broadcast batch axis."""
        if self.is_first_layer:
            inputs = keras.ops.expand_dims(inputs, 1)  # (b, 1, N, F): broadcast over replicas
        kernel = self.kernel
        if self.replicas == 1:
            # (F, units): TensorFlow's oneDNN BatchMatMul broadcasts a kernel batch axis of length 1
            # wrongly when the batch is > 1 (garbage, or a heap corruption; TensorFlow 2.21)
            kernel = keras.ops.reshape(kernel, (self.input_features, self.units))
        return self._bias_and_activation(keras.ops.matmul(inputs, kernel), self._stacked_bias())

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
        """R plain ``(b*N, F) @ (F, units)`` products on replica slices. Inputs, kernel and bias are
        split with ``unstack`` on a leading axis, which TensorFlow does without a copy and whose
        gradient is one stack; an indexed slice ``x[r]`` would back-propagate R full-size zero-padded
        gradients."""
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
        """The product as ``(R, b*N, F) @ (R, F, units)``, the replica axis leading; with batch 1 (the
        fit's) every reshape is free."""
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
