"""Closure-test estimators and replica correlation of a fit whose truth is known (numpy and scipy only).

The workload builds its central data from a fixed truth law, so, as in NNPDF's closure tests
(validphys ``closuretest``), an ensemble of R replica predictions ``g_r`` (whitened data space, so a
chi2 is a mean of squares) against the truth ``f`` gives:

- ``bias``: chi2 of the central prediction ``E[g]`` against ``f``;
- ``variance``: the mean over replicas of the chi2 of ``g_r`` against ``E[g]``;
- ``ratio_bias_variance``: ``R_bv = sqrt(bias / variance)``, about 1 when the uncertainties are faithful;
- ``xi_1sigma``: the fraction of data points where ``f`` lies within one replica standard deviation of
  ``E[g]``.

``replica_correlation`` is the mean correlation, over data points, of replica pairs' residuals
``g_r - y_r`` to their own pseudo-data ``y_r``: what replicas share beyond their pseudo-data (a common
bias of the model is shared by every fit; a coupling of the replicas adds to it).

Every statistic is computed from replica weights, so one function serves the observed value, the
delete-one jackknife and the permutation tests (group membership; the permutations themselves are
``validation.fit.statistics.permutation_p_values``, shared with the distance tests).
"""

import numpy as np
from scipy import stats

ESTIMATORS = ("bias", "variance", "ratio_bias_variance", "xi_1sigma")
LOG_SCALE = ("bias", "variance", "ratio_bias_variance")  # compared as log ratios; xi as a difference
CONFIDENCE = 0.95


def weighted_estimators(weights, predictions, truth):
    """The four estimators, each ``(k,)``, of the ensembles that ``weights`` ``(k, R)`` pick out of
    ``predictions`` ``(R, ndata)`` (a weight is how often a replica is counted)."""
    weights = np.asarray(weights, "float64")
    n = weights.sum(axis=-1, keepdims=True)
    central = weights @ predictions / n
    second = weights @ predictions**2 / n
    spread = np.maximum(second - central**2, 0.0)  # per point, ddof 0
    bias = np.mean((central - truth) ** 2, axis=-1)
    variance = np.mean(spread, axis=-1)
    sd = np.sqrt(spread * n / np.maximum(n - 1, 1))
    xi = np.mean(np.abs(central - truth) < sd, axis=-1)
    tiny = np.finfo("float64").tiny
    return {"bias": bias, "variance": variance,
            "ratio_bias_variance": np.sqrt(bias / np.maximum(variance, tiny)), "xi_1sigma": xi}


def closure_estimators(predictions, truth):
    """The four estimators of one ensemble, as floats."""
    predictions = np.asarray(predictions, "float64")
    values = weighted_estimators(np.ones((1, len(predictions))), predictions, truth)
    return {name: float(value[0]) for name, value in values.items()}


def residual_correlations(predictions, pseudodata):
    """``(R, R)``: correlation over data points of the replicas' residuals to their pseudo-data."""
    residuals = np.asarray(predictions, "float64") - np.asarray(pseudodata, "float64")
    return np.corrcoef(residuals)


def mean_pair_correlation(correlations):
    """Mean off-diagonal entry of one ensemble's ``(R, R)`` correlation matrix."""
    correlations = np.asarray(correlations, "float64")
    m = len(correlations)
    return float((correlations.sum() - np.trace(correlations)) / (m * (m - 1)))


def jackknife_intervals(predictions, truth, confidence=CONFIDENCE):
    """Normal interval from the delete-one-replica jackknife standard error: ``{name: (lo, hi)}``.

    (A bootstrap over replicas would repeat replicas, which shrinks the ensemble it measures: the
    resampled bias sits entirely above the observed one, so percentile and BCa intervals fail.)
    """
    predictions = np.asarray(predictions, "float64")
    size = len(predictions)
    observed = closure_estimators(predictions, truth)
    deleted = weighted_estimators(1.0 - np.eye(size), predictions, truth)
    z = stats.norm.ppf(0.5 + confidence / 2)
    intervals = {}
    for name in ESTIMATORS:
        values = deleted[name]
        se = np.sqrt((size - 1) / size * np.sum((values - values.mean()) ** 2))
        intervals[name] = (observed[name] - z * se, observed[name] + z * se)
    return intervals


def _contrast(name, reference, candidate):
    if name in LOG_SCALE:
        tiny = np.finfo("float64").tiny
        return np.log(np.maximum(candidate, tiny)) - np.log(np.maximum(reference, tiny))
    return candidate - reference


def closure_contrasts(labels, pooled, truth):
    """``{name: (k,)}``: candidate against reference estimator contrasts for each labelling row
    (True: reference): log ratios of bias, variance and R_bv, the difference of xi."""
    reference = weighted_estimators(labels, pooled, truth)
    candidate = weighted_estimators(~labels, pooled, truth)
    return {name: _contrast(name, reference[name], candidate[name]) for name in ESTIMATORS}


def correlation_contrast(labels, correlations):
    """``(k,)``: mean pair correlation among the candidate's replicas minus among the reference's."""
    def within(members):
        weights = members.astype("float64")
        m = weights.sum(axis=1)
        total = np.einsum("ki,ij,kj->k", weights, correlations, weights) - weights @ np.diag(correlations)
        return total / (m * (m - 1))

    return within(~labels) - within(labels)
