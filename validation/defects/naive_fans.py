"""Defect: the kernel initializer drawn once on the whole (R, in, out) shape, so both fans are R times
too large and the Glorot standard deviation sqrt(R) times too small."""

from harness.keras_objects import seeded_copy
from multidense_impl import MultiDense, get_replica_weights, make_optimizer, set_replica_weights
from multidense_impl import build_network as build_fused

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]


def build_network(replica_seeds, **kwargs):
    network = build_fused(replica_seeds, **kwargs)
    for layer in network.layers:
        if isinstance(layer, MultiDense):
            naive = seeded_copy(layer.kernel_initializer, layer.base_seed + layer.replica_seeds[0])
            layer.kernel.assign(naive(tuple(layer.kernel.shape), dtype=layer.kernel.dtype))
    return network
