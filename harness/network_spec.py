"""The validated arguments of ``build_network``, shared by every implementation."""

from dataclasses import dataclass

import keras

from harness.arguments import (
    check_dropout_rate,
    check_int,
    check_layer_sizes,
    check_replica_seeds,
    warn_seed_collisions,
)
from harness.keras_objects import resolve_activation, resolve_initializer


@dataclass(frozen=True)
class NetworkSpec:
    """Everything a network builder needs, checked before any backend work."""

    replica_seeds: tuple
    nodes: tuple
    activations: tuple
    kernel_initializer: object
    input_features: int
    dropout_rate: float

    @classmethod
    def from_arguments(cls, replica_seeds, nodes, activations, kernel_initializer,
                       input_features, dropout_rate):
        seeds = check_replica_seeds(replica_seeds)
        nodes, activations = check_layer_sizes(nodes, activations)
        for i, activation in enumerate(activations):
            resolve_activation(activation, f"activations[{i}]")
        spec = cls(
            replica_seeds=seeds,
            nodes=nodes,
            activations=activations,
            kernel_initializer=resolve_initializer(kernel_initializer, "kernel_initializer"),
            input_features=check_int(input_features, "input_features", minimum=1),
            dropout_rate=check_dropout_rate(dropout_rate),
        )
        warn_seed_collisions(seeds, len(nodes))
        return spec

    @property
    def replicas(self):
        return len(self.replica_seeds)

    @property
    def layers(self):
        """(index, units, activation) of each layer."""
        return list(zip(range(len(self.nodes)), self.nodes, self.activations, strict=True))

    def inputs(self):
        """The model input: a (1, N, input_features) grid with N free."""
        return keras.Input(shape=(None, self.input_features), name="xgrid")
