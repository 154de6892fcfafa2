"""Fit-level equivalence: whole fits of the candidate and the reference compared as ensembles.

Two designs, each one reference fit and one candidate fit of R replicas (harness.fit):

- ``independent``: independent seeds (init, pseudo-data, training/validation split) and dropout on.
  The null is that all 2R replicas are exchangeable, so the tests permute replicas between the fits.
- ``matched``: the same seeds, pseudo-data and split, dropout off: replica i of one fit is replica i of
  the other, and the tests are paired (swaps within pairs, signed-rank tests on differences).

Per design: max over x and flavour of NNPDF's distance and variance distance (permutation p-values),
two-sample (or paired) tests on the per-replica chi2s and stopping steps, the closure-test estimators
against the known truth (bias, variance, R_bv, xi_1sigma) and the replicas' residual correlation
(validation.fit.closure), each compared between the fits by permutation.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness.arguments import SeedCollisionWarning
from harness.fit import FitOptions, Fitter, fit_pseudodata
from validation.candidates import reference, replica_seeds
from validation.fit import closure
from validation.fit.statistics import permutation_p_values, permutation_test
from validation.results import bonferroni, p_value_check

GROUP = "fit"
DESIGNS = ("independent", "matched")
CHI2_KINDS = ("central", "training", "validation")
# Closure and replica correlation: the smallest p is 1 / (1 + permutations), times 4 (Bonferroni over the
# closure estimators), well below ALPHA, so a strong effect is not cut off at the resolution.
CLOSURE_PERMUTATIONS = 9999


@dataclass
class FitPair:
    design: str
    reference: object  # FitResult
    candidate: object  # FitResult
    parameters: dict
    run_seed: int
    settings: object  # FitSettings

    @functools.cached_property
    def distances(self):
        return permutation_test(self.reference.pdf, self.candidate.pdf, self.parameters["permutations"],
                                seed=self.run_seed, paired=self.design == "matched")

    @functools.cached_property
    def workload(self):
        return self.settings.workload

    @functools.cached_property
    def predictions(self):
        """``(reference, candidate)`` replica predictions of the data, each ``(R, ndata)``."""
        return tuple(self.workload.predictions(fit.pdf) for fit in (self.reference, self.candidate))

    @functools.cached_property
    def residual_correlations(self):
        """``(2R, 2R)``: residual correlations of the pooled replicas (reference first) to the
        pseudo-data each fitted."""
        pseudodata = [fit_pseudodata(self.workload, fit_options(self.settings, self.design, side,
                                                                self.run_seed).data_seed)[0]
                      for side in (0, 1)]
        return closure.residual_correlations(np.concatenate(self.predictions), np.concatenate(pseudodata))

    @functools.cached_property
    def closure_summary(self):
        """Per side the estimators with jackknife intervals, and the mean replica-pair correlation."""
        truth = self.workload.central_data.astype("float64")
        size = len(self.predictions[0])
        summary = {}
        for i, (side, predictions) in enumerate(zip(("reference", "candidate"), self.predictions,
                                                    strict=True)):
            members = slice(i * size, (i + 1) * size)
            summary[side] = {"estimators": closure.closure_estimators(predictions, truth),
                             "intervals": closure.jackknife_intervals(predictions, truth),
                             "replica_correlation": closure.mean_pair_correlation(
                                 self.residual_correlations[members, members])}
        return summary


def fitter(implementation, settings, dropout_rate):
    """A compiled fitter per implementation and compiled-in options, reused across runs (and across
    settings that differ only in steps, patience or permutations)."""
    return _fitter(implementation, settings.workload, dropout_rate, settings.clipnorm, settings.learning_rate)


@functools.lru_cache(maxsize=32)
def _fitter(implementation, workload, dropout_rate, clipnorm, learning_rate):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        return Fitter(implementation, workload, dropout_rate, clipnorm, learning_rate=learning_rate)


def fit_options(settings, design, side, run_seed):
    """Options of one side (0: reference, 1: candidate): the matched design shares every seed."""
    stream = 0 if design == "matched" else side
    data_seed = 1 + 2 * run_seed + stream
    return FitOptions(max_steps=settings.max_steps, patience=settings.patience,
                      dropout_rate=settings.dropout_rate if design == "independent" else 0.0,
                      clipnorm=settings.clipnorm, split_seed=data_seed, data_seed=data_seed,
                      learning_rate=settings.learning_rate)


def run_side(implementation, settings, design, side, run_seed):
    options = fit_options(settings, design, side, run_seed)
    stream = 0 if design == "matched" else side
    seeds = replica_seeds(settings.replicas, run_seed, stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        return fitter(implementation, settings, options.dropout_rate).fit(seeds, options)


def parameters(settings, design):
    workload = settings.workload
    return {"design": design, "replicas": settings.replicas, "points": workload.n_points,
            "data_points": workload.n_data, "max_steps": settings.max_steps,
            "patience": settings.patience, "learning_rate": settings.learning_rate,
            "dropout_rate": settings.dropout_rate if design == "independent" else 0.0,
            "clipnorm": settings.clipnorm, "validation_fraction": FitOptions().validation_fraction,
            "permutations": settings.permutations}


def draw(candidate, settings, run_seed, design, reference_result=None):
    """The reference and candidate fits of one design (the reference fit may be passed in, reused)."""
    truth = reference_result or run_side(reference(), settings, design, 0, run_seed)
    return FitPair(design, truth, run_side(candidate, settings, design, 1, run_seed),
                   parameters(settings, design), run_seed, settings)


def pdf_distance(pair, settings):
    """max over x and flavour of d = |m_A - m_B| / sqrt(s_A^2/N_A + s_B^2/N_B): permutation p-value."""
    return _distance_check(pair, settings, "distance")


def pdf_variance_distance(pair, settings):
    """max over x and flavour of the variance distance: permutation p-value."""
    return _distance_check(pair, settings, "variance_distance")


def _distance_check(pair, settings, kind):
    statistic, p = pair.distances[kind]
    return p_value_check(f"fit.{pair.design}.pdf_{kind}", GROUP, pair.parameters, p, settings.alpha,
                         {f"max_{kind}": statistic, "test": _permutation_name(pair),
                          "permutations": settings.permutations,
                          "rule_of_thumb": "validphys: d of order 10 is not statistical"})


def chi2(pair, settings):
    """Per-replica central, training and validation chi2: KS two-sample (independent) or Wilcoxon
    signed-rank on the pair differences (matched), Bonferroni over the three."""
    samples = {kind: (getattr(pair.reference, f"{kind}_chi2"), getattr(pair.candidate, f"{kind}_chi2"))
               for kind in CHI2_KINDS}
    return _sample_check(pair, settings, "chi2", samples)


def stopping(pair, settings):
    """Per-replica stopping steps: KS two-sample (independent) or Wilcoxon signed-rank (matched)."""
    return _sample_check(pair, settings, "stopping",
                         {"stopping_step": (pair.reference.stopping_step, pair.candidate.stopping_step)})


def _sample_check(pair, settings, name, samples):
    test = paired_p_value if pair.design == "matched" else two_sample_p_value
    p_values = {kind: test(*values) for kind, values in samples.items()}
    details = {"test": "Wilcoxon signed-rank on pair differences" if pair.design == "matched"
               else "Kolmogorov-Smirnov two-sample", "p_values": p_values,
               "medians": {kind: [float(np.median(v)) for v in values] for kind, values in samples.items()}}
    return p_value_check(f"fit.{pair.design}.{name}", GROUP, pair.parameters, bonferroni(p_values.values()),
                         settings.alpha, details)


def two_sample_p_value(a, b):
    return float(stats.ks_2samp(a, b).pvalue)


def paired_p_value(a, b):
    """Wilcoxon signed-rank on ``b - a``; identical pairs give 1."""
    differences = np.asarray(b, "float64") - np.asarray(a, "float64")
    if not np.any(differences):
        return 1.0
    return float(stats.wilcoxon(differences, zero_method="zsplit").pvalue)


def closure_estimators(pair, settings):
    """Closure estimators (bias, variance, R_bv, xi_1sigma) against the truth: permutation test of
    each one's candidate-to-reference contrast, Bonferroni over the four."""
    pooled = np.concatenate(pair.predictions)
    truth = pair.workload.central_data.astype("float64")
    size = len(pair.predictions[0])
    tests = permutation_p_values(lambda labels: closure.closure_contrasts(labels, pooled, truth),
                                 size, len(pooled), pair.design == "matched", CLOSURE_PERMUTATIONS,
                                 seed=pair.run_seed)
    summary = pair.closure_summary
    details = {"test": _permutation_name(pair) + "; contrasts: log ratio of bias, variance and R_bv, "
               "difference of xi_1sigma", "permutations": CLOSURE_PERMUTATIONS,
               "contrasts": {name: value for name, (value, _) in tests.items()},
               "p_values": {name: p for name, (_, p) in tests.items()},
               "reference": summary["reference"], "candidate": summary["candidate"],
               "interval": "95 % normal interval from the delete-one-replica jackknife"}
    return p_value_check(f"fit.{pair.design}.closure_estimators", GROUP, pair.parameters,
                         bonferroni(details["p_values"].values()), settings.alpha, details)


