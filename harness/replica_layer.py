"""The base of every replica-stacked dense layer: shared arguments, config, shapes and input checks."""

import keras

from harness.arguments import check_int, check_replica_seeds
from harness.keras_objects import resolve_activation, resolve_initializer


class ReplicaLayer(keras.layers.Layer):
    """A dense layer applied to R replicas at once.

    Input ``(batch, N, F)`` when ``is_first_layer`` (no replica axis yet), else ``(batch, R, N, F)``;
    output ``(batch, R, N, units)``. Subclasses provide ``build`` and ``call``.
    """

    def __init__(self, units, replica_seeds, kernel_initializer="glorot_normal",
                 bias_initializer="zeros", is_first_layer=False, base_seed=0, activation=None,
                 use_bias=True, **kwargs):
        units = check_int(units, "units", minimum=1)
        replica_seeds = check_replica_seeds(replica_seeds)
        base_seed = check_int(base_seed, "base_seed")
        kernel_initializer = resolve_initializer(kernel_initializer, "kernel_initializer")
        bias_initializer = resolve_initializer(bias_initializer, "bias_initializer")
        activation = resolve_activation(activation, "activation")
        super().__init__(**kwargs)
        self.units = units
        self.replica_seeds = replica_seeds
        self.base_seed = base_seed
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.activation = activation
        self.is_first_layer = bool(is_first_layer)
        self.use_bias = bool(use_bias)
        self.input_features = None

    @property
    def replicas(self):
        return len(self.replica_seeds)

    def check_input_shape(self, shape):
        """Raise a ValueError naming ``inputs`` when ``shape`` does not fit this layer."""
        shape = tuple(shape)
        layout = "(batch, N, features)" if self.is_first_layer else "(batch, replicas, N, features)"
        rank = 3 if self.is_first_layer else 4
        where = f"{type(self).__name__} '{self.name}'"
        if len(shape) != rank:
            raise ValueError(f"{where}: inputs must have rank {rank} {layout}, got shape {shape}")
        if not self.is_first_layer and shape[1] is not None and shape[1] != self.replicas:
            raise ValueError(
                f"{where}: inputs has {shape[1]} replicas on axis 1 but the layer has "
                f"{self.replicas} replica_seeds"
            )
        if self.input_features is not None and shape[-1] not in (None, self.input_features):
            raise ValueError(
                f"{where}: inputs has {shape[-1]} features on its last axis but the layer was "
                f"built for {self.input_features}"
            )
        if shape[-1] is None:
            raise ValueError(f"{where}: the feature axis of inputs must be known, got {shape}")

    def build(self, input_shape):
        self.check_input_shape(input_shape)
        self.input_features = int(input_shape[-1])

    def compute_output_shape(self, input_shape):
        self.check_input_shape(input_shape)
        return (input_shape[0], self.replicas, input_shape[-2], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            replica_seeds=list(self.replica_seeds),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            is_first_layer=self.is_first_layer,
            base_seed=self.base_seed,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
        )
        return config
