"""``python -m reports.nightly.gate``: the nightly regression gate, asv-continuous style.

Compares a commit's asv results with the previous measured commit on the same machine (or the two
given), prints a readable summary (also to $GITHUB_STEP_SUMMARY when set) and exits
0 when no regression, 1 on a significant regression, 2 on a failure (a benchmark errored, results
missing or unreadable). A failure wins over a regression: the results are incomplete.
The regression rule is ``reports.measurements.statistics.is_regression``, the one the report page uses.
"""

import argparse
import os
import sys

from reports.errors import ReportInputError
from reports.measurements.asv_config import read_asv_paths
from reports.measurements.asv_results import load_results
from reports.measurements.comparison import compare_commits, format_params, missing_from
from reports.measurements.statistics import REGRESSION_DESCRIPTION

OK, REGRESSION, FAILURE = 0, 1, 2


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reports.nightly.gate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="project root holding asv.conf.json")
    parser.add_argument("--results-dir", help="asv results folder (default: from asv.conf.json)")
    parser.add_argument("--machine", help="asv machine name (default: the only one in the results)")
    parser.add_argument("--new", help="commit to judge (default: the latest measured)")
    parser.add_argument("--old", help="baseline commit (default: the one measured before --new)")
    args = parser.parse_args(argv)
    try:
        code, lines = judge(args.results_dir or read_asv_paths(args.root).results_dir,
                            args.machine, args.new, args.old)
    except ReportInputError as error:
        code, lines = FAILURE, [f"FAILURE: {error}"]
    summary = "\n".join(lines)
    print(summary)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as handle:
            handle.write(f"## Benchmark regression gate\n\n```\n{summary}\n```\n")
    return code


def judge(results_dir, machine=None, new=None, old=None):
    """(exit code, summary lines) for commit ``new`` against ``old``."""
    results = load_results(results_dir)
    machine = _machine(results, machine, results_dir)
    commits = results.commits(machine)
    new = _resolve(commits, new, machine) if new else commits[-1]
    if old:
        old = _resolve(commits, old, machine)
    elif commits.index(new) == 0:
        return OK, [f"OK: {new[:12]} is the first commit measured on {machine}; no baseline to compare."]
    else:
        old = commits[commits.index(new) - 1]
    steps = compare_commits(results, machine, old, new)
    failed = [m for m in results.at(machine, new) if m.failed]
    skipped = [m for m in results.at(machine, new) if m.skipped]
    missing = missing_from(results, machine, old, new)
    regressions = [step for step in steps if step.regression]
    uncomparable = [step for step in steps if not step.comparison.comparable]
    lines = [f"machine {machine}: {new[:12]} against {old[:12]}, {len(steps)} measurements compared",
             f"rule: {REGRESSION_DESCRIPTION}"]
    if uncomparable:
        lines.append(f"{len(uncomparable)} not comparable (one sample, e.g. asv --quick, or skipped): "
                     f"never flagged")
    if skipped:
        lines.append(f"{len(skipped)} skipped by the benchmarks themselves (e.g. no GPU): not failures")
    lines += [f"REGRESSION {_describe(s.current)}: {s.previous.value:.4g} -> {s.current.value:.4g} "
              f"(x{s.comparison.ratio:.2f}, 99% interval "
              f"{s.comparison.ci_low:.2f}-{s.comparison.ci_high:.2f})"
              for s in regressions]
    lines += [f"FAILED {_describe(m)}: the benchmark errored" for m in failed]
    lines += [f"MISSING {_describe(m)}: measured at {old[:12]}, absent at {new[:12]}" for m in missing]
    if failed or missing:
        return FAILURE, [*lines, f"FAILURE: {len(failed)} failed, {len(missing)} missing"
                                 f" ({len(regressions)} regressions)"]
    if regressions:
        return REGRESSION, [*lines, f"REGRESSION: {len(regressions)} significant regressions"]
    return OK, [*lines, "OK: no significant regression"]


def _machine(results, machine, results_dir):
    machines = results.machines()
    if machine is None:
        if len(machines) != 1:
            raise ReportInputError(f"{results_dir} holds results of machines {machines}: pass --machine")
        return machines[0]
    if machine not in machines:
        raise ReportInputError(f"no results for machine {machine!r} in {results_dir} (found {machines})")
    return machine


def _resolve(commits, prefix, machine):
    matches = [commit for commit in commits if commit.startswith(prefix)]
    if len(matches) != 1:
        raise ReportInputError(f"commit {prefix!r}: {len(matches)} measured commits on {machine} match")
    return matches[0]


def _describe(measurement):
    return f"{measurement.benchmark} ({format_params(measurement.params)})"


if __name__ == "__main__":
    sys.exit(main())
