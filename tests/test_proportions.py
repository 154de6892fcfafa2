"""The exact interval every rate table counts with (harness.proportions)."""

import pytest

from harness.proportions import exact_interval

pytestmark = pytest.mark.tensorflow_kernel_free  # interval arithmetic: no backend runs


def test_no_events_give_the_closed_form_upper_limit_and_a_zero_lower():
    low, high = exact_interval(0, 72)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 72))  # 4.99 %: the A/A runs' bound


def test_the_interval_holds_the_observed_rate_and_narrows_with_trials():
    narrow, wide = exact_interval(10, 1000), exact_interval(1, 100)
    assert narrow[0] < 0.01 < narrow[1] and wide[0] < 0.01 < wide[1]
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert exact_interval(5, 5) == (pytest.approx(0.025 ** (1 / 5)), 1.0)


@pytest.mark.parametrize("successes, trials, named",
                         [(0, 0, "trials"), (3, 2, "successes"), (-1, 5, "successes")])
def test_impossible_counts_are_refused_by_name(successes, trials, named):
    with pytest.raises(ValueError, match=named):
        exact_interval(successes, trials)
