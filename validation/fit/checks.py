"""Fit-level equivalence: whole fits of the candidate and the reference compared as ensembles.

Two designs, each one reference fit and one candidate fit of R replicas (harness.fit):

- ``independent``: independent seeds (init, pseudo-data, training/validation split) and dropout on.
  The null is that all 2R replicas are exchangeable, so the tests permute replicas between the fits.
- ``matched``: the same seeds, pseudo-data and split, dropout off: replica i of one fit is replica i of
  the other, and the tests are paired (swaps within pairs, signed-rank tests on differences).

Per design: max over x and flavour of NNPDF's distance and variance distance (permutation p-values),
and two-sample (or paired) tests on the per-replica chi2s and stopping steps.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness.arguments import SeedCollisionWarning
from harness.fit import FitOptions, Fitter
from validation.candidates import reference, replica_seeds
from validation.fit.statistics import permutation_test
from validation.results import bonferroni, p_value_check

GROUP = "fit"
DESIGNS = ("independent", "matched")
CHI2_KINDS = ("central", "training", "validation")


@dataclass
class FitPair:
    design: str
    reference: object  # FitResult
    candidate: object  # FitResult
    parameters: dict
    run_seed: int

    @functools.cached_property
    def distances(self):
        return permutation_test(self.reference.pdf, self.candidate.pdf, self.parameters["permutations"],
                                seed=self.run_seed, paired=self.design == "matched")


@functools.lru_cache(maxsize=32)
def fitter(implementation, settings, dropout_rate):
    """A compiled fitter per implementation and compiled-in options, reused across runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        return Fitter(implementation, settings.workload, dropout_rate, settings.clipnorm,
                      learning_rate=settings.learning_rate)


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
                   parameters(settings, design), run_seed)


def pdf_distance(pair, settings):
    """max over x and flavour of d = |m_A - m_B| / sqrt(s_A^2/N_A + s_B^2/N_B): permutation p-value."""
    return _distance_check(pair, settings, "distance")


def pdf_variance_distance(pair, settings):
    """max over x and flavour of the variance distance: permutation p-value."""
    return _distance_check(pair, settings, "variance_distance")


def _distance_check(pair, settings, kind):
    statistic, p = pair.distances[kind]
    test = "swaps within matched pairs" if pair.design == "matched" else "labels shuffled over replicas"
    return p_value_check(f"fit.{pair.design}.pdf_{kind}", GROUP, pair.parameters, p, settings.alpha,
                         {f"max_{kind}": statistic, "test": f"permutation test ({test})",
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


CHECKS = (pdf_distance, pdf_variance_distance, chi2, stopping)


def check_names(design):
    return tuple(f"fit.{design}.{name}" for name in
                 ("pdf_distance", "pdf_variance_distance", "chi2", "stopping"))
