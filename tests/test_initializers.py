"""MultiInitializer draws each replica's block exactly as a per-replica initializer would."""

import keras
import numpy as np
import pytest

from multidense_impl import MultiInitializer
from tests.conftest import spaced_seeds, to_numpy

pytestmark = pytest.mark.backend_matrix

SEEDED = ["glorot_normal", "glorot_uniform", "he_normal", "lecun_uniform", "random_normal",
          "random_uniform", "truncated_normal", "orthogonal"]


@pytest.mark.parametrize("replicas", [1, 2, 100])
@pytest.mark.parametrize("name", SEEDED)
def test_blocks_are_bit_identical_to_per_replica_draws(name, replicas):
    seeds, base_seed, block = spaced_seeds(replicas), 3, (7, 5)
    stacked = to_numpy(MultiInitializer(name, seeds, base_seed=base_seed)((replicas, *block)))
    assert stacked.shape == (replicas, *block)
    initializer_class = type(keras.initializers.get(name))
    for replica, seed in enumerate(seeds):
        expected = to_numpy(initializer_class(seed=base_seed + seed)(shape=block))
        np.testing.assert_array_equal(stacked[replica], expected, err_msg=f"replica {replica}")


def test_distinct_seeds_give_distinct_blocks():
    stacked = to_numpy(MultiInitializer("glorot_normal", [1, 50])((2, 4, 4)))
    assert not np.array_equal(stacked[0], stacked[1])


def test_initializer_parameters_are_kept():
    base = keras.initializers.RandomNormal(mean=3.0, stddev=0.01)
    stacked = to_numpy(MultiInitializer(base, [4, 40])((2, 50, 50)))
    assert abs(stacked.mean() - 3.0) < 0.01


@pytest.mark.parametrize("name,value", [("zeros", 0.0), ("ones", 1.0)])
def test_unseeded_initializers_are_stacked(name, value):
    stacked = to_numpy(MultiInitializer(name, [1, 20, 30])((3, 1, 4)))
    np.testing.assert_array_equal(stacked, np.full((3, 1, 4), value, dtype="float32"))


def test_wrong_replica_axis_names_shape():
    with pytest.raises(ValueError, match="shape\\[0\\].*replica"):
        MultiInitializer("glorot_normal", [1, 20])((3, 4, 4))


def test_config_round_trip_draws_the_same():
    initializer = MultiInitializer("he_normal", [5, 60], base_seed=2)
    clone = MultiInitializer.from_config(initializer.get_config())
    np.testing.assert_array_equal(to_numpy(initializer((2, 3, 3))), to_numpy(clone((2, 3, 3))))
