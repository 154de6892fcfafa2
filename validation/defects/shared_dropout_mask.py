"""Defect: one dropout mask shared by all replicas (noise shape 1 on the replica axis).

``PartlySharedDropout(fraction)`` plants it at a strength: each element's mask is the shared one with
probability ``fraction`` and the replica's own otherwise (1: this module's defect; 0: correct dropout),
for detection curves over defect strength.
"""

from dataclasses import dataclass

import keras

from multidense_impl import build_network as build_fused
from multidense_impl import get_replica_weights, make_optimizer, set_replica_weights
from validation.defects.rebuild import rebuild

__all__ = ["PartlySharedDropout", "build_network", "get_replica_weights", "make_optimizer",
           "set_replica_weights"]


def build_network(replica_seeds, dropout_rate=0.0, **kwargs):
    return _with_dropout(replica_seeds, dropout_rate, lambda: keras.layers.Dropout(
        dropout_rate, noise_shape=(None, 1, None, None), seed=replica_seeds[0], name="shared_dropout"),
        **kwargs)


def _with_dropout(replica_seeds, dropout_rate, make_dropout, **kwargs):
    """The fused network without its own dropout, ``make_dropout()`` after the first hidden layer."""
    network = build_fused(replica_seeds, **kwargs)
    if dropout_rate == 0:
        return network
    first, dropout = network.layers[1], make_dropout()
    return rebuild(network, lambda layer: [layer, dropout] if layer is first else [layer])


class MixedDropout(keras.layers.Layer):
    """Dropout on ``(b, R, N, F)`` whose mask is, per element, the replicas' shared one with probability
    ``fraction`` and each replica's own otherwise."""

    def __init__(self, rate, fraction, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.fraction = float(rate), float(fraction)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        batch, replicas, points, features = keras.ops.shape(inputs)
        own = keras.random.uniform((batch, replicas, points, features), seed=self.seed_generator)
        shared = keras.random.uniform((batch, 1, points, features), seed=self.seed_generator)
        pick = keras.random.uniform((batch, replicas, points, features), seed=self.seed_generator)
        keep = keras.ops.where(pick < self.fraction, shared, own) >= self.rate
        return keras.ops.where(keep, inputs / (1.0 - self.rate), keras.ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape


@dataclass(frozen=True)
class PartlySharedDropout:
    """The shared-mask defect at strength ``fraction`` in [0, 1], usable wherever a candidate module is."""

    fraction: float

    def __post_init__(self):
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must lie in [0, 1], got {self.fraction!r}")

    @property
    def __name__(self):
        return f"{__name__}.PartlySharedDropout({self.fraction:g})"

    def build_network(self, replica_seeds, dropout_rate=0.0, **kwargs):
        return _with_dropout(replica_seeds, dropout_rate, lambda: MixedDropout(
            dropout_rate, self.fraction, seed=replica_seeds[0], name="mixed_dropout"), **kwargs)

    get_replica_weights = staticmethod(get_replica_weights)
    set_replica_weights = staticmethod(set_replica_weights)
    make_optimizer = staticmethod(make_optimizer)
