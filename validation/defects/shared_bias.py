"""Defect: one bias shared by all replicas (every replica adds replica 0's bias)."""

import keras

from multidense_impl import MultiDense, get_replica_weights, make_optimizer, set_replica_weights
from multidense_impl import build_network as build_fused
from validation.defects.rebuild import rebuild, swap_class

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]


class SharedBiasMultiDense(MultiDense):
    def call(self, inputs):
        outputs = keras.ops.einsum(self.equation, inputs, self.kernel)
        return self.activation(outputs + self.bias[:1])


def build_network(replica_seeds, **kwargs):
    return rebuild(build_fused(replica_seeds, **kwargs), swap_class(SharedBiasMultiDense))
