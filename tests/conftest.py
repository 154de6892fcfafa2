"""Shared fixtures: spaced replica seeds (no +i collisions) and the NNPDF-like x-grid."""

import os
from pathlib import Path

import keras
import numpy as np
import pytest

from harness.autotune import CACHE_VARIABLE
from harness.workload import x_grid
from multidense_impl.lowerings import LOWERING_VARIABLE, PRIOR
from validation.timing.aa import SUMMARY_CACHE_VARIABLE

# Deterministic tests: MultiDense computes with the backend's prior lowering unless a test asks for
# another (every lowering is checked against the reference in test_equivalence.py; ``auto``, the
# measured choice, in test_lowerings.py). What ``auto`` measures goes to the project's own ignored
# cache folder, not the user's, shared by every test process and the CLIs they start.
TEST_TUNING_CACHE = Path(__file__).resolve().parents[1] / ".pytest_cache" / "tuning.json"
os.environ.setdefault(CACHE_VARIABLE, str(TEST_TUNING_CACHE))
os.environ.setdefault(LOWERING_VARIABLE, PRIOR)
# Summaries of the committed A/A ledgers (read by every report page and ``make compare``) likewise.
os.environ.setdefault(SUMMARY_CACHE_VARIABLE, str(TEST_TUNING_CACHE.parent / "aa-summaries"))


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


@pytest.fixture
def vector_set(monkeypatch):
    """Set the CPU vector set the device description reports: ``vector_set("avx2")``; the cached
    description is dropped before, at each setting and after."""
    from harness import device, host

    def set_to(name):
        monkeypatch.setattr(host, "cpu_vector_set", lambda flags=None: name)
        device.device_description.cache_clear()

    device.device_description.cache_clear()
    yield set_to
    monkeypatch.undo()
    device.device_description.cache_clear()


def pytest_collection_modifyitems(config, items):
    """``make test`` runs wall-clock tests alone once, in the first TensorFlow pass: so a test marked
    ``wall_clock`` must be ``tensorflow_kernel_free`` and not ``backend_matrix`` (the passes that
    run in parallel never select it)."""
    misplaced = [item.nodeid for item in items if item.get_closest_marker("wall_clock") and (
        not item.get_closest_marker("tensorflow_kernel_free") or item.get_closest_marker("backend_matrix"))]
    if misplaced:
        raise pytest.UsageError("wall_clock tests must be tensorflow_kernel_free and not backend_matrix "
                                f"(make test times them alone once): {misplaced}")
