"""Configs round-trip and saved models reload with identical outputs."""

import keras
import numpy as np
import pytest

import multidense_impl
import reference_impl
from multidense_impl import MultiDense
from reference_impl import PerReplicaDense
from tests.conftest import spaced_seeds, to_numpy

pytestmark = pytest.mark.backend_matrix


@pytest.mark.parametrize("layer_class", [MultiDense, PerReplicaDense])
def test_layer_config_round_trip(layer_class):
    layer = layer_class(6, spaced_seeds(3), kernel_initializer="he_normal", is_first_layer=True,
                        base_seed=2, activation="tanh", use_bias=False, name="layer")
    clone = layer_class.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    inputs = np.ones((1, 4, 2), dtype="float32")
    np.testing.assert_array_equal(to_numpy(layer(inputs)), to_numpy(clone(inputs)))


@pytest.mark.parametrize("implementation", [multidense_impl, reference_impl])
def test_saved_model_reloads_with_identical_outputs(implementation, tmp_path, xgrid):
    model = implementation.build_network(spaced_seeds(3), dropout_rate=0.1)
    path = tmp_path / "network.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(to_numpy(model(xgrid)), to_numpy(reloaded(xgrid)))
