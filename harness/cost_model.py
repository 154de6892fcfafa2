"""The linear cost model time = a + b * R (benchmarks and report plots), and where fused wins."""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CostModel:
    """``seconds(R) = intercept + slope * R``."""

    intercept: float
    slope: float

    def seconds(self, replicas):
        return self.intercept + self.slope * replicas


def fit_cost_model(replicas, seconds):
    """Least-squares fit of ``seconds = a + b * replicas``; needs two distinct replica counts."""
    replicas = np.asarray(replicas, dtype=float)
    seconds = np.asarray(seconds, dtype=float)
    if replicas.ndim != 1 or replicas.shape != seconds.shape:
        raise ValueError(
            f"replicas and seconds must be 1-D of the same length, got shapes {replicas.shape} "
            f"and {seconds.shape}"
        )
    if not (np.all(np.isfinite(replicas)) and np.all(np.isfinite(seconds))):
        raise ValueError("replicas and seconds must be finite")
    if np.unique(replicas).size < 2:
        raise ValueError(f"replicas must hold at least two distinct values, got {replicas.tolist()}")
    slope, intercept = np.polyfit(replicas, seconds, deg=1)
    return CostModel(intercept=float(intercept), slope=float(slope))


def crossover_replicas(reference, candidate):
    """The replica count from which ``candidate`` is at least as fast as ``reference`` for good.

    ``R* = (a_ref - a_cand) / (b_cand - b_ref)`` when the candidate scales better (smaller slope),
    clipped at 0 (0 means: at least as fast at every R). ``inf`` means never for large R: the
    candidate's slope is larger (it may still win below R*), or the slopes are equal and its
    intercept is larger.
    """
    slope_gap = candidate.slope - reference.slope
    intercept_gap = reference.intercept - candidate.intercept
    if slope_gap < 0:
        return max(0.0, intercept_gap / slope_gap)
    if slope_gap == 0 and intercept_gap >= 0:
        return 0.0
    return math.inf
