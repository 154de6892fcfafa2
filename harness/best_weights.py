"""Each replica's best weights, kept on the device during a fit.

Every trainable element has an owning replica (found once through the implementation's
``set_replica_weights``), and a step where some replica improved updates a flat copy of the variables
with one compiled ``where(improved[owner], value, best)``: no host copy of the weights per step.
"""

import keras
import numpy as np


def replica_owners(network, implementation):
    """``(elements,)`` int32 over the network's flattened trainable variables: 1 + the replica that owns
    each element (found through ``implementation.set_replica_weights``), 0 where no replica does."""
    variables = network.trainable_variables
    saved = [keras.ops.convert_to_numpy(v) for v in variables]
    per_replica = implementation.get_replica_weights(network)
    for variable in variables:
        variable.assign(keras.ops.full(variable.shape, -1.0, variable.dtype))
    implementation.set_replica_weights(network, [
        [tuple(np.full_like(a, replica + 1) for a in pair) for pair in stack]
        for replica, stack in enumerate(per_replica)
    ])
    owners = [np.rint(keras.ops.convert_to_numpy(v)).reshape(-1) for v in variables]
    for variable, value in zip(variables, saved, strict=True):
        variable.assign(value)
    return np.maximum(np.concatenate(owners), 0).astype("int32")


def flatten(values):
    return keras.ops.concatenate([keras.ops.reshape(v, (-1,)) for v in values])


def keep_best(values, best, owners, take):
    """The new flat best copy: ``values`` where the element's owner is taken (0, unowned: always)."""
    return keras.ops.where(keras.ops.take(take, owners), flatten(values), best)


class BestWeights:
    """A device-side flat copy of the trainable variables, updated per replica by one compiled call."""

    def __init__(self, variables, owners):
        self.variables = variables
        self.owners = keras.ops.convert_to_tensor(owners)
        self.backend = keras.backend.backend()
        self.best = flatten([v.value for v in variables])
        if self.backend == "tensorflow":
            import tensorflow as tf

            self.best = tf.Variable(self.best, trainable=False)

            @tf.function(jit_compile=True)
            def update(take):  # the variables are captured: passing them as arguments costs more
                self.best.assign(keep_best([v.value for v in variables], self.best, self.owners, take))
            self._update = update
        elif self.backend == "jax":
            import jax

            self._jitted = jax.jit(keep_best)
        elif self.backend != "torch":
            raise ValueError(f"backend: unsupported Keras backend {self.backend!r} (tensorflow, jax, torch)")

    def reset(self):
        """The current weights become the best."""
        current = flatten([v.value for v in self.variables])
        if self.backend == "tensorflow":
            self.best.assign(current)
        else:
            self.best = current

    def update(self, improved):
        """Copy the current weights of the replicas where ``improved`` ((R,) bool) is True."""
        take = keras.ops.convert_to_tensor(np.concatenate([[True], improved]))
        if self.backend == "tensorflow":
            self._update(take)
        elif self.backend == "jax":
            self.best = self._jitted([v.value for v in self.variables], self.best, self.owners, take)
        else:
            import torch

            with torch.no_grad():
                self.best = keep_best([v.value for v in self.variables], self.best, self.owners, take)

    def restore(self):
        """Load the best copy into the variables."""
        best, offset = keras.ops.convert_to_tensor(self.best), 0
        for variable in self.variables:
            size = int(np.prod(variable.shape))
            variable.assign(keras.ops.reshape(best[offset:offset + size], variable.shape))
            offset += size
