"""Resolve Keras initializers and activations by name, and reseed initializers."""

import keras


def resolve_initializer(identifier, name):
    """A Keras initializer instance for ``identifier``; the error names the parameter."""
    try:
        initializer = keras.initializers.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: unknown initializer {identifier!r} ({error})") from None
    if initializer is None:
        raise ValueError(f"{name}: an initializer is required, got None")
    return initializer


def resolve_activation(identifier, name):
    """A Keras activation function for ``identifier``; the error names the parameter."""
    try:
        return keras.activations.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: unknown activation {identifier!r} ({error})") from None


def is_seeded(initializer):
    """True when the initializer draws random numbers from a seed."""
    return "seed" in initializer.get_config()


def seeded_copy(initializer, seed):
    """A fresh copy of ``initializer`` drawing from ``seed`` (unseeded ones are copied as they are)."""
    config = initializer.get_config()
    if "seed" in config:
        config["seed"] = int(seed)
    return type(initializer).from_config(config)
