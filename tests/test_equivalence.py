"""Reference and fused networks on the same seeds: same weights, outputs, gradients and Adam step."""

import keras
import numpy as np
import pytest

import multidense_impl
import reference_impl
from harness.device import float32_tolerance
from harness.equivalence import sum_of_squares
from harness.gradients import loss_and_gradients, replica_gradients
from multidense_impl import MultiDense, lowerings
from reference_impl import PerReplicaDense
from tests.conftest import relative_difference, spaced_seeds, to_numpy

pytestmark = pytest.mark.backend_matrix

TOLERANCE = float32_tolerance(1e-5)  # max|diff| / max|ref|: float32, wider where GEMMs run in TF32


def build_pair(replicas, **kwargs):
    seeds = spaced_seeds(replicas)
    return reference_impl.build_network(seeds, **kwargs), multidense_impl.build_network(seeds, **kwargs)


@pytest.fixture(scope="module", params=[1, 10, 100])
def pair(request):
    return request.param, *build_pair(request.param)


def test_same_initial_weights(pair):
    _, reference, fused = pair
    for replica, (ref, fus) in enumerate(zip(reference_impl.get_replica_weights(reference),
                                             multidense_impl.get_replica_weights(fused), strict=True)):
        for (k_ref, b_ref), (k_fus, b_fus) in zip(ref, fus, strict=True):
            np.testing.assert_array_equal(k_ref, k_fus, err_msg=f"replica {replica}")
            np.testing.assert_array_equal(b_ref, b_fus, err_msg=f"replica {replica}")


def test_outputs_agree(pair, xgrid):
    replicas, reference, fused = pair
    expected, actual = to_numpy(reference(xgrid)), to_numpy(fused(xgrid))
    assert actual.shape == expected.shape == (1, replicas, xgrid.shape[1], 8)
    assert relative_difference(actual, expected) <= TOLERANCE


def test_gradients_agree_per_replica(pair, xgrid):
    replicas, reference, fused = pair
    expected = replica_gradients(reference, reference_impl, xgrid, sum_of_squares)
    actual = replica_gradients(fused, multidense_impl, xgrid, sum_of_squares)
    for replica in range(replicas):
        for layer, (ref, fus) in enumerate(zip(expected[replica], actual[replica], strict=True)):
            for name, r, f in zip(("kernel", "bias"), ref, fus, strict=True):
                assert relative_difference(f, r) <= TOLERANCE, (replica, layer, name)


def test_one_adam_step_gives_the_same_weights(xgrid):
    reference, fused = build_pair(10)
    for model in (reference, fused):
        _, gradients = loss_and_gradients(model, xgrid, sum_of_squares)
        optimizer = keras.optimizers.Adam(learning_rate=1e-2)
        optimizer.apply(gradients, model.trainable_variables)
    before = multidense_impl.get_replica_weights(build_pair(10)[1])
    after_ref = reference_impl.get_replica_weights(reference)
    after_fus = multidense_impl.get_replica_weights(fused)
    for replica in range(10):
        for layer in range(3):
            for which in (0, 1):
                ref, fus = after_ref[replica][layer][which], after_fus[replica][layer][which]
                assert np.max(np.abs(ref - before[replica][layer][which])) > 1e-3  # it moved
                assert relative_difference(fus, ref) <= TOLERANCE, (replica, layer, which)


@pytest.mark.parametrize("is_first_layer", [True, False])
def test_layers_agree_one_to_one(is_first_layer):
    seeds = spaced_seeds(4)
    shape = (2, 30, 6) if is_first_layer else (2, 4, 30, 6)
    inputs = np.random.default_rng(0).normal(size=shape).astype("float32")
    kwargs = dict(is_first_layer=is_first_layer, base_seed=1, activation="tanh",
                  bias_initializer="random_normal")
    fused, reference = MultiDense(5, seeds, **kwargs), PerReplicaDense(5, seeds, **kwargs)
    expected, actual = to_numpy(reference(inputs)), to_numpy(fused(inputs))
    assert actual.shape == expected.shape == (2, 4, 30, 5)
    assert fused.compute_output_shape(shape) == reference.compute_output_shape(shape) == (2, 4, 30, 5)
    assert relative_difference(actual, expected) <= TOLERANCE


def test_replica_outputs_are_distinct(xgrid):
    _, fused = build_pair(3)
    outputs = to_numpy(fused(xgrid))
    assert not np.allclose(outputs[:, 0], outputs[:, 1])


def test_dropout_networks_build_and_drop(xgrid):
    reference, fused = build_pair(3, dropout_rate=0.5)
    for model in (reference, fused):
        assert any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)
        inference = to_numpy(model(xgrid, training=False))
        training = to_numpy(model(xgrid, training=True))
        assert not np.allclose(inference, training)


LOWERING_CASES = [(name, 3) for name in lowerings.candidates(3)] + [(name, 1) for name in lowerings.LOWERINGS]


@pytest.mark.parametrize(("lowering", "replicas"), LOWERING_CASES)
@pytest.mark.parametrize("is_first_layer", [True, False])
@pytest.mark.parametrize("batch", [1, 2])
def test_every_lowering_agrees_with_the_reference(lowering, replicas, is_first_layer, batch):
    """Each way MultiDense can compute its product (auto picks one per machine) gives the
    reference's outputs and kernel gradients, at batch 1 and 2, with 3 replicas and with 1."""
    seeds = spaced_seeds(replicas)
    shape = (batch, 30, 2) if is_first_layer else (batch, replicas, 30, 6)
    inputs = keras.ops.convert_to_tensor(np.random.default_rng(1).normal(size=shape).astype("float32"))
    kwargs = dict(is_first_layer=is_first_layer, base_seed=1, activation="tanh",
                  bias_initializer="random_normal")
    fused, reference = (keras.Sequential([keras.Input(shape[1:], batch_size=batch), layer])
                        for layer in (MultiDense(4, seeds, lowering=lowering, **kwargs),
                                      PerReplicaDense(4, seeds, **kwargs)))
    assert fused.layers[0].lowering_used == lowering
    expected_loss, expected = loss_and_gradients(reference, inputs, sum_of_squares)
    actual_loss, actual = loss_and_gradients(fused, inputs, sum_of_squares)
    assert relative_difference(to_numpy(fused(inputs)), to_numpy(reference(inputs))) <= TOLERANCE
    assert relative_difference(to_numpy(actual_loss), to_numpy(expected_loss)) <= TOLERANCE
    kernel_gradients = to_numpy(actual[0])
    for replica in range(replicas):
        ref_kernel_gradient = to_numpy(expected[2 * replica])
        assert relative_difference(kernel_gradients[replica], ref_kernel_gradient) <= TOLERANCE, replica
