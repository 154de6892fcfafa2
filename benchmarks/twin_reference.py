"""The reference registered under a second name: the A/A twin of the timing power study.

Timing ``reference`` against ``benchmarks.twin_reference`` compares identical code, so every
"faster" or "slower" verdict between them is a false alarm.
"""

from reference_impl import build_network, get_replica_weights, make_optimizer, set_replica_weights

__all__ = ["build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]
