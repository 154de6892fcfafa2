"""A correct alternative fused layer: MultiDense computed with ``keras.ops.einsum`` instead of matmul.

It must pass the fit-level checks (the power table's "not flagged" row):
``python -m validation --fit --candidate validation.fit.einsum``.
"""

import keras

from multidense_impl import MultiDense, get_replica_weights, make_optimizer, set_replica_weights
from multidense_impl import build_network as build_fused
from validation.defects.rebuild import rebuild, swap_class

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]


class EinsumMultiDense(MultiDense):
    """The upstream formulation: ``bnf,rfg->brng`` (first layer) or ``brnf,rfg->brng``, plus bias."""

    def call(self, inputs):
        self.check_input_shape(inputs.shape)
        outputs = keras.ops.einsum(self.equation, inputs, self.kernel)
        return self.activation(outputs + self.bias if self.use_bias else outputs)


def build_network(replica_seeds, **kwargs):
    return rebuild(build_fused(replica_seeds, **kwargs), swap_class(EinsumMultiDense))
