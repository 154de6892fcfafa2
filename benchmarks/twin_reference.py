"""The reference registered under a second name: the A/A twin of the timing power study and of the
grid's A/A rate (``benchmarks.grid.aa``).

Timing ``reference`` against ``benchmarks.twin_reference`` compares identical code, so every
"faster" or "slower" verdict between them is a false alarm.
"""

from reference_impl import (
    PerReplicaDense,
    build_network,
    get_replica_weights,
    make_optimizer,
    set_replica_weights,
)

__all__ = ["PerReplicaDense", "build_network", "get_replica_weights", "make_optimizer", "set_replica_weights"]
