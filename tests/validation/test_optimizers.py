"""Per-replica clipping: each replica slice of a fused variable is clipped as its own Keras variable."""

import keras
import numpy as np
import pytest

import multidense_impl
import reference_impl
from harness.nnpdf import NNPDF_CLIPNORM
from harness.workload import FitWorkload, make_optimizer
from multidense_impl.optimizers import PerReplicaClipNadam, replica_slice_axes
from tests.conftest import relative_difference, spaced_seeds, to_numpy

pytestmark = pytest.mark.backend_matrix


def test_each_replica_slice_is_clipped_by_its_own_norm():
    rng = np.random.default_rng(0)
    gradient = rng.normal(size=(3, 4, 5)).astype("float32") * np.array([1e-3, 1.0, 10.0])[:, None, None]
    gradient = gradient.astype("float32")
    optimizer = PerReplicaClipNadam(clipnorm=0.5)
    clipped = to_numpy(optimizer._clip_gradients([keras.ops.convert_to_tensor(gradient)])[0])
    per_variable = keras.optimizers.Nadam(clipnorm=0.5)
    for replica in range(3):
        expected = to_numpy(per_variable._clip_gradients([gradient[replica]])[0])
        np.testing.assert_allclose(clipped[replica], expected, rtol=1e-6)
    np.testing.assert_allclose(clipped[0], gradient[0], rtol=1e-6)  # below the norm: untouched
    assert np.linalg.norm(clipped[2]) == pytest.approx(0.5, rel=1e-5)


def test_low_rank_variables_are_clipped_whole():
    assert replica_slice_axes(np.zeros((4, 5))) is None
    assert replica_slice_axes(np.zeros((3, 1, 5))) == (1, 2)


def _train(implementation, optimizer, steps=5):
    workload = FitWorkload(replicas=3, n_points=60, n_datasets=3, data_per_dataset=10)
    network = implementation.build_network(spaced_seeds(3))
    model = workload.fit_model(network, optimizer)
    for _ in range(steps):
        model.train_on_batch(workload.xgrid, workload.pseudodata())
    return [a for stack in implementation.get_replica_weights(network) for pair in stack for a in pair]


def test_per_replica_clipping_trains_like_the_reference():
    expected = _train(reference_impl, reference_impl.make_optimizer(clipnorm=NNPDF_CLIPNORM))
    fixed = _train(multidense_impl, multidense_impl.make_optimizer(clipnorm=NNPDF_CLIPNORM))
    coupled = _train(multidense_impl, make_optimizer(clipnorm=NNPDF_CLIPNORM))
    assert max(relative_difference(f, e) for f, e in zip(fixed, expected, strict=True)) < 1e-5
    assert max(relative_difference(c, e) for c, e in zip(coupled, expected, strict=True)) > 1e-3


def test_without_clipnorm_it_is_plain_nadam():
    optimizer = multidense_impl.make_optimizer()
    assert isinstance(optimizer, keras.optimizers.Nadam) and optimizer.clipnorm is None
    # Keras's own class, so that its backend variant (PyTorch's _foreach update) is used
    assert type(optimizer) is type(keras.optimizers.Nadam())
    gradient = keras.ops.ones((2, 3, 3))
    np.testing.assert_array_equal(to_numpy(optimizer._clip_gradients([gradient])[0]), to_numpy(gradient))
