"""Ensemble distances and the permutation tests of the fit-level validation (synthetic ensembles)."""

import numpy as np
import pytest

from validation.fit.statistics import distance_grids, ensemble_stats, permutation_test
from validation.settings import ALPHA, FIT_QUICK

pytestmark = pytest.mark.tensorflow_kernel_free  # numpy statistics on ensembles of known law

SHAPE = (20, 30, 8)  # replicas, x-points, flavours


def ensembles(seed, shift=0.0, scale=1.0, where=(slice(None), 5, 2), replicas=SHAPE[0]):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(replicas, *SHAPE[1:])), rng.normal(size=(replicas, *SHAPE[1:]))
    b[where] = b[where] * scale + shift
    return a, b


def test_distances_follow_the_validphys_definitions():
    a, b = ensembles(0)
    b = b[:15]
    distance, variance = distance_grids(a, b)
    (m_a, s_a), (m_b, s_b) = ensemble_stats(a), ensemble_stats(b)
    n_a, n_b = len(a), len(b)
    assert np.allclose(distance, np.abs(m_a - m_b) / np.sqrt(s_a**2 / n_a + s_b**2 / n_b))
    fourth = [np.mean((e - e.mean(0)) ** 4, axis=0) for e in (a, b)]
    v_a = (fourth[0] - (n_a - 3) / (n_a - 1) * s_a**4) / n_a
    v_b = (fourth[1] - (n_b - 3) / (n_b - 1) * s_b**4) / n_b
    assert np.allclose(variance, np.abs(s_a**2 - s_b**2) / np.sqrt(v_a + v_b))


def test_a_shifted_mean_at_one_point_is_flagged():
    a, b = ensembles(1, shift=2.0)  # one (x, flavour) of 240 moved by 2 sd
    result = permutation_test(a, b, FIT_QUICK.permutations)
    assert result["distance"][1] < ALPHA


def test_a_wider_ensemble_is_flagged_by_the_variance_distance():
    """At 60 replicas: the variance distance of one point cannot exceed about sqrt(N / 2) (its
    denominator grows with the variance), so at 20 replicas it stays below the null's maximum."""
    a, b = ensembles(2, scale=3.0, replicas=60)
    result = permutation_test(a, b, FIT_QUICK.permutations)
    assert result["variance_distance"][1] < ALPHA
    assert result["distance"][1] >= ALPHA


@pytest.mark.parametrize("paired", [False, True])
def test_an_identical_law_pair_is_not_flagged(paired):
    a, b = ensembles(3)
    result = permutation_test(a, b, FIT_QUICK.permutations, paired=paired)
    assert result["distance"][1] >= ALPHA and result["variance_distance"][1] >= ALPHA


def test_identical_law_false_alarm_rate_is_near_the_level():
    """Over 200 identical-law pairs, p < 0.05 happens about 5 % of the time (binomial 99.9 % band)."""
    rejections = sum(permutation_test(*ensembles(seed), 99, seed=seed)["distance"][1] < 0.05
                     for seed in range(100, 300))
    assert 1 <= rejections <= 24


def test_a_paired_shift_smaller_than_the_spread_is_flagged_by_the_paired_test():
    rng = np.random.default_rng(4)
    a = rng.normal(size=SHAPE)
    b = a + 0.01 * rng.normal(size=SHAPE)
    b[:, 5, 2] += 0.05  # far below the ensemble spread, far above the pair noise
    assert permutation_test(a, b, FIT_QUICK.permutations, paired=True)["distance"][1] < ALPHA
    assert permutation_test(a, b, FIT_QUICK.permutations, paired=False)["distance"][1] >= ALPHA


def test_identical_ensembles_give_p_one_when_paired():
    a, _ = ensembles(5)
    assert permutation_test(a, a.copy(), 99, paired=True)["distance"] == (0.0, 1.0)


@pytest.mark.parametrize(("sizes", "paired", "match"),
                         [((20, 15), True, "paired"), ((1, 20), False, "2 replicas")])
def test_bad_ensembles_name_the_problem(sizes, paired, match):
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match=match):
        permutation_test(rng.normal(size=(sizes[0], 3, 8)), rng.normal(size=(sizes[1], 3, 8)), 9,
                         paired=paired)
