"""Initializer checks: exactness, theoretical law, two-sample, variance and independence of weight blocks.

One sample (the candidate's initial weights, the reference's on the same seeds and on fresh seeds)
feeds every check of the group.
"""

import functools
import itertools
import math
import warnings
from dataclasses import dataclass

import keras
import numpy as np
from scipy import stats

from harness.arguments import SeedCollisionWarning
from harness.keras_objects import resolve_initializer
from validation.candidates import reference, replica_seeds
from validation.results import CheckResult, bonferroni, p_value_check

GROUP = "initializers"
TRUNCATION_STDDEV = 0.87962566103423978  # Keras: stddev of a unit normal truncated at +-2


def initializer_law(initializer, shape):
    """The scipy distribution a kernel of ``shape`` (fan_in, fan_out) is drawn from."""
    initializer = resolve_initializer(initializer, "kernel_initializer")
    if isinstance(initializer, keras.initializers.VarianceScaling):
        fan_in, fan_out = shape[-2], shape[-1]
        mode, distribution = initializer.mode, initializer.distribution
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = initializer.scale / max(1.0, fan)
        if distribution == "truncated_normal":
            return stats.truncnorm(-2, 2, scale=math.sqrt(variance) / TRUNCATION_STDDEV)
        if distribution == "untruncated_normal":
            return stats.norm(scale=math.sqrt(variance))
        limit = math.sqrt(3.0 * variance)  # uniform
        return stats.uniform(-limit, 2 * limit)
    config = initializer.get_config()
    if isinstance(initializer, keras.initializers.TruncatedNormal):
        return stats.truncnorm(-2, 2, loc=config["mean"], scale=config["stddev"])
    if isinstance(initializer, keras.initializers.RandomNormal):
        return stats.norm(loc=config["mean"], scale=config["stddev"])
    if isinstance(initializer, keras.initializers.RandomUniform):
        return stats.uniform(config["minval"], config["maxval"] - config["minval"])
    raise ValueError(f"kernel_initializer: no theoretical law known for {type(initializer).__name__}")


@functools.lru_cache(maxsize=64)
def _law(kernel_initializer, shape):
    return initializer_law(kernel_initializer, shape)


@functools.lru_cache(maxsize=64)
def _moments(kernel_initializer, shape):
    """Mean, variance and excess kurtosis of the law."""
    return tuple(float(m) for m in _law(kernel_initializer, shape).stats(moments="mvk"))


@dataclass
class InitializerSample:
    """Initial weights ``[replica][layer] -> (kernel, bias)`` of candidate and reference."""

    replicas: int
    kernel_initializer: str
    candidate: list
    reference_same_seeds: list
    reference_fresh_seeds: list

    @property
    def parameters(self):
        return {"replicas": self.replicas, "kernel_initializer": self.kernel_initializer,
                "nodes": [k.shape[1] for k, _ in self.candidate[0]]}

    def kernels(self, weights):
        """``[(replica, layer, kernel)]`` of every block."""
        return [(r, i, k) for r, stack in enumerate(weights) for i, (k, _) in enumerate(stack)]

    def law(self, layer):
        return _law(self.kernel_initializer, self.candidate[0][layer][0].shape)

    def pooled(self, weights, layer):
        return np.concatenate([stack[layer][0].ravel() for stack in weights])

    @property
    def layers(self):
        return range(len(self.candidate[0]))


def initial_weights(implementation, seeds, kernel_initializer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeedCollisionWarning)
        network = implementation.build_network(list(seeds), kernel_initializer=kernel_initializer)
    return implementation.get_replica_weights(network)


@functools.lru_cache(maxsize=4)
def reference_weights(seeds, kernel_initializer):
    return initial_weights(reference(), seeds, kernel_initializer)


def draw(candidate, settings, run_seed, kernel_initializer="glorot_normal"):
    """Build candidate and reference networks and read their initial weights."""
    replicas = settings.init_replicas
    same = tuple(replica_seeds(replicas, run_seed))
    fresh = tuple(replica_seeds(replicas, run_seed, stream=1))
    return InitializerSample(replicas, kernel_initializer,
                             initial_weights(candidate, same, kernel_initializer),
                             reference_weights(same, kernel_initializer),
                             reference_weights(fresh, kernel_initializer))


def exactness(sample, settings):
    """Every kernel and bias block equals the reference's draw on the same seeds, bit for bit."""
    mismatched = [
        (r, i, name)
        for r, (cand, ref) in enumerate(zip(sample.candidate, sample.reference_same_seeds, strict=True))
        for i, (c, f) in enumerate(zip(cand, ref, strict=True))
        for name, a, b in (("kernel", c[0], f[0]), ("bias", c[1], f[1]))
        if a.shape != b.shape or not np.array_equal(a, b)
    ]
    return CheckResult("initializers.exactness", GROUP, sample.parameters, "mismatched_blocks",
                       float(len(mismatched)), 0.0, "<=", None,
                       {"blocks": 2 * sample.replicas * len(sample.layers),
                        "first_mismatches": mismatched[:10]})


