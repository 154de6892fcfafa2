"""Planted slowdowns for the timing power study: real extra work in ``MultiDense.call``, committed on
top of a base commit, calibrated with two probes through the pipeline itself.

    python -m validation.timing.power plant --factor 1.25 --branch slow-125 [--suite first_step]
"""

import math
from dataclasses import dataclass
from pathlib import Path

from harness.registry import REFERENCE
from validation.timing.commits import export, plant, show
from validation.timing.method import (
    DEFAULT_PROFILE,
    DEFAULT_STEPS,
    DETECTION_GOALS,
    REFRESH_EVERY,
    comparison_cases,
    judge_comparison,
)

PLANTED_SOURCE = Path(__file__).resolve().parents[2] / "benchmarks" / "planted_slowdown.py"
FUSED = "multidense"
CALIBRATION_BLOCKS = 10


@dataclass(frozen=True)
class Planted:
    """A planted slowdown: ``factor`` on the fused ``suite`` at ``replicas``, by the ``knob`` of
    ``planted_slowdown.slowed_call`` (``work``: GEMM work; ``trace_ops``: ops to trace), calibrated
    with two probes (``calibrate``)."""

    factor: float
    suite: str
    replicas: tuple
    knob: str
    probes: dict  # backend -> the first probe's knob setting (a clear signal, about x1.5 to x3)

    def targets(self):
        return [f"{self.suite}({FUSED}, R={r})" for r in self.replicas]


SCENARIOS = {
    "slow_step_1.25": Planted(DETECTION_GOALS["train_step"], "train_step", (1, 10, 100), "work",
                              dict.fromkeys(("tensorflow", "jax", "torch"), 4.0)),
    "slow_first_1.50": Planted(DETECTION_GOALS["first_step"], "first_step", (1, 100), "trace_ops",
                               {"tensorflow": 60.0, "jax": 250.0, "torch": 250.0}),
}


def planted_files(repo, base, work_by_replicas, trace_ops_by_replicas=None):
    """The files of a commit whose ``MultiDense.call`` does ``work_by_replicas`` extra GEMM work and
    ``trace_ops_by_replicas`` extra scalar ops."""
    layers = show(repo, base, "multidense_impl/layers.py")
    patch = ("\n\n# Planted slowdown (validation.timing.power): real extra work, for timing power.\n"
             "from multidense_impl._planted_slowdown import slowed_call  # noqa: E402\n\n"
             f"MultiDense.call = slowed_call(MultiDense.call, {dict(work_by_replicas)!r}, "
             f"{dict(trace_ops_by_replicas or {})!r})\n")
    return {"multidense_impl/_planted_slowdown.py": PLANTED_SOURCE.read_text(),
            "multidense_impl/layers.py": layers.rstrip("\n") + "\n" + patch}


def plant_slowdown(repo, base, planted, setting, label):
    """A commit slowing ``planted``'s cells by ``setting`` ({R: knob value})."""
    knobs = {"work": {}, "trace_ops": {}}
    knobs[planted.knob] = dict(setting)
    text = ", ".join(f"R={r}: {w:.3f}" for r, w in sorted(setting.items()))
    return plant(repo, base, planted_files(repo, base, knobs["work"], knobs["trace_ops"]),
                 f"Planted slowdown {label} ({planted.knob} {text}): extra work in MultiDense.call")


def knob_for(factor, first, second):
    """The knob setting at ``factor`` on the power law ``ratio - 1 = a * knob ** b`` through two probes
    ``(knob, ratio)``: a slowdown grows with the knob, not always in proportion (a larger GEMM costs
    less per flop, op launches cost something at any size), and the law keeps the knob above 0."""
    (x0, y0), (x1, y1) = sorted([first, second])
    if not 0 < x0 < x1:
        raise ValueError(f"the probes must be two positive knob settings, got {first[0]} and {second[0]}")
    if min(y0, y1) <= 1 or y1 <= y0:
        raise RuntimeError(f"calibration: the probes slowed nothing measurable (x{y0:.3f} at {x0}, "
                           f"x{y1:.3f} at {x1})")
    exponent = math.log((y1 - 1) / (y0 - 1)) / math.log(x1 / x0)
    return x0 * ((factor - 1) / (y0 - 1)) ** (1 / exponent)


def calibrate(repo, base, planted, backend, blocks=CALIBRATION_BLOCKS, steps=DEFAULT_STEPS, progress=print):
    """{R: knob} putting ``planted``'s cells at its factor, from two probes timed against ``base``:
    a first probe at the backend's probe setting (a clear signal), a second at the setting that the
    first one's ratio puts at the factor if the slowdown grew in proportion to the knob, then the
    power law through the two measured ratios (``knob_for``), per R."""
    first = dict.fromkeys(planted.replicas, planted.probes[backend])
    first_ratios = _probe_ratios(repo, base, planted, first, backend, blocks, steps)
    second = {r: first[r] * (planted.factor - 1.0) / max(first_ratios[r] - 1.0, 1e-3)
              for r in planted.replicas}
    second_ratios = _probe_ratios(repo, base, planted, second, backend, blocks, steps)
    setting = {}
    for r in planted.replicas:
        points = sorted([(first[r], first_ratios[r]), (second[r], second_ratios[r])])
        try:
            setting[r] = knob_for(planted.factor, *points)
        except (ValueError, RuntimeError):  # equal settings, or noise hid the slope: the proportional guess
            setting[r] = second[r]
    progress(f"calibrated x{planted.factor:.2f} {planted.suite}: {planted.knob} "
             + ", ".join(f"R={r}: {setting[r]:.3f} (probes x{first_ratios[r]:.3f} at {first[r]:.3f}, "
                         f"x{second_ratios[r]:.3f} at {second[r]:.3f})" for r in planted.replicas))
    return {"setting": setting, "probes": [first, second], "probe_ratios": [first_ratios, second_ratios]}


def _probe_ratios(repo, base, planted, setting, backend, blocks, steps):
    """{R: measured ratio} of a probe commit slowing ``planted``'s cells by ``setting``, against
    ``base`` in one interleaved round."""
    from benchmarks.interleaved import measure

    probe = plant_slowdown(repo, base, planted, setting, "probe")
    cases = [case for case in comparison_cases((planted.suite,), planted.replicas, [REFERENCE, FUSED])
             if case in comparison_cases(DEFAULT_PROFILE)]
    recorded = measure({"base": export(repo, base), "probe": export(repo, probe)}, cases, 1, blocks, steps,
                       env={"KERAS_BACKEND": backend}, refresh_every=REFRESH_EVERY.get(backend))
    return {row["replicas"]: row["ratio"] for row in judge_comparison(recorded, "base", "probe")
            if row["implementation"] == FUSED}
