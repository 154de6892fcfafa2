"""The per-replica reference: plain Keras Dense layers, one independent stack per replica."""

from reference_impl.layers import PerReplicaDense
from reference_impl.network import build_network
from reference_impl.optimizers import make_optimizer
from reference_impl.weights import get_replica_weights, set_replica_weights

__all__ = ["PerReplicaDense", "build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]