def theoretical_law(sample, settings):
    """Kolmogorov-Smirnov of each replica's kernels and of the pooled kernels against the law."""
    tests = {f"replica {r} layer {i}": stats.kstest(k.ravel(), sample.law(i).cdf)
             for r, i, k in sample.kernels(sample.candidate)}
    tests.update({f"pooled layer {i}": stats.kstest(sample.pooled(sample.candidate, i), sample.law(i).cdf)
                  for i in sample.layers})
    return _tests_check("initializers.theoretical_law", sample, settings, tests, "kstest")


def reference_two_sample(sample, settings):
    """Two-sample Kolmogorov-Smirnov of pooled kernels against reference draws on fresh seeds."""
    tests = {f"pooled layer {i}": stats.ks_2samp(sample.pooled(sample.candidate, i),
                                                 sample.pooled(sample.reference_fresh_seeds, i))
             for i in sample.layers}
    return _tests_check("initializers.reference_two_sample", sample, settings, tests, "ks_2samp")


def variance(sample, settings):
    """Mean square of each kernel block (and pooled per layer) against the law's variance.

    z = (mean(w^2) - var) / sqrt((mu4 - var^2) / n), two-sided normal p-value; for glorot_normal
    var = 2 / (fan_in + fan_out).
    """
    def z_test(values, layer):
        shape = sample.candidate[0][layer][0].shape
        mean, var, excess_kurtosis = _moments(sample.kernel_initializer, shape)
        spread = math.sqrt((excess_kurtosis + 2.0) * var**2 / values.size)
        z = (float(np.mean(np.square(values - mean))) - var) / spread
        return stats.norm.sf(abs(z)) * 2, z, var

    results = {f"replica {r} layer {i}": z_test(k.ravel(), i)
               for r, i, k in sample.kernels(sample.candidate)}
    results.update({f"pooled layer {i}": z_test(sample.pooled(sample.candidate, i), i)
                    for i in sample.layers})
    p_value = bonferroni(p for p, _, _ in results.values())
    worst = max(results, key=lambda key: abs(results[key][1]))
    return p_value_check("initializers.variance", GROUP, sample.parameters, p_value, settings.alpha,
                         {"tests": len(results), "worst": worst, "worst_z": results[worst][1],
                          "expected_variance_per_layer": [sample.law(i).var() for i in sample.layers],
                          "measured_variance_per_layer":
                              [float(np.mean(np.square(sample.pooled(sample.candidate, i))))
                               for i in sample.layers]})


def independence(sample, settings):
    """Pearson correlation of every pair of kernel blocks (replicas x layers), on their common length.

    Independent draws give |r| ~ 1 / sqrt(length); colliding seed streams give r = 1.
    """
    blocks = [(f"replica {r} layer {i}", k.ravel()) for r, i, k in sample.kernels(sample.candidate)]
    names, correlations, lengths = [], [], []
    for (name_a, a), (name_b, b) in itertools.combinations(blocks, 2):
        length = min(a.size, b.size)
        names.append(f"{name_a} ~ {name_b}")
        correlations.append(np.corrcoef(a[:length], b[:length])[0, 1])
        lengths.append(length)
    correlations, lengths = np.clip(correlations, -1.0, 1.0), np.asarray(lengths)
    # Pearson's exact null law: t = r sqrt((n - 2) / (1 - r^2)) ~ Student t with n - 2 dof
    t = np.abs(correlations) * np.sqrt((lengths - 2) / np.maximum(1.0 - correlations**2, 1e-300))
    p_value = bonferroni(2.0 * stats.t.sf(t, lengths - 2))
    worst = int(np.argmax(np.abs(correlations)))
    return p_value_check("initializers.independence", GROUP, sample.parameters, p_value, settings.alpha,
                         {"pairs": len(names), "worst_pair": names[worst],
                          "worst_correlation": float(correlations[worst])})


def _tests_check(name, sample, settings, tests, test_name):
    p_value = bonferroni(result.pvalue for result in tests.values())
    worst = min(tests, key=lambda key: tests[key].pvalue)
    return p_value_check(name, GROUP, sample.parameters, p_value, settings.alpha,
                         {"test": test_name, "tests": len(tests), "worst": worst,
                          "worst_statistic": float(tests[worst].statistic)})


CHECKS = (exactness, theoretical_law, reference_two_sample, variance, independence)
