"""Measured error rates of the timing verdicts, from real runs of the comparison pipeline.

    python -m validation.timing.power [--rounds 8] [--blocks 40] [--steps 5]   # the study (tens of min)
    python -m validation.timing.power plant --factor 1.25 --branch slow-125   # a planted branch to try

The study plants, on top of HEAD, an empty commit (A/A: identical code) and two commits whose fused
train step is slowed by real extra work (``benchmarks/planted_slowdown.py``), calibrated with the
pipeline itself to 1.25x and 1.10x at R = 1 and 10. It then records ``rounds`` rounds of the
interleaved pipeline with one worker per commit (base, A/A, 1.25x, 1.10x side by side), every worker
also timing the reference under a second name (``benchmarks.twin_reference``). A comparison as
``make compare`` makes it is two rounds of blocks: every pair of recorded rounds is one comparison
(C(rounds, 2) of them), judged by ``validation.timing.method`` under each method. The twin gives the
false-alarm rate of the fused-vs-reference speedup verdict: one round of one worker is one pair.
"""

import argparse
import itertools
import os
import socket
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from harness.device import device_description
from harness.registry import REFERENCE
from validation.timing.commits import export, plant, resolve, show
from validation.timing.method import (
    DEFAULT_BLOCKS,
    DEFAULT_STEPS,
    METHODS,
    comparison_cases,
    judge_comparison,
)
from validation.timing.rates import DEFAULT_BACKEND, SCHEMA
from validation.timing.speedup import NO_CHANGE as SPEEDUP_NO_CHANGE
from validation.timing.speedup import speedup_rows

TWIN = "benchmarks.twin_reference"
PLANTED_SOURCE = Path(__file__).resolve().parents[2] / "benchmarks" / "planted_slowdown.py"
FUSED = "multidense"
SLOWED_REPLICAS = (1, 10)
FACTORS = {"slow_1.25": 1.25, "slow_1.10": 1.10}
PROBE_WORK = 16.0  # sized for a clear signal (about x1.5 or more); the targets scale it down
FALSE_ALARM_GOAL, EXIT_ZERO_GOAL, DETECTION_GOAL, SPEEDUP_AA_GOAL = 0.01, 0.95, 0.95, 0.99
RESULT = Path("results/timing/power.json")
TEXT_HEADER = "# multireplica-harness timing power table"


def planted_files(repo, base, work_by_replicas):
    """The files of a commit whose ``MultiDense.call`` does ``work_by_replicas`` extra work."""
    layers = show(repo, base, "multidense_impl/layers.py")
    patch = ("\n\n# Planted slowdown (validation.timing.power): real extra work, for timing power.\n"
             "from multidense_impl._planted_slowdown import slowed_call  # noqa: E402\n\n"
             f"MultiDense.call = slowed_call(MultiDense.call, {dict(work_by_replicas)!r})\n")
    return {"multidense_impl/_planted_slowdown.py": PLANTED_SOURCE.read_text(),
            "multidense_impl/layers.py": layers.rstrip("\n") + "\n" + patch}


def plant_slowdown(repo, base, work_by_replicas, label):
    work = ", ".join(f"R={r}: {w:.3f}" for r, w in sorted(work_by_replicas.items()))
    return plant(repo, base, planted_files(repo, base, work_by_replicas),
                 f"Planted slowdown {label} ({work}): extra work in MultiDense.call")


def calibrate(repo, base, factors, blocks=40, steps=DEFAULT_STEPS, progress=print):
    """{label: {R: work}} making the fused train step ``factor`` times slower, from one probe round."""
    from benchmarks.interleaved import measure

    probe = plant_slowdown(repo, base, dict.fromkeys(SLOWED_REPLICAS, PROBE_WORK), "probe")
    cases = comparison_cases(("train_step",), SLOWED_REPLICAS, [REFERENCE, FUSED])
    recorded = measure({"base": export(repo, base), "probe": export(repo, probe)}, cases, 1, blocks, steps)
    rows = {(row["implementation"], row["replicas"]): row
            for row in judge_comparison(recorded, "base", "probe")}
    work = {}
    for label, factor in factors.items():
        work[label] = {}
        for replicas in SLOWED_REPLICAS:
            probe_ratio = rows[(FUSED, replicas)]["ratio"]
            if probe_ratio < 1.02:
                raise RuntimeError(f"calibration: the probe slowed R={replicas} only x{probe_ratio:.3f}")
            work[label][replicas] = PROBE_WORK * (factor - 1.0) / (probe_ratio - 1.0)
        progress(f"calibrated {label}: work {work[label]} (probe x{probe_ratio:.3f} at work {PROBE_WORK})")
    return work


def record(repo, rounds, blocks, steps, progress=print):
    """Plant the commits, calibrate, record ``rounds`` interleaved rounds; returns (Blocks, commits, work)."""
    from benchmarks.interleaved import measure

    base = resolve(repo, "HEAD", "HEAD")
    work = calibrate(repo, base, FACTORS, progress=progress)
    commits = {"base": base,
               "aa": plant(repo, base, {}, "A/A: identical code (timing power study)")}
    commits.update({label: plant_slowdown(repo, base, work[label], label) for label in FACTORS})
    cases = comparison_cases(("train_step",), SLOWED_REPLICAS, [REFERENCE, FUSED, TWIN])
    sources = {label: export(repo, commit) for label, commit in commits.items()}
    return measure(sources, cases, rounds, blocks, steps, progress=progress), commits, work


