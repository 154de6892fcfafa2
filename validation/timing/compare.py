"""Is my branch slower than main? ``python -m validation.timing.compare --base main [--head HEAD]``.

Both commits are exported (``git archive``) and timed by one warm worker process each, in
interleaved blocks (``benchmarks.interleaved``); every benchmark gets a verdict from the timing rule
(``harness.timing_rule``), printed with its ratio, interval and the method's measured error rates.
Exit status: 0 no regression, 1 a regression, 2 a failure (bad input, a commit that does not run).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from validation.timing.aa import (
    FloorSource,
    LedgerError,
    current_floor_source,
    floor_text,
    ledger_lines,
    wall_time_here,
)
from validation.timing.commits import CommitError, export, resolve
from validation.timing.floors import MIN_RUNS, TAIL_MIN_RUNS
from validation.timing.method import (
    DEFAULT_BLOCKS,
    DEFAULT_PROFILE,
    DEFAULT_ROUNDS,
    DEFAULT_STEPS,
    DETECTION_GOALS,
    MOST_ROUNDS,
    ONE_SHOT_EVERY,
    REFRESH_EVERY,
    SUITE_REPLICAS,
    judge_comparison,
    minimum_detectable,
    rounds_to_detect,
)
from validation.timing.profiles import AUTO, LEDGER_PROFILES, NAMES, choose_profile, not_timed, profile_cases
from validation.timing.rates import PowerTableError, error_rates_lines, load_power, prior_round_sd
from validation.timing.rates import minimum_detectable as table_minimum_detectable

OK, REGRESSION, FAILURE = 0, 1, 2
BACKENDS = ("tensorflow", "jax", "torch")
RESULT = Path("results/timing/compare.json")
SCHEMA = "multireplica-harness/timing-compare/1"


def parser():
    p = argparse.ArgumentParser(prog="python -m validation.timing.compare",
                                description=__doc__.splitlines()[0])
    p.add_argument("--base", default="main", help="the baseline commit or branch (default main)")
    p.add_argument("--head", default="HEAD", help="the commit judged (default HEAD)")
    p.add_argument("--repo", default=".", help="the git repository (default .)")
    p.add_argument("--replicas", type=int, nargs="+", default=None,
                   help="keep only these R (default: each suite's own, see --suites)")
    p.add_argument("--suites", nargs="+", default=[AUTO],
                   choices=(*NAMES, *SUITE_REPLICAS),
                   help="a profile (default: train step R = 1, 10, 100, first step and build R = 1, 100, "
                        "the reference up to R = 10; quick: the default's train steps; all: every suite, "
                        "the reference at every R; auto, the default: default, or quick where the A/A "
                        "ledger timed the default over 3 minutes on this device) or suites")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                   help="fresh worker pairs (default %(default)s)")
    p.add_argument("--blocks", type=int, default=DEFAULT_BLOCKS,
                   help="blocks per round (default %(default)s)")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="timed steps per case and block")
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                   help="Keras backend of both workers: tensorflow, jax or torch (default $KERAS_BACKEND, "
                        "else tensorflow)")
    p.add_argument("--json", type=Path, default=RESULT, help=f"result file (default {RESULT})")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    for name in ("rounds", "blocks", "steps"):
        if getattr(args, name) < 1:
            p.exit(FAILURE, f"error: --{name} must be >= 1, got {getattr(args, name)}\n")
    if args.replicas is not None and any(r < 1 for r in args.replicas):
        p.exit(FAILURE, f"error: --replicas must be >= 1, got {args.replicas}\n")
    if args.backend not in BACKENDS:
        p.exit(FAILURE, f"error: --backend must be one of {', '.join(BACKENDS)}, got {args.backend!r}\n")
    from validation.results import check_writable, write_json

    try:
        check_writable(args.json)
        base, head = resolve(args.repo, args.base, "--base"), resolve(args.repo, args.head, "--head")
        sources = {"base": export(args.repo, base), "head": export(args.repo, head)}
    except (CommitError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return FAILURE
    from benchmarks.interleaved import WorkerError, measure

    suites = args.suites[0] if len(args.suites) == 1 and args.suites[0] in NAMES else args.suites
    if any(name in NAMES for name in args.suites) and not isinstance(suites, str):
        p.exit(FAILURE, f"error: --suites takes one profile ({', '.join(NAMES)}) or suite names, "
                        f"got {args.suites}\n")
    why = None
    if suites == AUTO:
        suites, why = choose_profile(_default_wall_time(args.backend))
    cases = profile_cases(suites, args.replicas)
    if not cases:
        p.exit(FAILURE, f"error: --suites {' '.join(args.suites)} --replicas {args.replicas}: no benchmark\n")
    skipped = not_timed(suites, args.replicas)
    print(f"comparing {args.head} ({head[:12]}) against {args.base} ({base[:12]}) on {args.backend}: "
          f"{len(cases)} benchmarks, {args.rounds} rounds x {args.blocks} interleaved blocks "
          f"x {args.steps} steps")
    if why:
        print(why)
    ledgered = suites in LEDGER_PROFILES  # a profile whose A/A runs the ledger keeps apart
    if ledgered and (args.replicas, args.rounds, args.blocks, args.steps) == (
            None, DEFAULT_ROUNDS, DEFAULT_BLOCKS, DEFAULT_STEPS):
        print(duration_line(args.backend, suites))
    start = time.perf_counter()
    try:
        blocks = measure(sources, cases, args.rounds, args.blocks, args.steps,
                         env={"KERAS_BACKEND": args.backend}, progress=print, one_shot_every=ONE_SHOT_EVERY,
                         refresh_every=REFRESH_EVERY.get(args.backend))
    except WorkerError as error:
        print(f"FAILURE: {error}", file=sys.stderr)
        return FAILURE
    table = _power_table(args.backend)
    priors = prior_round_sd(table, [case.name for case in cases])
    source, floor_error = _floors(args.backend)
    floors = source.sd
    rows = judge_comparison(blocks, "base", "head", prior_round_sd=priors, floor_sd=floors)
    for row, case in zip(rows, blocks.cases, strict=True):
        fitted = table_minimum_detectable(table).get(case.name)
        known = (fitted and fitted["round_sd"], priors.get(case.name))
        floor = floors.get(case.name)
        row["mde"] = minimum_detectable(blocks, "base", "head", case, *known, floor_sd=floor)
        row["mde_this_run"] = minimum_detectable(blocks, "base", "head", case, None, known[1], floor_sd=floor)
        row["goal"] = DETECTION_GOALS[case.suite]
        row["rounds_for_goal"] = rounds_to_detect(blocks, "base", "head", case, row["goal"], *known,
                                                  floor_sd=floor)
    print(format_rows(rows))
    for line in blind_spot_lines(rows, args.rounds):
        print(line)
    print(prior_line(table, priors))
    print(floor_line(source, floor_error, args.backend))
    if skipped:
        print(f"not timed by this profile ({len(skipped)}; `--suites all` times them): "
              f"{', '.join(case.name for case in skipped)}")
    ledger = ledger_lines(args.backend, profile=suites if ledgered else DEFAULT_PROFILE)
    rates = error_rates_lines(table, backend=args.backend, timed=[case.name for case in cases])
    for line in [*rates, *ledger]:
        print(line)
    regressions = [row for row in rows if row["verdict"] == "slower"]
    write_json(args.json, {"schema": SCHEMA, "base": base, "head": head, "base_name": args.base,
                           "head_name": args.head, "backend": args.backend,
                           "seconds": time.perf_counter() - start,
                           "profile": suites if isinstance(suites, str) else None,
                           "skipped": [case.name for case in skipped],
                           "rows": rows, "blocks": blocks.as_json()})
    if regressions:
        print(f"REGRESSION: {len(regressions)} benchmark(s) slower: "
              f"{', '.join(row['benchmark'] for row in regressions)}")
        return REGRESSION
    print(f"OK: no regression ({time.perf_counter() - start:.0f} s; wrote {args.json})")
    return OK


def _power_table(backend):
    try:
        return load_power(backend=backend)
    except PowerTableError:
        return None  # error_rates_lines says why


def _floors(backend):
    """(``FloorSource`` from the committed A/A ledger, error text or None)."""
    try:
        return current_floor_source(backend), None
    except (LedgerError, PowerTableError, OSError) as error:
        return FloorSource({}, 0, 0, False), str(error)


def floor_line(source, error, backend):
    """What floors the intervals (identical code's run-to-run spread and tail, on which runs), or why
    nothing does."""
    if error:
        return f"intervals: no run-to-run floor (the A/A ledger could not be read: {error})"
    if not source.sd:
        return (f"intervals: no run-to-run floor ({source.runs} A/A runs of this method on {backend}; a "
                f"floor needs {MIN_RUNS}: `python -m validation.timing.aa run --backend {backend}`)")
    runs = (f"{source.runs} A/A ledger runs on {backend}, all on this device" if source.own else
            f"{source.runs} A/A ledger runs on {backend}, {source.device_runs} on this device: never "
            f"narrower than all runs' floor until it has {TAIL_MIN_RUNS} of its own")
    return (f"intervals: each side at least as wide as identical code's run-to-run spread or its tail's "
            f"99.5 % quantile ({runs}; a change must pass {floor_text(min(source.sd.values()))}-"
            f"{floor_text(max(source.sd.values()))} by benchmark)")


def _default_wall_time(backend):
    """The default profile's ``WallTime`` on this device, None where unmeasured or unreadable (the
    ``duration_line`` and the ledger lines say why)."""
    try:
        return wall_time_here(backend)
    except (LedgerError, PowerTableError, OSError):
        return None


def duration_line(backend, profile=DEFAULT_PROFILE):
    """How long ``profile``'s comparison took on this device: the A/A ledger's runs of it here, or why
    that is not known."""
    try:
        wall = wall_time_here(backend, profile=profile)
    except (LedgerError, PowerTableError, OSError) as error:
        return f"expected time: unknown (the A/A ledger could not be read: {error})"
    if wall is None:
        return (f"expected time: unknown on this device (no A/A ledger run of this method and profile "
                f"{profile} on {backend} here; `python -m validation.timing.aa run --backend {backend} "
                f"--profile {profile}` records some)")
    return (f"expected time: {wall.median:.0f} s (the median of {wall.runs} A/A ledger run(s) of this "
            f"comparison on this device; {wall.low:.0f}-{wall.high:.0f} s)")


def prior_line(table, priors):
    """What the intervals include beyond this run's own blocks and rounds."""
    if not priors:
        return ("intervals: this run's blocks and rounds only (no timing power table: two rounds cannot "
                "show the round-to-round variance, so the error rates are not measured)")
    return (f"intervals include the round-to-round variance the timing power table measured "
            f"(95 % upper limit, sd {min(priors.values()):.3f}-{max(priors.values()):.3f} on the log "
            f"scale; {table['path']})")


