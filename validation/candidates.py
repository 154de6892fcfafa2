"""The implementation under validation and the replica seeds of each run."""

import functools
import types

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


def mixed_lowering_candidate(lowering, name="multidense"):
    """The fused implementation ``name`` with ``lowering`` passed to its ``build_network`` (one
    lowering per layer: the mixes the autotuner may choose on some machine)."""
    fused = load_candidate(name)
    module = types.ModuleType(f"{fused.__name__}[lowering={'/'.join(lowering)}]")
    module.__dict__.update({key: value for key, value in vars(fused).items()
                            if not key.startswith("__")})
    module.build_network = functools.partial(fused.build_network, lowering=tuple(lowering))
    return module


def reference():
    return load_implementation(REFERENCE)


def replica_seeds(replicas, run_seed, stream=0):
    """Spaced seeds for run ``run_seed``; another ``stream`` gives an independent set."""
    start = 7 + (2 * run_seed + stream) * RUN_STRIDE
    return [start + SEED_SPACING * r for r in range(replicas)]
