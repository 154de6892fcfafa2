"""MultiInitializer: per-replica draws of a base initializer, stacked on a leading replica axis."""

import keras

from harness.arguments import check_int, check_replica_seeds
from harness.keras_objects import resolve_initializer, seeded_copy


@keras.saving.register_keras_serializable(package="multidense_impl")
class MultiInitializer(keras.initializers.Initializer):
    """Draw each replica's ``shape[1:]`` block from a fresh copy of ``initializer``.

    Replica r's block is seeded ``base_seed + replica_seeds[r]``, so it equals what a plain
    per-replica layer would draw, and fan-in/fan-out stay those of one replica (an initializer
    called on the whole ``(R, in, out)`` shape would multiply both fans by R).
    """

    def __init__(self, initializer, replica_seeds, base_seed=0):
        self.initializer = resolve_initializer(initializer, "initializer")
        self.replica_seeds = check_replica_seeds(replica_seeds)
        self.base_seed = check_int(base_seed, "base_seed")

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if not shape or shape[0] != len(self.replica_seeds):
            raise ValueError(
                f"MultiInitializer: shape[0] must be the replica count "
                f"{len(self.replica_seeds)} (one per replica_seeds), got shape {shape}"
            )
        blocks = [
            seeded_copy(self.initializer, self.base_seed + seed)(shape[1:], dtype=dtype)
            for seed in self.replica_seeds
        ]
        return keras.ops.stack(blocks, axis=0)

    def get_config(self):
        return {
            "initializer": keras.initializers.serialize(self.initializer),
            "replica_seeds": list(self.replica_seeds),
            "base_seed": self.base_seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["initializer"] = keras.initializers.deserialize(config["initializer"])
        return cls(**config)
