"""Dropout checks on a one-hidden-layer network (its output is the dropout output, masks visible).

A unit is dropped where the training-mode output is 0; kept units must equal the inference output
times 1 / (1 - rate).
"""

import functools
import itertools
import warnings
from dataclasses import dataclass

import keras
import numpy as np
from scipy import stats

from harness.arguments import SeedCollisionWarning
from harness.workload import x_grid
from validation.candidates import reference, replica_seeds
from validation.results import CheckResult, bonferroni, p_value_check
from validation.settings import SCALE_TOLERANCE

GROUP = "dropout"


@dataclass
class DropoutSample:
    """Masks ``(passes, R, N, units)`` (True = dropped) of candidate and reference, and the scales."""

    rate: float
    masks: np.ndarray
    reference_masks: np.ndarray
    kept_scale_error: float

    @property
    def parameters(self):
        passes, replicas, points, units = self.masks.shape
        return {"rate": self.rate, "replicas": replicas, "points": points, "units": units,
                "passes": passes}

    @property
    def replicas(self):
        return self.masks.shape[1]

    def dropped_per_replica(self, masks=None):
        masks = self.masks if masks is None else masks
        return masks.sum(axis=(0, 2, 3)), masks[0, 0].size * masks.shape[0]


def _masks(implementation, seeds, settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        network = implementation.build_network(seeds, nodes=(settings.dropout_units,),
                                               activations=("tanh",), dropout_rate=settings.dropout_rate)
    grid = x_grid(settings.dropout_points)
    inference = keras.ops.convert_to_numpy(network(grid, training=False))[0]
    passes = np.stack([keras.ops.convert_to_numpy(network(grid, training=True))[0]
                       for _ in range(settings.dropout_passes)])
    masks = passes == 0
    kept = ~masks & (inference != 0)
    ratio = passes[kept] / np.broadcast_to(inference, passes.shape)[kept]
    scale_error = float(np.max(np.abs(ratio * (1.0 - settings.dropout_rate) - 1.0))) if ratio.size else 0.0
    return masks, scale_error


@functools.lru_cache(maxsize=4)
def _reference_masks(settings, run_seed):
    return _masks(reference(), replica_seeds(settings.dropout_replicas, run_seed, stream=1), settings)[0]


def draw(candidate, settings, run_seed):
    """Masks of the candidate, and of the reference on independent seeds."""
    masks, scale_error = _masks(candidate, replica_seeds(settings.dropout_replicas, run_seed), settings)
    return DropoutSample(settings.dropout_rate, masks, _reference_masks(settings, run_seed), scale_error)


def dropped_fraction(sample, settings):
    """Binomial test of each replica's dropped count against the rate."""
    dropped, total = sample.dropped_per_replica()
    p_values = [stats.binomtest(int(d), total, sample.rate).pvalue for d in dropped]
    return p_value_check("dropout.dropped_fraction", GROUP, sample.parameters, bonferroni(p_values),
                         settings.alpha, {"test": "binomtest", "fractions": (dropped / total).tolist()})


def homogeneity(sample, settings):
    """Chi-square test that every replica drops the same fraction (R x 2 contingency table)."""
    dropped, total = sample.dropped_per_replica()
    result = stats.chi2_contingency(np.stack([dropped, total - dropped], axis=1))
    return p_value_check("dropout.homogeneity", GROUP, sample.parameters, result.pvalue, settings.alpha,
                         {"test": "chi2_contingency", "chi2": float(result.statistic), "dof": result.dof})


def mask_independence(sample, settings):
    """Chi-square test of independence of every pair of replicas' masks (2 x 2 table over units)."""
    flat = sample.masks.transpose(1, 0, 2, 3).reshape(sample.replicas, -1)
    p_values, agreements = [], []
    for a, b in itertools.combinations(range(sample.replicas), 2):
        table = np.array([[np.sum(flat[a] & flat[b]), np.sum(flat[a] & ~flat[b])],
                          [np.sum(~flat[a] & flat[b]), np.sum(~flat[a] & ~flat[b])]])
        p_values.append(stats.chi2_contingency(table).pvalue)
        agreements.append(float(np.mean(flat[a] == flat[b])))
    expected = sample.rate**2 + (1 - sample.rate) ** 2
    return p_value_check("dropout.mask_independence", GROUP, sample.parameters, bonferroni(p_values),
                         settings.alpha, {"test": "chi2_contingency", "pairs": len(p_values),
                                          "max_agreement": max(agreements),
                                          "independent_agreement": expected})


def expectation(sample, settings):
    """Kept units equal the inference output scaled by 1 / (1 - rate), to float32 precision."""
    return CheckResult("dropout.expectation", GROUP, sample.parameters,
                       "max_relative_scale_error", sample.kept_scale_error,
                       SCALE_TOLERANCE, "<=", None, {"expected_scale": 1.0 / (1.0 - sample.rate)})


def reference_two_sample(sample, settings):
    """Two-sample Kolmogorov-Smirnov of the per-(pass, replica) dropped fractions against the reference's."""
    def fractions(masks):
        return masks.mean(axis=(2, 3)).ravel()

    result = stats.ks_2samp(fractions(sample.masks), fractions(sample.reference_masks))
    return p_value_check("dropout.reference_two_sample", GROUP, sample.parameters, result.pvalue,
                         settings.alpha, {"test": "ks_2samp", "statistic": float(result.statistic)})


CHECKS = (dropped_fraction, homogeneity, mask_independence, expectation, reference_two_sample)
