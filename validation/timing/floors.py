"""The run-to-run floor of a comparison's intervals, measured by the A/A ledger.

A comparison's interval comes from its own blocks and the power table's round variance. The A/A
ledger repeats the whole comparison on identical code, so the spread of its log ratios from run to
run is what a comparison's estimate really varies by. Where the intervals were about as wide as that
spread (the calibration's k near 1: TensorFlow's reference train step and jax's reference build at
R = 1), their false-alarm rate sat at the 99 % rule's nominal 1 %, over the project's goal.

``harness.timing_rule`` keeps each side of the interval at least ``QUANTILE`` times a benchmark's
floor wide. The floor is the larger of two measures of the ledger's log ratios about 0 (where
identical code belongs, so a steady offset of the design counts too):

* the spread: their root mean square at its one-sided 95 % upper limit (chi-square, one degree of
  freedom a run), the floor's normal form, which carries the uncertainty of a few runs;
* the tail: the ``TAIL_LEVEL`` quantile of their sizes ``|log ratio|``, from a generalized Pareto
  tail fitted by maximum likelihood to the largest ``TAIL_FRACTION`` of them (peaks over threshold),
  divided by ``QUANTILE``: a benchmark then flags identical code in at most about 0.5 % of runs
  however heavy its tails. The first steps' log ratios have heavy tails (TensorFlow: excess kurtosis
  2-6, their 99.5 % quantiles up to 1.7 times the normal form's), which the spread alone understates.

Under ``MIN_RUNS`` runs a benchmark has no floor; under ``TAIL_MIN_RUNS`` only the spread.

The floor is measured on the device that judges (``DEVICE_FIELDS`` of a run's ``machine``): hosts
differ in noise (TensorFlow's A/A runs on an AMX Xeon varied twice as much as on an AVX-512 EPYC,
Levene p < 0.003 for seven of eleven benchmarks), so a floor pooled over hosts is too narrow on the
noisier one. A device with ``TAIL_MIN_RUNS`` runs of its own has its own floor; before that its
floor is never narrower than the one of all runs.
"""

import math

import numpy as np
from scipy import stats

from harness.timing_rule import QUANTILE

MIN_RUNS = 10
LEVEL = 0.05  # one-sided: the spread is taken at its 95 % upper limit
TAIL_LEVEL = 0.995  # the quantile of |log ratio| the floor's rule reaches (QUANTILE * floor)
TAIL_FRACTION = 0.2  # the largest fifth of |log ratio| is fitted by the tail model
TAIL_MIN_RUNS = 50  # at least 10 exceedances to fit the tail's shape
SHAPE_RANGE = (-0.5, 1.0)  # the Pareto shape's regular range (below -0.5 the fit is not regular)
GRID = 4000  # points of the profile likelihood's search
DEVICE_FIELDS = ("device", "vector_set", "onednn")  # what changes the kernels, hence the noise


def _finite(log_ratios):
    return np.asarray([v for v in log_ratios if v is not None and math.isfinite(v)], dtype=float)


def spread_upper(log_ratios):
    """95 % upper limit of the root mean square of ``log_ratios`` about 0; None under ``MIN_RUNS``."""
    values = _finite(log_ratios)
    if values.size < MIN_RUNS:
        return None
    return math.sqrt(float(np.sum(values**2)) / stats.chi2.ppf(LEVEL, values.size))


def pareto_fit(excesses):
    """(shape, scale) of the generalized Pareto distribution fitted by maximum likelihood to positive
    ``excesses``, the shape kept in ``SHAPE_RANGE``. Grimshaw's reduction: with theta = shape / scale
    the shape that maximises the likelihood is mean(log(1 + theta * y)), so one variable is searched."""
    y = np.asarray(excesses, dtype=float)
    mean, top = float(np.mean(y)), float(np.max(y))
    if not mean > 0:
        return 0.0, max(mean, 0.0)
    theta = np.linspace(-1 / top, 20 / mean, GRID)[1:]  # 1 + theta * y > 0 for every excess
    theta = theta[np.abs(theta) > 1e-9 / mean]
    logs = np.log1p(theta[:, None] * y[None, :])
    shape = logs.mean(axis=1)
    loglik = -y.size * np.log(shape / theta) - (1 / shape + 1) * logs.sum(axis=1)
    exponential = -y.size * (math.log(mean) + 1)  # shape 0: the exponential tail
    regular = (shape >= SHAPE_RANGE[0]) & (shape <= SHAPE_RANGE[1])
    if not regular.any() or exponential >= loglik[regular].max():
        return 0.0, mean
    best = np.flatnonzero(regular)[np.argmax(loglik[regular])]
    return float(shape[best]), float(shape[best] / theta[best])


def tail_quantile(log_ratios, level=TAIL_LEVEL):
    """The ``level`` quantile of ``|log_ratios|`` from a Pareto tail fitted to their largest
    ``TAIL_FRACTION``; None under ``TAIL_MIN_RUNS``."""
    sizes = np.sort(np.abs(_finite(log_ratios)))
    if sizes.size < TAIL_MIN_RUNS:
        return None
    exceed = int(round(TAIL_FRACTION * sizes.size))
    threshold = sizes[-exceed - 1]
    shape, scale = pareto_fit(sizes[-exceed:] - threshold)
    odds = (exceed / sizes.size) / (1 - level)  # how much rarer the quantile is than the threshold
    if abs(shape) < 1e-9:
        return float(threshold + scale * math.log(odds))
    return float(threshold + scale / shape * (odds**shape - 1))


def floor_of(log_ratios):
    """A benchmark's floor sd (log scale): the larger of ``spread_upper`` and ``tail_quantile`` /
    ``QUANTILE``; None under ``MIN_RUNS``."""
    spread = spread_upper(log_ratios)
    if spread is None:
        return None
    tail = tail_quantile(log_ratios)
    return spread if tail is None else max(spread, tail / QUANTILE)


def log_ratios(records):
    """{benchmark: [log ratio per run]} of ledger ``records`` (rows without a ratio left out)."""
    found = {}
    for record in records:
        for row in record["rows"]:
            if row.get("ratio") and row["ratio"] > 0:
                found.setdefault(row["benchmark"], []).append(math.log(row["ratio"]))
    return found


def device_key(machine):
    """The fields of a run's ``machine`` (a ``harness.device.device_description``) that set its noise."""
    machine = machine or {}
    return tuple((field, machine.get(field)) for field in DEVICE_FIELDS)


def pooled_floors(records):
    """{benchmark: floor sd (log scale)} from all ``records`` (``floor_of``); benchmarks under
    ``MIN_RUNS`` runs get none."""
    measured = {name: floor_of(values) for name, values in log_ratios(records).items()}
    return {name: sd for name, sd in measured.items() if sd is not None}


def floors(records, machine):
    """{benchmark: floor sd (log scale)} for judging on ``machine``: from the ``records`` made on its
    device (``device_key``) once they are ``TAIL_MIN_RUNS``; before that the larger of theirs and the
    floor of all ``records``."""
    here = [r for r in records if device_key(r.get("machine")) == device_key(machine)]
    own = pooled_floors(here)
    if len(here) >= TAIL_MIN_RUNS:
        return own
    pooled = pooled_floors(records)
    return {name: max(own.get(name, 0.0), pooled.get(name, 0.0)) for name in own.keys() | pooled.keys()}


def floor_runs(records, machine):
    """(runs on ``machine``'s device, all runs): what ``floors`` measured its floor on."""
    return sum(device_key(r.get("machine")) == device_key(machine) for r in records), len(records)
