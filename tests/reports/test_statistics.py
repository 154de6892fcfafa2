"""The comparison statistics and the regression rule."""

from types import SimpleNamespace

import pytest

from harness.timing_rule import FASTER, NO_CHANGE, SLOWER
from reports.measurements.statistics import REGRESSION_FACTOR, Comparison, compare, is_regression
from tests.reports.synthetic import spread


def measured(samples):
    return SimpleNamespace(value=sorted(samples)[len(samples) // 2] if samples else None, samples=samples)


def test_clearly_different_samples_are_significant_with_an_interval_around_the_ratio():
    result = compare(measured(spread(2.0)), measured(spread(1.0)))
    assert result.comparable and result.significant and result.verdict == SLOWER
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
    ("factor", "verdict"),
    [(REGRESSION_FACTOR + 0.5, SLOWER), (REGRESSION_FACTOR - 0.03, NO_CHANGE), (0.5, FASTER)],
)
def test_a_regression_needs_both_significance_and_the_minimum_effect(factor, verdict):
    result = compare(measured(spread(factor)), measured(spread(1.0)))
    assert result.verdict == verdict
    assert is_regression(result) is (verdict == SLOWER)


def test_a_large_ratio_without_significance_is_no_regression():
    wide = [0.2, 5.0, 0.3, 4.0, 0.5, 3.0, 0.4, 2.0, 0.6, 6.0]
    result = compare(measured([2 * x for x in wide]), measured(wide))
    assert result.ratio == pytest.approx(2.0) and result.verdict == NO_CHANGE
    assert not is_regression(Comparison(2.0, 0.5, 8.0, NO_CHANGE, True, False, ""))
