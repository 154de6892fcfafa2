"""The implementation under validation and the replica seeds of each run."""

from harness.registry import REFERENCE, load_implementation

WEIGHT_FUNCTIONS = ("get_replica_weights", "set_replica_weights")
SEED_SPACING = 10  # > number of layers: no seed + layer collisions
RUN_STRIDE = 100_003  # seeds of run s start at s * RUN_STRIDE


def load_candidate(name):
    """The module behind ``name``; it must provide build_network and the replica weight functions."""
    module = load_implementation(name)
    missing = [f for f in WEIGHT_FUNCTIONS if not callable(getattr(module, f, None))]
    if missing:
        raise ValueError(f"implementation {name!r} provides no {', '.join(missing)}() (needed to "
                         f"compare weights replica by replica)")
    return module


def require_candidate(parser, name):
    """``load_candidate(name)``, or the command's usage error (exit 2) naming ``--candidate``."""
    try:
        return load_candidate(name)
    except (ValueError, ImportError) as error:
        parser.error(f"--candidate {name!r}: {error}")


def reference():
    return load_implementation(REFERENCE)


def replica_seeds(replicas, run_seed, stream=0):
    """Spaced seeds for run ``run_seed``; another ``stream`` gives an independent set."""
    start = 7 + (2 * run_seed + stream) * RUN_STRIDE
    return [start + SEED_SPACING * r for r in range(replicas)]
