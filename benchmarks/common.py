"""The asv Benchmark base: sampling attributes from the active profile."""

from benchmarks.profiles import PROFILE


class Benchmark:
    """Sampling attributes from the profile. Warm-up is done explicitly in setup, so asv's own
    warm-up is off; ``number = 1`` so every sample is one call (asv re-runs setup per sample)."""

    number = 1
    warmup_time = 0.0
    repeat = PROFILE.repeat
    rounds = PROFILE.rounds
    timeout = PROFILE.timeout
    param_names = ["implementation", "replicas"]
