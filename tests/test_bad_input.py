"""Bad input gets a clear error naming the parameter, before any backend work."""

import numpy as np
import pytest

import multidense_impl
import reference_impl
from harness.arguments import SeedCollisionWarning, seed_collisions
from harness.registry import load_implementation
from multidense_impl import MultiDense, MultiInitializer
from reference_impl import PerReplicaDense

pytestmark = pytest.mark.backend_matrix

IMPLEMENTATIONS = [multidense_impl, reference_impl]
LAYERS = [MultiDense, PerReplicaDense]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("kwargs,error,match", [
    (dict(replica_seeds=[]), ValueError, "replica_seeds.*empty"),
    (dict(replica_seeds=5), TypeError, "replica_seeds"),
    (dict(replica_seeds=[1, 2.5]), TypeError, r"replica_seeds\[1\]"),
    (dict(replica_seeds=[1, True]), TypeError, r"replica_seeds\[1\]"),
    (dict(replica_seeds=[10, -3]), ValueError, r"replica_seeds\[1\]"),
    (dict(replica_seeds=[10, 30, 10]), ValueError, "replica_seeds.*distinct.*10"),
    (dict(nodes=(25, 8)), ValueError, "nodes and activations"),
    (dict(nodes=(25, 0, 8)), ValueError, r"nodes\[1\]"),
    (dict(activations=("tanh", "nope", "linear")), ValueError, r"activations\[1\].*nope"),
    (dict(kernel_initializer="glorot_wrong"), ValueError, "kernel_initializer.*glorot_wrong"),
    (dict(dropout_rate=1.0), ValueError, "dropout_rate"),
    (dict(dropout_rate=-0.1), ValueError, "dropout_rate"),
    (dict(input_features=0), ValueError, "input_features"),
])
def test_build_network_rejects(implementation, kwargs, error, match):
    arguments = dict(replica_seeds=[10, 30])
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        implementation.build_network(**arguments)


@pytest.mark.parametrize("layer_class", LAYERS)
@pytest.mark.parametrize("kwargs,match", [
    (dict(units=0), "units"),
    (dict(units=-4), "units"),
    (dict(replica_seeds=[]), "replica_seeds"),
    (dict(activation="sigmoidal"), "activation.*sigmoidal"),
    (dict(bias_initializer="nothing"), "bias_initializer"),
    (dict(base_seed=-1), "base_seed"),
])
def test_layer_rejects_arguments(layer_class, kwargs, match):
    arguments = dict(units=4, replica_seeds=[1, 20])
    arguments.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        layer_class(**arguments)


@pytest.mark.parametrize("layer_class", LAYERS)
@pytest.mark.parametrize("is_first_layer,shape,match", [
    (True, (1, 10, 2, 3), "rank 3"),
    (False, (1, 10, 2), "rank 4"),
    (False, (1, 3, 10, 2), "3 replicas on axis 1.*2 replica_seeds"),
])
def test_layer_rejects_inputs(layer_class, is_first_layer, shape, match):
    layer = layer_class(4, [1, 20], is_first_layer=is_first_layer)
    with pytest.raises(ValueError, match=f"inputs.*{match}|{match}"):
        layer(np.ones(shape, dtype="float32"))


@pytest.mark.parametrize("layer_class", LAYERS)
def test_layer_rejects_other_feature_size_after_build(layer_class):
    layer = layer_class(4, [1, 20], is_first_layer=True)
    layer(np.ones((1, 5, 2), dtype="float32"))
    with pytest.raises(ValueError, match="inputs has 3 features.*built for 2"):
        layer(np.ones((1, 5, 3), dtype="float32"))


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_network_rejects_wrong_input_rank(implementation):
    model = implementation.build_network([10, 30])
    with pytest.raises(ValueError):
        model(np.ones((5, 2), dtype="float32"))


def test_initializer_rejects_unknown_base():
    with pytest.raises(ValueError, match="initializer.*bogus"):
        MultiInitializer("bogus", [1, 2])


def test_unknown_implementation_is_named():
    with pytest.raises(ValueError, match="unknown implementation 'fused_by_magic'"):
        load_implementation("fused_by_magic")


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_consecutive_seeds_warn_with_colliding_pairs(implementation):
    with pytest.warns(SeedCollisionWarning, match=r"\(replica 0, layer 1\) = \(replica 1, layer 0\)"):
        implementation.build_network([0, 1, 2])


def test_spaced_seeds_do_not_warn(recwarn):
    multidense_impl.build_network([0, 10, 20])
    assert not [w for w in recwarn if issubclass(w.category, SeedCollisionWarning)]


def test_seed_collisions_lists_every_group():
    assert seed_collisions([0, 1], n_layers=3) == [[(0, 1), (1, 0)], [(0, 2), (1, 1)]]
    assert seed_collisions([0, 3], n_layers=3) == []
