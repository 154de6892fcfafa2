"""Defect: an einsum that mixes replicas, replica r using its kernel plus LEAK times replica r + 1's."""

import keras

from multidense_impl import MultiDense, get_replica_weights, make_optimizer, set_replica_weights
from multidense_impl import build_network as build_fused
from validation.defects.rebuild import rebuild, swap_class

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]

LEAK = 1e-2


class MixingMultiDense(MultiDense):
    def call(self, inputs):
        kernel = self.kernel + LEAK * keras.ops.roll(self.kernel, -1, axis=0)
        return self.activation(keras.ops.einsum(self.equation, inputs, kernel) + self.bias)


def build_network(replica_seeds, **kwargs):
    return rebuild(build_fused(replica_seeds, **kwargs), swap_class(MixingMultiDense))
