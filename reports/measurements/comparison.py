"""Pairing measurements: fused vs reference at the latest commit, and each commit vs the previous one.

Fused vs reference pairs benchmarks that differ only in the ``implementation`` parameter value;
the ratio is reference / fused (a speedup for times: above 1 the fused implementation is faster).
"""

from dataclasses import dataclass

from harness.registry import REFERENCE
from harness.timing_rule import FASTER, SLOWER
from reports.measurements.statistics import compare, is_regression
from validation.timing.speedup import FUSED_FASTER, FUSED_SLOWER

IMPLEMENTATION_PARAM = "implementation"
LOWERING_PARAM, AUTO_LOWERING = "lowering", "auto"
FUSED_VERDICTS = {SLOWER: FUSED_FASTER, FASTER: FUSED_SLOWER}  # the reference slower = the fused faster


@dataclass(frozen=True)
class FusedVsReference:
    reference: object  # Measurement
    fused: object  # Measurement
    comparison: object  # Comparison of reference / fused

    @property
    def other_params(self):
        return without_implementation(self.fused.params)

    @property
    def verdict(self):
        """The timing rule's verdict on reference / fused, said of the fused implementation."""
        return FUSED_VERDICTS.get(self.comparison.verdict, self.comparison.note)


@dataclass(frozen=True)
class CommitStep:
    previous: object  # Measurement
    current: object  # Measurement
    comparison: object  # Comparison of current / previous

    @property
    def regression(self):
        return is_regression(self.comparison)


def implementation_of(measurement):
    return measurement.param_dict.get(IMPLEMENTATION_PARAM)


def format_params(params):
    """(("implementation", "multidense"), ("replicas", 100)) -> 'implementation=multidense, replicas=100'."""
    return ", ".join(f"{name}={value}" for name, value in params)


def without_implementation(params):
    return tuple((name, value) for name, value in params if name != IMPLEMENTATION_PARAM)


def _reference_key(benchmark, params, env_name):
    """What pairs a fused measurement with the reference's: every parameter but the implementation and
    the lowering (the reference computes one way, measured at ``lowering=auto``)."""
    return benchmark, tuple(p for p in without_implementation(params) if p[0] != LOWERING_PARAM), env_name


def fused_vs_reference(measurements):
    """One pair per (benchmark, other parameters, fused implementation) among ``measurements``; each
    lowering of the fused layer is paired with the reference's one measurement."""
    references = {
        _reference_key(m.benchmark, m.params, m.env_name): m
        for m in measurements
        if implementation_of(m) == REFERENCE
        and m.param_dict.get(LOWERING_PARAM, AUTO_LOWERING) == AUTO_LOWERING
    }
    pairs = []
    for fused in measurements:
        name = implementation_of(fused)
        if name is None or name == REFERENCE:
            continue
        reference = references.get(_reference_key(fused.benchmark, fused.params, fused.env_name))
        if reference is not None:
            pairs.append(FusedVsReference(reference, fused, compare(reference, fused)))
    return pairs


def commit_steps(results, machine, commit):
    """Each measurement of ``commit`` against the same benchmark at the previous measured commit."""
    commits = results.commits(machine)
    index = commits.index(commit)
    return compare_commits(results, machine, commits[index - 1], commit) if index else []


def compare_commits(results, machine, previous_commit, commit):
    """Each measurement of ``commit`` that ``previous_commit`` also has, as current / previous."""
    previous = {_identity(m): m for m in results.at(machine, previous_commit)}
    return [
        CommitStep(previous[_identity(m)], m, compare(m, previous[_identity(m)]))
        for m in results.at(machine, commit)
        if _identity(m) in previous
    ]


def missing_from(results, machine, previous_commit, commit):
    """Measurements of ``previous_commit`` that ``commit`` lacks (benchmark removed or not run)."""
    current = {_identity(m) for m in results.at(machine, commit)}
    return [m for m in results.at(machine, previous_commit) if _identity(m) not in current]


def history(results, machine, measurement):
    """[(commit, measurement, CommitStep against the previous point or None)] of the same benchmark,
    parameters and environment as ``measurement`` over the machine's commits, oldest first."""
    identity = _identity(measurement)
    points = [m for m in results.measurements if m.machine == machine and _identity(m) == identity]
    order = {commit: index for index, commit in enumerate(results.commits(machine))}
    points.sort(key=lambda m: order[m.commit])
    steps = [None] + [CommitStep(previous, current, compare(current, previous))
                      for previous, current in zip(points, points[1:], strict=False)]
    return [(m.commit, m, step) for m, step in zip(points, steps, strict=True)]


def _identity(measurement):
    return measurement.benchmark, measurement.params, measurement.env_name
