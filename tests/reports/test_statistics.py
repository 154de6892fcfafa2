"""The comparison statistics and the regression rule."""

from types import SimpleNamespace

import pytest

from reports.statistics import ALPHA, REGRESSION_FACTOR, Comparison, compare, is_regression
from tests.reports.synthetic import spread


def measured(samples):
    return SimpleNamespace(value=sorted(samples)[len(samples) // 2] if samples else None, samples=samples)


def test_clearly_different_samples_are_significant_with_an_interval_around_the_ratio():
    result = compare(measured(spread(2.0)), measured(spread(1.0)))
    assert result.comparable and result.significant
    assert result.p_value < ALPHA
    assert result.ratio == pytest.approx(2.0, rel=0.02)
    assert result.ci_low <= result.ratio <= result.ci_high


def test_identical_samples_are_not_significant():
    result = compare(measured(spread(1.0)), measured(spread(1.0)))
    assert result.comparable and not result.significant


def test_one_sample_is_never_compared_even_at_a_large_ratio():
    result = compare(measured([1.6]), measured(spread(1.0)))
    assert result.ratio == pytest.approx(1.6, rel=0.02)
    assert not result.comparable and not result.significant
    assert result.note == "not comparable (1 sample)"
    assert not is_regression(result)


def test_a_failed_measurement_has_no_ratio():
    result = compare(SimpleNamespace(value=None, samples=None), measured(spread(1.0)))
    assert result.ratio is None and not result.significant


@pytest.mark.parametrize(
    ("ratio", "significant", "expected"),
    [(REGRESSION_FACTOR + 0.5, True, True), (REGRESSION_FACTOR - 0.05, True, False),
     (REGRESSION_FACTOR + 0.5, False, False), (0.5, True, False)],
)
def test_a_regression_needs_both_significance_and_the_ratio_threshold(ratio, significant, expected):
    comparison = Comparison(ratio, None, None, 0.001 if significant else 0.5, True, significant, "")
    assert is_regression(comparison) is expected