def replica_correlation(pair, settings):
    """Mean correlation of replica pairs' residuals to their own pseudo-data, candidate minus reference:
    what the replicas share beyond their data. Permutation p-value."""
    correlations = pair.residual_correlations
    size = len(pair.predictions[0])
    (difference, p), = permutation_p_values(
        lambda labels: {"difference": closure.correlation_contrast(labels, correlations)}, size,
        len(correlations), pair.design == "matched", CLOSURE_PERMUTATIONS, seed=pair.run_seed).values()
    sides = {side: pair.closure_summary[side]["replica_correlation"] for side in ("reference", "candidate")}
    return p_value_check(f"fit.{pair.design}.replica_correlation", GROUP, pair.parameters, p,
                         settings.alpha, {"test": _permutation_name(pair), "difference": difference,
                                          "mean_pair_correlation": sides,
                                          "permutations": CLOSURE_PERMUTATIONS})


def _permutation_name(pair):
    return ("permutation test (swaps within matched pairs)" if pair.design == "matched"
            else "permutation test (labels shuffled over replicas)")


CHECKS = (pdf_distance, pdf_variance_distance, chi2, stopping, closure_estimators, replica_correlation)
CHECK_NAMES = tuple(check.__name__ for check in CHECKS)


def check_names(design):
    return tuple(f"fit.{design}.{name}" for name in CHECK_NAMES)
