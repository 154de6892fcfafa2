"""One registry of implementations, read by the tests, benchmarks, validation and reports.

A name in ``IMPLEMENTATIONS`` or any importable module that provides ``build_network`` (e.g.
``mypackage.fused``) can be used wherever an implementation is asked for.
"""

import importlib

IMPLEMENTATIONS = {
    "reference": "reference_impl",
    "multidense": "multidense_impl",
}

REFERENCE = "reference"


def implementation_names():
    """The registered implementation names, the reference first."""
    return list(IMPLEMENTATIONS)


def load_implementation(name):
    """The module behind an implementation name or an importable module path."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"implementation must be a non-empty name, got {name!r}")
    module_name = IMPLEMENTATIONS.get(name, name)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name not in _prefixes(module_name):
            raise  # the module exists but one of its own imports is missing
        raise ValueError(
            f"unknown implementation {name!r}: not one of {implementation_names()} and "
            f"not an importable module"
        ) from None
    if not callable(getattr(module, "build_network", None)):
        raise ValueError(f"implementation {name!r} ({module_name}) provides no build_network()")
    return module


def _prefixes(module_name):
    """'a.b.c' -> {'a', 'a.b', 'a.b.c'}: the imports whose absence means the name is unknown."""
    parts = module_name.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}
