"""The comparison method: which benchmarks, how many rounds and blocks, and how blocks become verdicts.

Two ways to turn interleaved blocks into a log ratio per block are measured by the timing power study:

* ``raw``: log(head block / base block) of the benchmark itself;
* ``controlled``: the same minus the reference implementation's log ratio in the same blocks (the
  reference is the in-run control: when it moved the same way, the machine moved, not the code).
  Only fused benchmarks have a control; the reference's own benchmark is always judged raw.

``METHOD`` is the one the compare command and the report use (chosen with data: docs/benchmarks.md).
"""

import statistics

import numpy as np

from harness.registry import REFERENCE, implementation_names
from harness.timing_rule import judge_paired

DEFAULT_SUITES = ("train_step",)
DEFAULT_REPLICAS = (1, 10)
DEFAULT_ROUNDS = 2
DEFAULT_BLOCKS = 40
DEFAULT_STEPS = 5
METHODS = ("raw", "controlled")
METHOD = "controlled"  # chosen with the timing power table: docs/benchmarks.md


def comparison_cases(suites=DEFAULT_SUITES, replicas=DEFAULT_REPLICAS, implementations=None):
    """Every (suite, implementation, R) of the comparison, the reference first."""
    from benchmarks.interleaved import Case

    implementations = implementations or implementation_names()
    return [Case(suite, name, r) for suite in suites for r in replicas for name in implementations]


def block_log_ratios(blocks, base, head, case_name, control_name=None, selected=None):
    """Per block log(head / base) of ``case_name``, minus the control's when one is named."""
    ratios = np.log(blocks.medians[head][case_name]) - np.log(blocks.medians[base][case_name])
    if control_name is not None:
        ratios = ratios - (np.log(blocks.medians[head][control_name])
                           - np.log(blocks.medians[base][control_name]))
    return ratios if selected is None else ratios[selected]


def control_of(case, cases):
    """The reference's case at the same suite and R, or None for the reference itself."""
    if case.implementation == REFERENCE:
        return None
    for other in cases:
        if (other.implementation, other.suite, other.replicas) == (REFERENCE, case.suite, case.replicas):
            return other.name
    return None


def judge_comparison(blocks, base, head, method=METHOD, selected=None):
    """One row per benchmark: medians, ratio head / base, interval and verdict."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    rows = []
    for case in blocks.cases:
        control = control_of(case, blocks.cases) if method == "controlled" else None
        rounds = np.asarray(blocks.rounds) if selected is None else np.asarray(blocks.rounds)[selected]
        verdict = judge_paired(block_log_ratios(blocks, base, head, case.name, control, selected), rounds)
        base_values, head_values = (np.asarray(blocks.medians[label][case.name]) for label in (base, head))
        if selected is not None:
            base_values, head_values = base_values[selected], head_values[selected]
        rows.append({"benchmark": case.name, "suite": case.suite, "implementation": case.implementation,
                     "replicas": case.replicas, "method": method, "control": control,
                     "base_ms": 1e3 * statistics.median(base_values),
                     "head_ms": 1e3 * statistics.median(head_values),
                     "ratio": verdict.ratio, "low": verdict.low, "high": verdict.high,
                     "verdict": verdict.verdict, "blocks": verdict.units})
    return rows
