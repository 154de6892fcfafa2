"""The shared NNPDF-like workload: grid, FK convolution, pseudo-data and chi2."""

import keras
import numpy as np
import pytest

import multidense_impl
from harness.device import float32_tolerance
from harness.workload import FitWorkload, FKConvolution, chi2_loss, make_optimizer, x_grid
from tests.conftest import spaced_seeds, to_numpy

pytestmark = pytest.mark.backend_matrix


def test_grid_is_log_spaced_x_and_log_x():
    grid = x_grid(1500)
    assert grid.shape == (1, 1500, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[0, [0, -1], 0], [1e-6, 1.0], rtol=1e-6)
    np.testing.assert_allclose(grid[0, :, 1], np.log(grid[0, :, 0]), rtol=1e-5, atol=1e-6)


def test_fk_convolution_matches_numpy():
    workload = FitWorkload(replicas=2, n_points=60, n_datasets=3, data_per_dataset=4)
    pdf = np.random.default_rng(1).normal(size=(1, 2, 60, 8)).astype("float32")
    actual = to_numpy(FKConvolution(workload.fk_table)(pdf))
    blocks = pdf.reshape(1, 2, 3, 20, 8)
    expected = np.einsum("brkpf,kdpf->brkd", blocks, workload.fk_table).reshape(1, 2, 12)
    tolerance = float32_tolerance(1e-5)  # wider where the device's GEMMs run in TF32
    coarse = tolerance > 1e-5  # then near-zero sums are off relative to the largest, not absolutely
    atol = tolerance * np.max(np.abs(expected)) if coarse else 1e-6
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=atol)


def test_pseudodata_differs_per_replica_and_shift_touches_one_replica():
    workload = FitWorkload(replicas=3)
    data, shifted = workload.pseudodata(), workload.pseudodata(replica_shift={1: 2.0})
    assert data.shape == (1, 3, workload.n_data) and workload.n_data == 2010
    assert not np.allclose(data[0, 0], data[0, 1])
    np.testing.assert_array_equal(shifted[0, [0, 2]], data[0, [0, 2]])
    np.testing.assert_allclose(shifted[0, 1] - data[0, 1], 2.0, rtol=1e-5)


def test_chi2_is_summed_over_replicas():
    y_true = np.zeros((1, 2, 4), dtype="float32")
    y_pred = np.stack([np.ones(4), 2 * np.ones(4)])[None].astype("float32")
    assert float(to_numpy(chi2_loss(y_true, y_pred))[0]) == pytest.approx(1.0 + 4.0)


def test_bad_workload_arguments_are_named():
    with pytest.raises(ValueError, match="replicas"):
        FitWorkload(replicas=0)
    with pytest.raises(ValueError, match="n_points.*n_datasets"):
        FitWorkload(replicas=1, n_points=100, n_datasets=30)


def test_fit_reduces_the_loss():
    workload = FitWorkload(replicas=2)
    model = workload.fit_model(multidense_impl.build_network(spaced_seeds(2)), make_optimizer())
    data = workload.pseudodata()
    first = float(model.train_on_batch(workload.xgrid, data))
    for _ in range(30):
        last = float(model.train_on_batch(workload.xgrid, data))
    assert last < 0.5 * first
    assert keras.ops.shape(model(workload.xgrid)) == (1, 2, workload.n_data)