def _rate_row(name, label, flags, comparisons, goal, kind):
    """A rate against its goal, with the exact (Clopper-Pearson) 95 % interval of the rate: ``met`` is
    the observed rate against the goal; the interval says how far so few runs can vouch for it."""
    rate = flags / comparisons if comparisons else float("nan")
    met = rate <= goal if kind == "at_most" else rate >= goal
    goal_text = f"{'<=' if kind == 'at_most' else '>='} {goal:.0%}" if kind != "report" else "reported"
    interval = stats.binomtest(flags, comparisons).proportion_ci(0.95, method="exact")
    return {"name": name, "label": label, "flags": flags, "comparisons": comparisons, "rate": rate,
            "low95": float(interval.low), "high95": float(interval.high),
            "goal": goal, "goal_text": goal_text, "met": bool(met) if kind != "report" else True}


def analyse(blocks):
    """Rows per method, scenario and benchmark, the summary of the chosen method, the speedup A/A."""
    rounds = np.asarray(blocks.rounds)
    pairs = list(itertools.combinations(sorted(set(rounds.tolist())), 2))
    selections = [np.isin(rounds, pair) for pair in pairs]
    cases = [case for case in blocks.cases if case.implementation != TWIN]
    judged = {}  # (method, scenario) -> [rows per comparison]
    for method in METHODS:
        for scenario in ("aa", *FACTORS):
            sub = _without_twin(blocks, cases)
            judged[(method, scenario)] = [judge_comparison(sub, "base", scenario, method, s)
                                          for s in selections]
    rows = []
    for (method, scenario), comparisons in judged.items():
        for index, case in enumerate(cases):
            verdicts = [rows_[index] for rows_ in comparisons]
            slowed = scenario != "aa" and case.implementation == FUSED
            flagged = sum(v["verdict"] == "slower" for v in verdicts) if slowed else \
                sum(v["verdict"] != "no detectable change" for v in verdicts)
            rows.append({"method": method, "scenario": scenario, "benchmark": case.name,
                         "kind": "detection" if slowed else "false_alarm", "comparisons": len(verdicts),
                         "flags": flagged, "rate": flagged / len(verdicts),
                         "median_ratio": float(np.median([v["ratio"] for v in verdicts]))})
    exit_zero = {method: sum(all(r["verdict"] != "slower" for r in rows_) for rows_ in judged[(method, "aa")])
                 for method in METHODS}
    return rows, exit_zero, len(pairs), speedup_aa(blocks)


def _without_twin(blocks, cases):
    from benchmarks.interleaved import Blocks

    return Blocks(blocks.labels, cases, blocks.steps, blocks.medians, blocks.rounds, blocks.setup_seconds)


def speedup_aa(blocks):
    """The reference against its twin (identical code) inside each worker, two rounds at a time as
    ``python -m validation.timing.speedup`` measures: the speedup A/A pairs."""
    rounds = np.asarray(blocks.rounds)
    pairs = list(itertools.combinations(sorted(set(rounds.tolist())), 2))
    return [{**row, "worker": label, "rounds": list(pair)}
            for label in blocks.labels for pair in pairs
            for row in speedup_rows(blocks, label, np.isin(rounds, pair)) if row["candidate"] == TWIN]


def summarise(rows, exit_zero, comparisons, speedups, method):
    """The headline rates of ``method`` against the issue's goals."""
    chosen = [row for row in rows if row["method"] == method]
    aa = [row for row in chosen if row["scenario"] == "aa"]
    worst = max(aa, key=lambda row: row["rate"])
    lines = [_rate_row("aa_per_benchmark", f"A/A false alarms, worst benchmark ({worst['benchmark']})",
                       worst["flags"], worst["comparisons"], FALSE_ALARM_GOAL, "at_most"),
             _rate_row("aa_exit_zero", "A/A whole comparison exits 0", exit_zero[method], comparisons,
                       EXIT_ZERO_GOAL, "at_least")]
    for scenario, factor in FACTORS.items():
        for row in chosen:
            if row["scenario"] == scenario and row["kind"] == "detection":
                kind = "at_least" if factor >= 1.25 else "report"
                lines.append(_rate_row(f"{scenario}:{row['benchmark']}",
                                       f"planted x{factor:.2f} detected, {row['benchmark']} "
                                       f"(measured x{row['median_ratio']:.3f})",
                                       row["flags"], row["comparisons"], DETECTION_GOAL, kind))
    significant = sum(result["verdict"] != SPEEDUP_NO_CHANGE for result in speedups)
    lines.append(_rate_row("speedup_aa", "speedup A/A (reference vs its twin) not significant",
                           len(speedups) - significant, len(speedups), SPEEDUP_AA_GOAL, "at_least"))
    return lines


