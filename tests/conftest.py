"""Shared fixtures: spaced replica seeds (no +i collisions) and the NNPDF-like x-grid."""

import keras
import numpy as np
import pytest

from harness.workload import x_grid


def spaced_seeds(replicas, spacing=10, offset=7):
    """Seeds far enough apart that layer seeds (seed + i) never collide."""
    return [offset + spacing * r for r in range(replicas)]


def to_numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def relative_difference(candidate, reference):
    """max|candidate - reference| / max|reference|."""
    candidate, reference = np.asarray(candidate), np.asarray(reference)
    return float(np.max(np.abs(candidate - reference)) / np.max(np.abs(reference)))


@pytest.fixture(scope="session")
def xgrid():
    """N = 1500 points of (x, log x) with x log-spaced in [1e-6, 1]."""
    return x_grid(1500)
