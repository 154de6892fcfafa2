"""The comparison method: which benchmarks, how many rounds and blocks, and how blocks become verdicts.

Two ways to turn interleaved blocks into a log ratio per block are measured by the timing power study:

* ``raw``: log(head block / base block) of the benchmark itself;
* ``controlled``: the same minus the reference implementation's log ratio in the same blocks (the
  reference is the in-run control: when it moved the same way, the machine moved, not the code).
  Only fused benchmarks have a control; the reference's own benchmark is always judged raw.

``METHOD`` is the one the compare command and the report use (chosen with data: docs/benchmarks.md).
"""

import math

import numpy as np

from harness.registry import REFERENCE, implementation_names
from harness.timing_rule import judge_paired

# The cells a change can slow down: (suite, R). The default profile times them all at every
# implementation but the reference at R = 100, whose first trace takes a minute on TensorFlow's CPU
# (12 s on JAX): ``--suites all`` adds it, and the compiled forward pass.
SUITE_REPLICAS = {"train_step": (1, 10, 100), "first_step": (1, 100), "build": (1, 100),
                  "forward": (1, 10, 100)}
PROFILES = {"default": ("train_step", "first_step", "build"),
            "all": ("train_step", "first_step", "build", "forward")}
DEFAULT_PROFILE = "default"
REFERENCE_MAX_REPLICAS = {"default": 10, "all": None}  # the reference above it: left to ``all``
DEFAULT_ROUNDS = 2
DEFAULT_BLOCKS = 12
DEFAULT_STEPS = 12
ONE_SHOT_EVERY = 2  # one-shot cells (first step, build) in one pair of blocks out of two: half the cost
# Warm models rebuilt in both workers every this many pairs of blocks, per backend (None: kept for
# the round). A torch model keeps an offset for its life (its memory layout): the fused R = 100 train
# step's round sd was 0.076-0.087 on the log scale with one model per round, the largest of every
# backend's (docs/timing-power/torch.txt); rebuilding turns it into block noise. TensorFlow and JAX
# showed none (round sd <= 0.03) and pay a retrace per rebuild.
REFRESH_EVERY = {"torch": 1}
METHODS = ("raw", "controlled")
METHOD = "controlled"  # chosen with the timing power table: docs/benchmarks.md
# The slowdown each suite should be seen at: the factors the timing power study plants (train step
# x1.25, first step x1.5; the build, one-shot too, like the first step). A comparison that would not
# catch it says how many rounds would (``rounds_to_detect``).
DETECTION_GOALS = {"train_step": 1.25, "forward": 1.25, "first_step": 1.5, "build": 1.5}
MOST_ROUNDS = 20


def refresh_text(every):
    """How often the design rebuilt its warm models (``REFRESH_EVERY``)."""
    if every is None:
        return "warm models kept for the round"
    return f"warm models rebuilt every {every} pair(s) of blocks"


def comparison_cases(suites=DEFAULT_PROFILE, replicas=None, implementations=None):
    """Every (suite, implementation, R) of the comparison, the reference first at each (suite, R).

    ``suites``: a profile name (``default``, ``all``) or suite names (each at its own R, every
    implementation); ``replicas`` keeps only those R.
    """
    from benchmarks.interleaved import Case

    profile = suites if isinstance(suites, str) else "all"
    names = PROFILES[profile] if isinstance(suites, str) else tuple(suites)
    unknown = [name for name in names if name not in SUITE_REPLICAS]
    if unknown:
        raise ValueError(f"suites must be among {sorted(SUITE_REPLICAS)} or a profile "
                         f"{sorted(PROFILES)}, got {unknown}")
    implementations = implementations or implementation_names()
    limit = REFERENCE_MAX_REPLICAS[profile]
    return [Case(suite, name, r) for suite in names for r in SUITE_REPLICAS[suite]
            if replicas is None or r in replicas
            for name in implementations
            if not (name == REFERENCE and limit is not None and r > limit)]


def skipped_cases(suites=DEFAULT_PROFILE, replicas=None, implementations=None):
    """The cases of ``all`` that ``suites`` leaves out (what the output says the default skipped)."""
    chosen = {case.name for case in comparison_cases(suites, replicas, implementations)}
    return [case for case in comparison_cases("all", replicas, implementations) if case.name not in chosen]


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


