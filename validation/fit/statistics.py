"""Ensemble statistics of two fits and permutation tests over replicas (numpy and scipy only).

An ensemble is ``(R, N, 8)``: each replica's PDF on the x-grid. Per x and flavour, NNPDF's distance
between fits A and B (validphys ``distance_grids``) is ``d = |m_A - m_B| / sqrt(s_A^2/N_A + s_B^2/N_B)``
and the variance distance (``variance_distance_grids``) is ``|s_A^2 - s_B^2| / sqrt(v_A + v_B)`` with
``v = (m4 - (N - 3) / (N - 1) s^4) / N``, ``s`` the standard deviation (ddof 1), ``m4`` the fourth
central moment. The tests take the maximum over x and flavour, so one p-value covers every point.
"""

import numpy as np

POWERS = 4  # power sums needed for mean, variance and fourth moment


def ensemble_stats(pdf):
    """``(mean, sd)`` over replicas, each ``(N, 8)`` (sd with ddof 1)."""
    pdf = np.asarray(pdf, dtype="float64")
    return pdf.mean(axis=0), pdf.std(axis=0, ddof=1)


def _moments(sums, n):
    """Mean, variance (ddof 1) and fourth central moment from power sums ``(..., 4, points)``."""
    mean = sums[..., 0, :] / n
    raw = [sums[..., k, :] / n for k in range(POWERS)]
    m2 = raw[1] - mean**2
    m4 = raw[3] - 4 * mean * raw[2] + 6 * mean**2 * raw[1] - 3 * mean**4
    return mean, m2 * n / (n - 1), m4


def _distances(sums_a, sums_b, n_a, n_b):
    """(distance, variance distance) from the power sums of the two groups, per point."""
    mean_a, var_a, m4_a = _moments(sums_a, n_a)
    mean_b, var_b, m4_b = _moments(sums_b, n_b)
    tiny = np.finfo("float64").tiny
    distance = np.abs(mean_a - mean_b) / np.sqrt(np.maximum(var_a / n_a + var_b / n_b, tiny))
    v_a = (m4_a - (n_a - 3) / (n_a - 1) * var_a**2) / n_a
    v_b = (m4_b - (n_b - 3) / (n_b - 1) * var_b**2) / n_b
    variance = np.abs(var_a - var_b) / np.sqrt(np.maximum(v_a + v_b, tiny))
    return distance, variance


def _power_stack(pooled):
    """``(replicas, 4, points)``: x, x^2, x^3, x^4 of the pooled ensembles, centred per point."""
    flat = pooled.reshape(len(pooled), -1)
    flat = flat - flat.mean(axis=0)
    return np.stack([flat**k for k in range(1, POWERS + 1)], axis=1)


def distance_grids(a, b):
    """``(distance, variance distance)``, each ``(N, 8)``, between ensembles ``a`` and ``b``."""
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    powers = _power_stack(np.concatenate([a, b]))
    d, v = _distances(powers[: len(a)].sum(0), powers[len(a):].sum(0), len(a), len(b))
    return d.reshape(a.shape[1:]), v.reshape(a.shape[1:])


def _max_distances(powers, labels):
    """Max over points of both distances for each labelling row (True: group A), ``(k,)`` each."""
    in_a = labels.astype("float64")
    sums_a = np.einsum("kr,rpn->kpn", in_a, powers)
    sums_b = powers.sum(0) - sums_a
    n_a = labels.sum(1)[:, None]
    d, v = _distances(sums_a, sums_b, n_a, labels.shape[1] - n_a)
    return d.max(axis=1), v.max(axis=1)


def permutation_test(a, b, permutations=1999, seed=0, paired=False, batch=200):
    """Permutation p-values of ``max d`` and ``max variance distance`` between ``a`` and ``b``.

    Unpaired: the 2 labels are shuffled over all pooled replicas (the null: all replicas exchangeable,
    e.g. two fits with independent seeds). Paired (``a[i]`` and ``b[i]`` share seeds and data): the two
    members of each pair are swapped at random (``permutation_p_values``).
    Returns ``{"distance": (statistic, p), "variance_distance": (statistic, p)}``.
    """
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    if paired and np.array_equal(a, b):  # every swap gives the same ensembles: no evidence at all
        return {"distance": (0.0, 1.0), "variance_distance": (0.0, 1.0)}
    powers = _power_stack(np.concatenate([a, b]))

    def maxima(labels):
        distance, variance = _max_distances(powers, labels)
        return {"distance": distance, "variance_distance": variance}

    return permutation_p_values(maxima, len(a), len(a) + len(b), paired, permutations, seed, batch)


def permutation_p_values(statistics, n_a, size, paired, permutations, seed=0, batch=200):
    """Permutation p-values of ``statistics(labels) -> {name: (k,)}`` (labels ``(k, size)``, True: the
    first group), large ``|T|`` counting as evidence.

    The observed labelling puts the first ``n_a`` of ``size`` pooled replicas in the first group.
    Unpaired: labels shuffled over all replicas (the null: all exchangeable); paired (replica i of
    both groups shares seeds and data): the members of each pair swapped at random.
    p = (1 + #{|T_perm| >= |T_obs|}) / (1 + permutations). Returns ``{name: (T_obs, p)}``.
    """
    if paired and 2 * n_a != size:
        raise ValueError(f"paired: the ensembles need the same replicas, got {n_a} and {size - n_a}")
    if min(n_a, size - n_a) < 2:
        raise ValueError(f"ensembles need at least 2 replicas each, got {n_a} and {size - n_a}")
    observed = {name: float(value[0]) for name, value in statistics(np.arange(size)[None] < n_a).items()}
    exceed = dict.fromkeys(observed, 0)
    rng = np.random.default_rng(seed)
    done = 0
    while done < permutations:
        k = min(batch, permutations - done)
        labels = paired_labels(rng, k, n_a) if paired else shuffled_labels(rng, k, n_a, size - n_a)
        for name, values in statistics(labels).items():
            exceed[name] += int(np.sum(np.abs(values) >= abs(observed[name]) * (1 - 1e-12)))
        done += k
    return {name: (observed[name], (1 + exceed[name]) / (1 + permutations)) for name in observed}


def shuffled_labels(rng, k, n_a, n_b):
    keys = rng.random((k, n_a + n_b))
    return np.argsort(np.argsort(keys, axis=1), axis=1) < n_a


def paired_labels(rng, k, pairs):
    swap = rng.random((k, pairs)) < 0.5
    return np.concatenate([~swap, swap], axis=1)
