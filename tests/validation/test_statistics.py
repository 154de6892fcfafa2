"""Each statistical check passes on correct draws and fails on the defect it targets."""

import dataclasses

import numpy as np
import pytest
from scipy import stats

from validation.candidates import load_candidate
from validation.defects.shared_dropout_mask import PartlySharedDropout
from validation.settings import QUICK
from validation.steps import dropout_checks, initializer_checks

pytestmark = pytest.mark.backend_matrix


@pytest.fixture(scope="module")
def initializer_samples():
    return {name: initializer_checks.draw(load_candidate(name), QUICK, run_seed=5)
            for name in ("multidense", "validation.defects.naive_fans",
                         "validation.defects.consecutive_seeds")}


@pytest.mark.parametrize("check", initializer_checks.CHECKS, ids=lambda c: c.__name__)
def test_initializer_checks_pass_on_the_fused_layer(initializer_samples, check):
    assert check(initializer_samples["multidense"], QUICK).passed


@pytest.mark.parametrize("check", [initializer_checks.exactness, initializer_checks.theoretical_law,
                                   initializer_checks.reference_two_sample,
                                   initializer_checks.variance], ids=lambda c: c.__name__)
def test_naive_fans_are_flagged(initializer_samples, check):
    assert not check(initializer_samples["validation.defects.naive_fans"], QUICK).passed


def test_colliding_seed_streams_are_flagged(initializer_samples):
    result = initializer_checks.independence(initializer_samples["validation.defects.consecutive_seeds"],
                                             QUICK)
    assert not result.passed and result.details["worst_correlation"] > 0.99


@pytest.mark.parametrize("name,expected_variance", [
    ("glorot_normal", 2 / (25 + 20)), ("glorot_uniform", 2 / (25 + 20)), ("he_normal", 2 / 25),
    ("lecun_uniform", 1 / 25)])
def test_initializer_law_has_the_variance_of_its_fans(name, expected_variance):
    assert initializer_checks.initializer_law(name, (25, 20)).var() == pytest.approx(expected_variance)


def test_initializer_law_rejects_unknown_initializers():
    with pytest.raises(ValueError, match="kernel_initializer.*Orthogonal"):
        initializer_checks.initializer_law("orthogonal", (4, 4))


def _masks(rates, passes=10, points=40, units=25, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.random((passes, points, units)) < rate for rate in rates], axis=1)


def _dropout_sample(masks, rate=0.25, scale_error=0.0):
    return dropout_checks.DropoutSample(rate, masks, _masks([rate] * masks.shape[1], seed=99), scale_error)


@pytest.fixture(scope="module")
def dropout_samples():
    return {name: dropout_checks.draw(load_candidate(name), QUICK, run_seed=5)
            for name in ("multidense", "validation.defects.shared_dropout_mask")}


@pytest.mark.parametrize("check", dropout_checks.CHECKS, ids=lambda c: c.__name__)
def test_dropout_checks_pass_on_the_fused_layer(dropout_samples, check):
    assert check(dropout_samples["multidense"], QUICK).passed


def test_shared_dropout_mask_is_flagged(dropout_samples):
    result = dropout_checks.mask_independence(dropout_samples["validation.defects.shared_dropout_mask"],
                                              QUICK)
    assert not result.passed and result.details["max_agreement"] == 1.0


@pytest.mark.parametrize("fraction", [0.0, 0.5])
def test_a_partly_shared_mask_is_flagged_in_proportion_to_its_strength(fraction):
    sample = dropout_checks.draw(PartlySharedDropout(fraction), QUICK, run_seed=5)
    result = dropout_checks.mask_independence(sample, QUICK)
    assert result.passed is (fraction == 0.0)
    assert dropout_checks.dropped_fraction(sample, QUICK).passed  # the rate itself is right
    if fraction:
        # two replicas agree where both took the shared mask (fraction^2), else by chance
        rate = QUICK.dropout_rate
        chance = rate**2 + (1 - rate) ** 2
        expected = fraction**2 + (1 - fraction**2) * chance
        assert result.details["max_agreement"] == pytest.approx(expected, abs=0.06)


def test_a_strength_outside_0_1_is_an_error():
    with pytest.raises(ValueError, match="fraction"):
        PartlySharedDropout(1.5)


def test_wrong_rate_and_inhomogeneous_replicas_are_flagged():
    assert not dropout_checks.dropped_fraction(_dropout_sample(_masks([0.35] * 4)), QUICK).passed
    inhomogeneous = _dropout_sample(_masks([0.25, 0.25, 0.25, 0.32]))
    assert not dropout_checks.homogeneity(inhomogeneous, QUICK).passed
    assert dropout_checks.homogeneity(_dropout_sample(_masks([0.25] * 4)), QUICK).passed


def test_unscaled_kept_units_are_flagged():
    sample = _dropout_sample(_masks([0.25] * 4), scale_error=0.25)
    assert not dropout_checks.expectation(sample, QUICK).passed


def test_reference_two_sample_flags_a_different_rate():
    sample = dataclasses.replace(_dropout_sample(_masks([0.30] * 4)))
    assert not dropout_checks.reference_two_sample(sample, QUICK).passed


def test_bonferroni_p_value_is_the_adjusted_minimum():
    from validation.results import bonferroni

    assert bonferroni([0.5, 0.01, 0.2]) == pytest.approx(0.03)
    assert bonferroni([0.9, 0.8]) == 1.0
    assert stats.binomtest(25, 100, 0.25).pvalue > 0.9