def judge_comparison(blocks, base, head, method=METHOD, selected=None, prior_round_sd=None, floor_sd=None):
    """One row per benchmark: medians, ratio head / base, interval and verdict.

    ``prior_round_sd`` ({benchmark: sd, log scale}): the round-to-round sd measured elsewhere (the
    timing power table's upper limit, ``validation.timing.rates.prior_round_sd``), added to each
    interval as ``sd**2 / rounds``: what two rounds cannot show of it still widens the interval.
    ``floor_sd`` ({benchmark: sd, log scale}): the run-to-run spread of whole comparisons of identical
    code (``validation.timing.floors``); each side of the interval is at least that wide times the
    rule's quantile."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    rounds = np.asarray(blocks.rounds) if selected is None else np.asarray(blocks.rounds)[selected]
    count = len(set(rounds.tolist()))
    rows = []
    for case in blocks.cases:
        control = control_of(case, blocks.cases) if method == "controlled" else None
        prior = (prior_round_sd or {}).get(case.name)
        floor = (floor_sd or {}).get(case.name)
        verdict = judge_paired(block_log_ratios(blocks, base, head, case.name, control, selected), rounds,
                               known_variance=(prior or 0.0) ** 2 / max(count, 1), floor_sd=floor or 0.0)
        base_values, head_values = (np.asarray(blocks.medians[label][case.name]) for label in (base, head))
        if selected is not None:
            base_values, head_values = base_values[selected], head_values[selected]
        rows.append({"benchmark": case.name, "suite": case.suite, "implementation": case.implementation,
                     "replicas": case.replicas, "method": method, "control": control,
                     "base_ms": 1e3 * float(np.nanmedian(base_values)),
                     "head_ms": 1e3 * float(np.nanmedian(head_values)),
                     "ratio": verdict.ratio, "low": verdict.low, "high": verdict.high,
                     "verdict": verdict.verdict, "blocks": verdict.units, "prior_round_sd": prior,
                     "floor_sd": floor})
    return rows


def minimum_detectable(blocks, base, head, case, round_sd=None, prior_round_sd=None, method=METHOD,
                       rounds=None, floor_sd=None):
    """The slowdown this comparison would have caught with 95 % power (``validation.timing.variance``):
    block-to-block variance from its own blocks, round-to-round from ``round_sd`` (the power table's,
    fitted to many rounds) when given, else from its own rounds; the interval as ``judge_comparison``
    widens it by ``prior_round_sd`` (without one: as wide as that spread) and floors it at ``floor_sd``.
    ``rounds``: what the same comparison would have caught with that many rounds of as many blocks.
    None with under 2 rounds."""
    detectable = _detectable(blocks, base, head, case, round_sd, prior_round_sd, method, floor_sd)
    return detectable and detectable(rounds or len(set(blocks.rounds)))


def rounds_to_detect(blocks, base, head, case, factor, round_sd=None, prior_round_sd=None, method=METHOD,
                     most=MOST_ROUNDS, floor_sd=None):
    """The fewest rounds (of as many blocks) with which this comparison would catch ``factor`` with
    95 % power (``minimum_detectable``); None beyond ``most`` or with under 2 rounds to judge from."""
    detectable = _detectable(blocks, base, head, case, round_sd, prior_round_sd, method, floor_sd)
    if detectable is None:
        return None
    return next((rounds for rounds in range(2, most + 1) if detectable(rounds) <= factor), None)


def _detectable(blocks, base, head, case, round_sd, prior_round_sd, method, floor_sd=None):
    """``rounds -> minimum detectable slowdown`` of this comparison's noise (fitted once), None when
    it has under 2 rounds."""
    from validation.timing import variance

    control = control_of(case, blocks.cases) if method == "controlled" else None
    try:
        model = variance.fit(block_log_ratios(blocks, base, head, case.name, control), blocks.rounds)
    except ValueError:
        return None
    blocks_per_round = model.blocks / len(set(blocks.rounds))
    between = model.round_sd if round_sd is None else round_sd

    def detectable(rounds):
        se = math.sqrt(between ** 2 / rounds + model.block_sd ** 2 / (blocks_per_round * rounds))
        # the widest interval (``NoiseModel.interval_se(widest=True)``): this spread plus the prior's
        interval_se = se if prior_round_sd is None else math.sqrt(se ** 2 + prior_round_sd ** 2 / rounds)
        return variance.minimum_detectable(se, max(interval_se, floor_sd or 0.0))

    return detectable
