"""The run-to-run floor of a comparison's intervals, measured by the A/A ledger.

A comparison's interval comes from its own blocks and the power table's round variance. The A/A
ledger repeats the whole comparison on identical code, so the spread of its log ratios from run to
run is what a comparison's estimate really varies by. Where the intervals were about as wide as that
spread (the calibration's k near 1: TensorFlow's reference train step and jax's reference build at
R = 1), their false-alarm rate sat at the 99 % rule's nominal 1 %, over the project's goal.

The floor of a benchmark is that spread: the root mean square of its recorded log ratios about 0 (where
identical code belongs, so a steady offset of the design counts too), at its one-sided 95 % upper limit
(chi-square, one degree of freedom a run). ``harness.timing_rule`` keeps each side of the interval at
least ``QUANTILE`` times it wide. Under ``MIN_RUNS`` runs a benchmark has no floor.
"""

import math

import numpy as np
from scipy import stats

MIN_RUNS = 10
LEVEL = 0.05  # one-sided: the floor is the spread's 95 % upper limit


def spread_upper(log_ratios):
    """95 % upper limit of the root mean square of ``log_ratios`` about 0; None under ``MIN_RUNS``."""
    values = np.asarray([v for v in log_ratios if v is not None and math.isfinite(v)], dtype=float)
    if values.size < MIN_RUNS:
        return None
    return math.sqrt(float(np.sum(values**2)) / stats.chi2.ppf(LEVEL, values.size))


def log_ratios(records):
    """{benchmark: [log ratio per run]} of ledger ``records`` (rows without a ratio left out)."""
    found = {}
    for record in records:
        for row in record["rows"]:
            if row.get("ratio") and row["ratio"] > 0:
                found.setdefault(row["benchmark"], []).append(math.log(row["ratio"]))
    return found


def floors(records):
    """{benchmark: floor sd (log scale)} from ledger ``records``; benchmarks under ``MIN_RUNS`` runs
    get none."""
    measured = {name: spread_upper(values) for name, values in log_ratios(records).items()}
    return {name: sd for name, sd in measured.items() if sd is not None}