def text_table(payload):
    lines = [f"{TEXT_HEADER}: {payload['machine']} {payload['started']}, {payload['seconds']:.0f} s",
             f"# {payload['design']}", f"# method used by the verdicts: {payload['method']}",
             "# columns: flags/comparisons, rate, [exact 95% interval], goal, met (by the observed rate)", ""]
    lines += [f"{row['label']:<78} {row['flags']:>4}/{row['comparisons']:<4} {row['rate']:>7.1%}  "
              f"[{row['low95']:.1%}, {row['high95']:.1%}]  {row['goal_text']:>9}  "
              f"{'yes' if row['met'] else 'NO'}"
              for row in payload["summary"]]
    lines += ["", f"{'method':<11} {'scenario':<10} {'benchmark':<34} {'kind':<12} {'flags':>9} {'rate':>7} "
              f"{'median ratio':>12}"]
    lines += [f"{row['method']:<11} {row['scenario']:<10} {row['benchmark']:<34} {row['kind']:<12} "
              f"{row['flags']:>4}/{row['comparisons']:<4} {row['rate']:>7.1%} {row['median_ratio']:>12.3f}"
              for row in payload["rows"]]
    return "\n".join(lines) + "\n"


def study(args):
    from validation.results import check_writable, now_iso

    text_path = args.json.with_suffix(".txt")
    check_writable(args.json)
    check_writable(text_path, TEXT_HEADER)
    start, started = time.perf_counter(), now_iso()
    blocks, commits, work = record(args.repo, args.rounds, args.blocks, args.steps)
    recorded = {"schema": SCHEMA, "machine": socket.gethostname(), "started": started,
                "device": device_description(os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)),
                "backend": os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND),
                "seconds": time.perf_counter() - start, "commits": commits, "work": work,
                "design_sizes": {"rounds": args.rounds, "blocks": args.blocks, "steps": args.steps},
                "blocks": blocks.as_json()}
    return publish(judged(recorded), args.json)


def judged(recorded):
    """The power table of recorded rounds under the current rule and ``METHOD``."""
    from benchmarks.interleaved import Blocks
    from validation.timing.method import METHOD

    blocks = Blocks.from_json(recorded["blocks"])
    rows, exit_zero, comparisons, speedups = analyse(blocks)
    sizes = recorded["design_sizes"]
    design = (f"{sizes['rounds']} recorded rounds x {sizes['blocks']} blocks x {sizes['steps']} steps, one "
              f"worker per commit (base, A/A, x1.25, x1.10) interleaved; {comparisons} comparisons = every "
              f"pair of rounds (what `make compare` runs: 2 rounds); speedup A/A: {len(speedups)} pairs "
              f"(two rounds of one worker at one R each)")
    return {**recorded, "method": METHOD, "design": design, "rows": rows, "exit_zero": exit_zero,
            "comparisons": comparisons, "speedup_aa": speedups,
            "summary": summarise(rows, exit_zero, comparisons, speedups, METHOD)}


def publish(payload, path):
    from validation.results import write_json

    text_path = Path(path).with_suffix(".txt")
    write_json(path, payload)
    write_text(text_path, text_table(payload))
    print(text_table(payload))
    print(f"wrote {path} and {text_path}")
    return 0


def write_text(path, text):
    from validation.results import check_writable

    check_writable(path, TEXT_HEADER).write_text(text)


def reanalyse(args):
    """Judge the rounds recorded in ``--json`` again (after a change of the rule or the method)."""
    from validation.timing.rates import load_power

    recorded = load_power(args.json)
    recorded.pop("path")
    return publish(judged(recorded), args.json)


def plant_command(args):
    base = resolve(args.repo, args.base, "--base")
    work = calibrate(args.repo, base, {"planted": args.factor})["planted"]
    commit = plant_slowdown(args.repo, base, work, f"x{args.factor:.2f}")
    from validation.timing.commits import git

    git(args.repo, "branch", args.branch, commit)
    print(f"branch {args.branch} -> {commit[:12]}: fused train step calibrated to x{args.factor:.2f} "
          f"(work {work}); try: git checkout {args.branch} && make compare BASE={args.base}")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m validation.timing.power", description=__doc__.splitlines()[0])
    p.add_argument("--repo", default=".")
    sub = p.add_subparsers(dest="command")
    planted = sub.add_parser("plant", help="create a branch with a calibrated planted slowdown")
    planted.add_argument("--factor", type=float, required=True)
    planted.add_argument("--branch", required=True)
    planted.add_argument("--base", default="HEAD")
    sub.add_parser("reanalyse", help="judge the rounds recorded in --json again with the current rule")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--blocks", type=int, default=DEFAULT_BLOCKS)
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    p.add_argument("--json", type=Path, default=RESULT)
    args = p.parse_args(argv)
    if args.command == "reanalyse":
        return reanalyse(args)
    if args.command == "plant":
        if not args.factor > 1.0:
            p.error(f"--factor must be > 1, got {args.factor}")
        return plant_command(args)
    if args.rounds < 2:
        p.error(f"--rounds must be >= 2 (a comparison is two rounds), got {args.rounds}")
    return study(args)


if __name__ == "__main__":
    sys.exit(main())
