"""Which benchmarks a comparison times: a profile, chosen per device by its measured wall time.

The ``default`` profile (``validation.timing.method``) times the train step, the first step and the
build. Its one-shot cells cost most of its time, and hosts differ (the A/A ledger's wall times by device:
docs/benchmarks.md). ``auto``, what a comparison runs
unless told otherwise, keeps the default where the A/A ledger's runs of it on this device took at most
``BUDGET_SECONDS`` (median) or were never timed, and otherwise runs ``quick``: the default's train steps
alone, the same cells, blocks, rounds and rule. The output names what was left out and the profile
that times it. The quick profile's intervals take the default's run-to-run floors (the same
benchmarks, measured by the same design), and its A/A runs are kept apart in the ledger, so its false
alarms are counted for itself.
"""

from validation.timing.method import DEFAULT_PROFILE, PROFILES, comparison_cases, skipped_cases

AUTO = "auto"
QUICK = "quick"
QUICK_SUITES = ("train_step",)
BUDGET_SECONDS = 180  # issue 17: the default comparison in about 3 minutes on a 2-core machine
LEDGER_PROFILES = (DEFAULT_PROFILE, QUICK)  # the profiles whose A/A runs the ledger counts
NAMES = (AUTO, QUICK, *PROFILES)


def profile_cases(profile, replicas=None):
    """The cases of a profile name (``quick`` or one of ``method.PROFILES``) or of a list of suites."""
    if profile == QUICK:
        return [case for case in comparison_cases(DEFAULT_PROFILE, replicas) if case.suite in QUICK_SUITES]
    return comparison_cases(profile, replicas)


def not_timed(profile, replicas=None):
    """The cases of ``all`` that ``profile`` leaves out, the default's own first."""
    if profile == QUICK:
        default = comparison_cases(DEFAULT_PROFILE, replicas)
        return [case for case in default if case.suite not in QUICK_SUITES] + skipped_cases(DEFAULT_PROFILE,
                                                                                            replicas)
    return skipped_cases(profile, replicas)


def choose_profile(default_wall_time, budget=BUDGET_SECONDS):
    """(profile, why) for ``auto``: ``default_wall_time`` is the default profile's ``WallTime`` on this
    device from the A/A ledger (None: never timed here)."""
    if default_wall_time is None:
        return DEFAULT_PROFILE, (f"profile {DEFAULT_PROFILE} (auto: its time on this device is not measured "
                                 f"yet; above {budget} s there, quick is run instead)")
    wall = default_wall_time
    measured = (f"the median of {wall.runs} A/A ledger run(s) of the default on this device is "
                f"{wall.median:.0f} s ({wall.low:.0f}-{wall.high:.0f} s)")
    if wall.median <= budget:
        return DEFAULT_PROFILE, f"profile {DEFAULT_PROFILE} (auto: {measured}, within the {budget} s budget)"
    return QUICK, (f"profile {QUICK} (auto: {measured}, over the {budget} s budget; `--suites "
                   f"{DEFAULT_PROFILE}` times the first step and the build too)")
