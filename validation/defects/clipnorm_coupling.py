"""Defect: the fused network trained with a plain Keras optimizer, whose clipnorm clips the whole fused
variable, hence all replicas together (multidense without per-replica clipping)."""

from harness.workload import make_optimizer
from multidense_impl import build_network, get_replica_weights, set_replica_weights

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]
