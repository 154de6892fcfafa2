"""Defect: one dropout mask shared by all replicas (noise shape 1 on the replica axis)."""

import keras

from multidense_impl import build_network as build_fused
from multidense_impl import get_replica_weights, make_optimizer, set_replica_weights
from validation.defects.rebuild import rebuild

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]


def build_network(replica_seeds, dropout_rate=0.0, **kwargs):
    network = build_fused(replica_seeds, **kwargs)
    if dropout_rate == 0:
        return network
    first = network.layers[1]
    shared = keras.layers.Dropout(dropout_rate, noise_shape=(None, 1, None, None),
                                  seed=replica_seeds[0], name="shared_dropout")
    return rebuild(network, lambda layer: [layer, shared] if layer is first else [layer])
