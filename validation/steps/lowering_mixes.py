"""False alarms of the quick training checks on correct fused networks: every mix of lowerings.

The autotuner chooses each layer's lowering per machine, so the fused network validated on one
machine computes with a mix another machine never runs. Every mix computes the same einsums, so any
failing ``training.*`` or ``isolation.*`` check on one is a false alarm. This runs the quick training
group on ``--seeds`` run seeds x every mix of the lowerings that compute R > 1 and reports the largest
``distance / floor`` and the false-alarm count, with its exact (Clopper-Pearson) 95 % interval.

    python -m validation.steps.lowering_mixes --seeds 4 [--lowerings per_replica broadcast] [--json out.json]
"""

import argparse
import itertools
import json
import os
import sys

from scipy import stats

from harness.arguments import check_int
from multidense_impl.lowerings import candidates, check_lowering
from validation.candidates import mixed_lowering_candidate
from validation.settings import QUICK
from validation.steps.suite import GROUPS, run_group

LAYERS = 3


def mixes(lowerings, layers=LAYERS):
    return list(itertools.product(lowerings, repeat=layers))


def measure(seeds, chosen_mixes=None, settings=QUICK, progress=print):
    """Rows ``{mix, run_seed, check, statistic, passed}`` for every seed, training check and mix in
    ``chosen_mixes`` (default: every mix of the lowerings that compute ``settings.training_replicas``
    replicas). Seeds run outermost, so the reference side of each seed is trained once."""
    groups = [group for group in GROUPS if group.title.startswith("training")]
    chosen_mixes = chosen_mixes or mixes(candidates(settings.training_replicas))
    candidates_ = {tuple(mix): mixed_lowering_candidate(mix) for mix in chosen_mixes}
    rows = []
    for seed in range(seeds):
        for group in groups:
            for mix, candidate in candidates_.items():
                results = run_group(group, candidate, settings, seed)
                rows += [{"mix": list(mix), "run_seed": seed, "check": result.name,
                          "statistic": result.statistic, "passed": result.passed,
                          "unstable_from_step": result.details.get("unstable_from_step")}
                         for result in results]
                progress(f"seed {seed} {group.title} {'/'.join(mix)}: worst distance / floor "
                         f"{max(result.statistic for result in results):.3g}")
    return rows


def summary(rows):
    """False alarms among the rows, their exact 95 % interval and the largest statistic."""
    failed = sum(not row["passed"] for row in rows)
    interval = stats.binomtest(failed, len(rows)).proportion_ci(0.95, method="exact")
    return {"checks": len(rows), "false_alarms": failed, "rate": failed / len(rows),
            "rate_95": [interval.low, interval.high],
            "largest_statistic": max(row["statistic"] for row in rows),
            "unstable_runs": sum(row["unstable_from_step"] is not None for row in rows)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m validation.steps.lowering_mixes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=4, help="run seeds per mix (default 4)")
    parser.add_argument("--lowerings", nargs="+", metavar="LOWERING",
                        help="the lowerings to mix (default: every one that computes R > 1)")
    parser.add_argument("--json", help="write the rows and the summary here (a new file)")
    args = parser.parse_args(argv)
    try:
        check_int(args.seeds, "--seeds", minimum=1)
        for lowering in args.lowerings or ():
            if check_lowering(lowering, "--lowerings") not in candidates(QUICK.training_replicas):
                raise ValueError(f"--lowerings: {lowering!r} does not compute "
                                 f"{QUICK.training_replicas} replicas")
    except ValueError as error:
        parser.error(str(error))
    if args.json and os.path.exists(args.json):
        parser.error(f"--json {args.json!r} exists; not overwriting it")
    rows = measure(args.seeds, mixes(args.lowerings) if args.lowerings else None)
    result = summary(rows)
    print(f"{result['false_alarms']}/{result['checks']} training checks failed on correct mixes "
          f"(exact 95 % interval {100 * result['rate_95'][0]:.1f}-{100 * result['rate_95'][1]:.1f} %); "
          f"largest distance / floor {result['largest_statistic']:.3g} (k = {QUICK.k_training:g}); "
          f"{result['unstable_runs']} judged up to an instability")
    if args.json:
        with open(args.json, "x") as handle:
            json.dump({"summary": result, "rows": rows}, handle, indent=1)
    return 1 if result["false_alarms"] else 0


if __name__ == "__main__":
    sys.exit(main())
