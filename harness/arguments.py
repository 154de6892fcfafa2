"""Argument checks shared by every implementation: one place, errors that name the parameter."""

import numbers
import warnings
from collections import defaultdict


class SeedCollisionWarning(UserWarning):
    """Two (replica, layer) pairs draw from the same seed, hence the same random stream."""


def check_int(value, name, minimum=0):
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_replica_seeds(replica_seeds):
    """Return the seeds as a tuple of distinct non-negative ints, one per replica."""
    if isinstance(replica_seeds, (str, bytes)) or not hasattr(replica_seeds, "__len__"):
        raise TypeError(
            f"replica_seeds must be a sequence of integers, got {type(replica_seeds).__name__}"
        )
    if len(replica_seeds) == 0:
        raise ValueError("replica_seeds must hold one seed per replica; got an empty sequence")
    seeds = tuple(check_int(s, f"replica_seeds[{i}]") for i, s in enumerate(replica_seeds))
    duplicated = sorted({s for s in seeds if seeds.count(s) > 1})
    if duplicated:
        raise ValueError(
            f"replica_seeds must be distinct (equal seeds make identical replicas); "
            f"repeated: {duplicated}"
        )
    return seeds


def check_dropout_rate(rate):
    """Return the rate as a float in [0, 1)."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"dropout_rate must be a number, got {rate!r}")
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout_rate must lie in [0, 1), got {rate}")
    return float(rate)


def check_layer_sizes(nodes, activations):
    """Return (nodes, activations) as tuples of equal length with positive layer widths."""
    nodes, activations = tuple(nodes), tuple(activations)
    if not nodes:
        raise ValueError("nodes must name at least one layer width")
    if len(nodes) != len(activations):
        raise ValueError(
            f"nodes and activations must have the same length, got {len(nodes)} nodes "
            f"and {len(activations)} activations"
        )
    return tuple(check_int(n, f"nodes[{i}]", minimum=1) for i, n in enumerate(nodes)), activations


def layer_seed(replica_seed, layer_index):
    """The NNPDF convention: layer i of a replica is seeded with its replica seed + i."""
    return replica_seed + layer_index


def seed_collisions(replica_seeds, n_layers):
    """Groups of (replica, layer) pairs that share one seed under the +i convention."""
    owners = defaultdict(list)
    for replica, seed in enumerate(replica_seeds):
        for layer in range(n_layers):
            owners[layer_seed(seed, layer)].append((replica, layer))
    return [pairs for pairs in owners.values() if len(pairs) > 1]


def warn_seed_collisions(replica_seeds, n_layers, shown=5):
    """Warn, naming the colliding (replica, layer) pairs, when two layers share a seed."""
    collisions = seed_collisions(replica_seeds, n_layers)
    if not collisions:
        return collisions
    listed = "; ".join(" = ".join(f"(replica {r}, layer {i})" for r, i in group)
                       for group in collisions[:shown])
    more = f" and {len(collisions) - shown} more" if len(collisions) > shown else ""
    warnings.warn(
        f"replica_seeds collide under the seed + layer_index convention: {listed}{more}. "
        f"Keras draws the same random stream for the same seed whatever the shape, so these "
        f"weight blocks are correlated; space the seeds at least {n_layers} apart.",
        SeedCollisionWarning,
        stacklevel=3,
    )
    return collisions
