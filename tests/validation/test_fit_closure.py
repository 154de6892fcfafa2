"""Closure estimators, their intervals and the permutation tests on ensembles of known law."""

import numpy as np
import pytest

from validation.fit import closure
from validation.fit.statistics import permutation_p_values

pytestmark = pytest.mark.tensorflow_kernel_free  # numpy statistics on ensembles of known law

ALPHA = 1e-3
DATA = 120


def ensemble(rng, replicas=30, offset=0.3, spread=1.0, common=0.0, truth=None):
    """Replicas scattered around ``truth + offset``; ``common``: one shared draw added to every replica."""
    truth = np.zeros(DATA) if truth is None else truth
    shared = common * rng.standard_normal(DATA)
    return truth + offset + shared + spread * rng.standard_normal((replicas, DATA))


def test_estimators_follow_their_definitions():
    rng = np.random.default_rng(0)
    truth = rng.standard_normal(DATA)
    predictions = ensemble(rng, truth=truth)
    central = predictions.mean(0)
    expected_bias = np.mean((central - truth) ** 2)
    expected_variance = np.mean([np.mean((p - central) ** 2) for p in predictions])
    sd = predictions.std(0, ddof=1)
    values = closure.closure_estimators(predictions, truth)
    assert values["bias"] == pytest.approx(expected_bias)
    assert values["variance"] == pytest.approx(expected_variance)
    assert values["ratio_bias_variance"] == pytest.approx(np.sqrt(expected_bias / expected_variance))
    assert values["xi_1sigma"] == pytest.approx(np.mean(np.abs(central - truth) < sd))


def test_a_weight_of_two_counts_a_replica_twice():
    rng = np.random.default_rng(1)
    predictions, truth = ensemble(rng, replicas=5), np.zeros(DATA)
    weights = np.array([[2, 1, 1, 0, 1]])
    duplicated = predictions[[0, 0, 1, 2, 4]]
    weighted = closure.weighted_estimators(weights, predictions, truth)
    for name, value in closure.closure_estimators(duplicated, truth).items():
        assert weighted[name][0] == pytest.approx(value)


def test_faithful_uncertainties_give_r_bv_near_one_and_xi_near_68_percent():
    rng = np.random.default_rng(2)
    # a central value one replica-sd from the truth on average: bias ~ variance
    truth = np.zeros(DATA)
    predictions = rng.standard_normal(DATA) + rng.standard_normal((200, DATA))
    values = closure.closure_estimators(predictions, truth)
    assert 0.85 < values["ratio_bias_variance"] < 1.15
    assert 0.55 < values["xi_1sigma"] < 0.8


def test_jackknife_intervals_cover_the_estimators():
    rng = np.random.default_rng(3)
    offsets = np.random.default_rng(9).standard_normal(DATA)
    true_values = {name: np.mean([closure.closure_estimators(ensemble(rng, 20, offsets), 0.0)[name]
                                  for _ in range(400)]) for name in ("bias", "variance")}
    covered = dict.fromkeys(true_values, 0)
    trials = 100
    for _ in range(trials):
        intervals = closure.jackknife_intervals(ensemble(rng, 20, offsets), np.zeros(DATA))
        for name, value in true_values.items():
            covered[name] += intervals[name][0] <= value <= intervals[name][1]
    assert all(count >= 0.85 * trials for count in covered.values()), covered


def _closure_p(reference, candidate, paired=False, permutations=1999):
    pooled = np.concatenate([reference, candidate])
    return permutation_p_values(
        lambda labels: closure.closure_contrasts(labels, pooled, np.zeros(DATA)), len(reference),
        len(pooled), paired, permutations)


def test_closure_test_holds_its_level_on_exchangeable_ensembles():
    rng = np.random.default_rng(4)
    p_values = [min(p for _, p in _closure_p(ensemble(rng), ensemble(rng), permutations=199).values())
                for _ in range(40)]
    # 4 tests, min p: a uniform min over 4 is below 0.05 with probability <= 0.2
    assert np.mean(np.array(p_values) < 0.05) <= 0.35


@pytest.mark.parametrize("defect", ["wider", "narrower", "shifted"])
def test_closure_test_flags_an_unfaithful_candidate(defect):
    rng = np.random.default_rng(5)
    candidate = {"wider": lambda: ensemble(rng, spread=1.3), "narrower": lambda: ensemble(rng, spread=0.7),
                 "shifted": lambda: ensemble(rng, offset=0.6)}[defect]()
    results = _closure_p(ensemble(rng), candidate, permutations=9999)
    assert min(p for _, p in results.values()) * 4 < ALPHA, results


def test_paired_closure_test_swaps_within_pairs():
    rng = np.random.default_rng(6)
    reference = ensemble(rng)
    same = reference + 1e-3 * rng.standard_normal(reference.shape)
    assert min(p for _, p in _closure_p(reference, same, paired=True).values()) > 0.01
    shifted = reference + 0.3
    assert _closure_p(reference, shifted, paired=True, permutations=9999)["bias"][1] < ALPHA / 4
    with pytest.raises(ValueError, match="same replicas"):
        _closure_p(reference, reference[:-1], paired=True)


def _correlation_p(reference, candidate, paired=False):
    correlations = closure.residual_correlations(np.concatenate([reference, candidate]), 0.0)
    return permutation_p_values(
        lambda labels: {"d": closure.correlation_contrast(labels, correlations)}, len(reference),
        len(correlations), paired, 1999)["d"]


def test_replica_correlation_sees_a_shared_component_and_not_independent_replicas():
    rng = np.random.default_rng(7)
    null = [_correlation_p(ensemble(rng), ensemble(rng))[1] for _ in range(20)]
    assert min(null) > ALPHA
    difference, p = _correlation_p(ensemble(rng), ensemble(rng, common=0.5))
    assert difference > 0 and p < ALPHA


def test_mean_pair_correlation_ignores_the_diagonal():
    correlations = np.array([[1.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 1.0]])
    assert closure.mean_pair_correlation(correlations) == pytest.approx(0.3)
    labels = np.array([[True, True, False, False]])
    four = np.eye(4)
    four[2, 3] = four[3, 2] = 0.8
    assert closure.correlation_contrast(labels, four)[0] == pytest.approx(0.8)


def test_too_few_replicas_is_an_error():
    with pytest.raises(ValueError, match="at least 2 replicas"):
        permutation_p_values(lambda labels: {"d": labels.sum(1) * 0.0}, 1, 5, False, 9)
