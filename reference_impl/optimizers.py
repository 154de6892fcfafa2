"""The reference's optimizer: the workload default (Keras Nadam, clipnorm per variable = per replica)."""

from harness.workload import make_optimizer

__all__ = ["make_optimizer"]