def caught(row):
    """The slowdown a comparison would have caught: the design's (``mde``: 95 % power with the power
    table's round-to-round variance), or this run's (``mde_this_run``: its own rounds' spread) where
    that is larger: rounds that disagree widen the interval beyond what the design assumed. Two rounds
    give that spread one degree of freedom, so on such runs the power is lower (docs/benchmarks.md
    measures it). None without either."""
    return max((row[key] for key in ("mde", "mde_this_run") if row.get(key)), default=None)


def verdict_text(row):
    """The verdict, and for "no detectable change" the slowdown it would have caught (``caught``),
    with the design's figure beside it where this run's rounds made it larger."""
    least = caught(row)
    if row["verdict"] != "no detectable change" or not least:
        return row["verdict"]
    if row.get("mde") and f"{least:.2f}" != f"{row['mde']:.2f}":
        return (f"{row['verdict']} (would have caught >= x{least:.2f} with this run's round spread; "
                f"x{row['mde']:.2f} by design)")
    return f"{row['verdict']} (would have caught >= x{least:.2f})"


def blind_spot_lines(rows, rounds):
    """For each "no detectable change" that could not have seen its suite's goal (``DETECTION_GOALS``;
    ``caught``), how many rounds would have (the power table's round variance and this run's block
    variance), or, where only this run's disagreeing rounds blinded it, that it should be run again."""
    blind = [row for row in rows if row["verdict"] == "no detectable change" and caught(row)
             and caught(row) > row["goal"]]
    if not blind:
        return []
    lines = [f"blind spots of {rounds} rounds "
             "(would not catch the slowdown named for its suite at 95 % power):"]
    for row in blind:
        needed = row.get("rounds_for_goal")
        if needed and needed <= rounds:
            advice = "its rounds disagreed beyond the design's round variance: run it again"
        elif needed:
            advice = f"--rounds {needed} would"
        else:
            advice = f"more than {MOST_ROUNDS} rounds would be needed"
        lines.append(f"  {row['benchmark']}: x{row['goal']:.2f} not seen (caught >= x{caught(row):.2f}); "
                     f"{advice}")
    return lines


def format_rows(rows):
    width = max(len(row["benchmark"]) for row in rows)
    lines = [f"{'benchmark':<{width}}  {'base ms':>9}  {'head ms':>9}  {'head/base':>9}  "
             f"{'99% interval':>15}  verdict", "-" * (width + 70)]
    for row in rows:
        interval = f"{row['low']:.3f} - {row['high']:.3f}" if row["low"] is not None else "-"
        lines.append(f"{row['benchmark']:<{width}}  {row['base_ms']:>9.3f}  {row['head_ms']:>9.3f}  "
                     f"{row['ratio']:>9.3f}  {interval:>15}  {verdict_text(row)}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
