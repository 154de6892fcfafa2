"""The fused implementation: MultiDense layers with a (replicas, in, out) kernel."""

from multidense_impl.initializers import MultiInitializer
from multidense_impl.layers import MultiDense
from multidense_impl.network import build_network
from multidense_impl.optimizers import make_optimizer
from multidense_impl.weights import get_replica_weights, set_replica_weights

__all__ = ["MultiDense", "MultiInitializer", "build_network", "get_replica_weights", "make_optimizer",
           "set_replica_weights"]
