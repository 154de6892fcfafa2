"""Defect: replicas seeded consecutively (seed_0 + r), so under the +i layer convention layer i + 1 of
replica r draws the same stream as layer i of replica r + 1."""

import warnings

from harness.arguments import SeedCollisionWarning
from multidense_impl import build_network as build_fused
from multidense_impl import get_replica_weights, make_optimizer, set_replica_weights

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]


def build_network(replica_seeds, **kwargs):
    consecutive = [replica_seeds[0] + r for r in range(len(replica_seeds))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        return build_fused(consecutive, **kwargs)
