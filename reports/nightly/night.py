"""``python -m reports.nightly``: one night of the benchmark job, the whole of what the nightly
workflow does after installing Python (``.github/workflows/nightly-gpu.yml`` only calls this).

1. fetch the results branch (or start it, an orphan history, when the remote has none);
2. measure with asv the commits of the measured branch (the last ``--max-commits``, first parent)
   that have no results on this machine yet, each in its own work tree;
3. the regression gate on each new commit: ``--gate asv`` judges asv's results against the previous
   measured commit (``reports.nightly.gate``, sequential runs); ``--gate interleaved`` times the commit
   against its parent in interleaved workers (``python -m validation.timing.compare``, the method whose
   error rates the timing power table measures);
4. append the new result files to the results branch and push them (never forced);
5. ``python -m validation --quick``, ``python -m validation --fit`` (the size chosen by power) and the
   report (``python -m reports``, asv site included).

Exit status: the worst gate code (0 ok, 1 regression, 2 failure); 2 also when a step fails. A
summary of the night is written as JSON (``--summary``).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from reports.errors import ReportInputError
from reports.nightly import gate
from reports.nightly.asv_runs import (
    commit_window,
    discover,
    link_results,
    measure_commit,
    register_machine,
    split_measured,
)
from reports.nightly.results_branch import ResultsBranch, fetch, measured_commits

MACHINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PROFILE_VARIABLE = "MRH_BENCH_PROFILE"


def progress(message):
    print(message, flush=True)


def parser():
    p = argparse.ArgumentParser(prog="python -m reports.nightly", description=__doc__.splitlines()[0])
    machine = p.add_mutually_exclusive_group(required=True)
    machine.add_argument("--machine", help="asv machine name (letters, digits, '.', '_', '-')")
    machine.add_argument("--machine-from-gpu", action="store_true",
                         help="name the machine after nvidia-smi's first GPU: gpu-<name>")
    p.add_argument("--results-branch", default="asv-results", help="branch keeping the results")
    p.add_argument("--remote", default="origin", help="git remote of both branches (default origin)")
    p.add_argument("--branch", default="main", help="the branch whose commits are measured")
    p.add_argument("--max-commits", type=int, default=5, help="commit window: the last N commits")
    p.add_argument("--profile", default="regular", help=f"benchmark profile ({PROFILE_VARIABLE})")
    p.add_argument("--bench", action="append", default=[], metavar="REGEX",
                   help="asv benchmark filter (repeatable; default: every benchmark)")
    p.add_argument("--asv-quick", action="store_true", help="asv run --quick (one sample: never gated)")
    p.add_argument("--python", default=sys.executable, help="the environment asv runs in")
    p.add_argument("--root", type=Path, default=Path("."), help="the checkout holding asv.conf.json")
    p.add_argument("--work-dir", type=Path, help="work trees of the night (default <root>/.asv/nightly)")
    p.add_argument("--summary", type=Path, help="JSON summary (default <work-dir>/night.json)")
    p.add_argument("--gate", choices=("asv", "interleaved"), default="asv",
                   help="regression gate: asv results vs the previous measured commit, or each commit "
                        "against its parent timed interleaved (validation.timing.compare); default asv")
    p.add_argument("--skip-validation", action="store_true",
                   help="no `python -m validation --quick` nor `--fit`: the report uses the results "
                        "already there")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    _check_arguments(p, args)
    args.root = args.root.resolve()
    args.work_dir = (args.work_dir or args.root / ".asv" / "nightly").resolve()
    args.summary = args.summary or args.work_dir / "night.json"
    night = {"machine": args.machine, "results_branch": args.results_branch, "measured": [],
             "already_measured": [], "gate": {}, "appended": None, "validation": None, "fit": None,
             "report": None}
    try:
        code = run_night(args, night)
    except (ReportInputError, OSError, subprocess.CalledProcessError) as error:
        progress(f"FAILURE: {error}")
        code = gate.FAILURE
    night["exit"] = code
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text(json.dumps(night, indent=2) + "\n")
    progress(f"night on {args.machine}: exit {code} (summary in {args.summary})")
    return code


def _check_arguments(p, args):
    from benchmarks.profiles import PROFILES

    if args.max_commits < 1:
        p.error(f"--max-commits must be at least 1, got {args.max_commits}")
    if args.profile not in PROFILES:
        p.error(f"--profile {args.profile!r} is not one of {sorted(PROFILES)}")
    if args.machine_from_gpu:
        try:
            args.machine = gpu_machine_name(_nvidia_smi_gpu())
        except (OSError, subprocess.CalledProcessError, ValueError) as error:
            p.error(f"--machine-from-gpu: no GPU name from nvidia-smi ({error})")
    if not MACHINE_NAME.match(args.machine):
        p.error(f"--machine {args.machine!r}: use letters, digits, '.', '_' and '-' only")


def gpu_machine_name(gpu):
    """``gpu-`` + the GPU's name with every run of other characters as one '-'."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", gpu.strip()).strip("-")
    if not name:
        raise ValueError(f"no usable GPU name in {gpu!r}")
    return f"gpu-{name}"


def _nvidia_smi_gpu():
    found = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                           text=True, check=True)
    return found.stdout.splitlines()[0]


def run_night(args, night):
    """The night's steps; fills ``night`` and returns the exit status."""
    environ = {**os.environ, PROFILE_VARIABLE: args.profile}
    fetch(args.root, args.remote, args.branch)
    results = ResultsBranch.open(args.root, args.remote, args.results_branch,
                                 args.work_dir / "results-branch", progress)
    link_results(args.root, results.results_dir)
    register_machine(args.python, args.machine, args.root, environ)

    window = commit_window(args.root, f"refs/remotes/{args.remote}/{args.branch}", args.max_commits)
    new, already = split_measured(window, measured_commits(results.results_dir, args.machine))
    night["measured"], night["already_measured"] = new, already
    for commit in already:
        progress(f"{commit[:12]} already measured on {args.machine}")
    for commit in new:
        try:
            measure_commit(args.root, commit, args.machine, args.python, results.results_dir, args.work_dir,
                           args.bench, args.asv_quick, environ, progress)
        except (ReportInputError, OSError) as error:  # the gate reports the commit's missing results
            progress(f"could not run asv on {commit[:12]}: {error}")

    for commit in new:
        progress(f"== regression gate ({args.gate}) on {commit[:12]}")
        night["gate"][commit] = regression_gate(args, results.results_dir, commit, environ)
    worst = max(night["gate"].values(), default=gate.OK)

    if new:
        message = f"asv results of {len(new)} commit(s) on {args.machine}, up to {new[-1][:12]}"
        night["appended"] = results.append(args.machine, message, progress)
    else:
        progress(f"nothing new to measure on {args.machine}: the results branch is left as it is")

    if not args.skip_validation:
        night["validation"] = _python_module(args, environ, "validation", "--quick")
        if night["validation"]:
            progress(f"warning: validation failed (exit {night['validation']}): the report shows it")
        night["fit"] = _python_module(args, environ, "validation", "--fit")  # the size chosen by power
        if night["fit"]:
            progress(f"warning: fit validation failed (exit {night['fit']}): the report shows it")
    if not (results.results_dir / "benchmarks.json").exists():
        discover(args.python, args.machine, args.root, {**environ, "ASV_PYTHONPATH": str(args.root)})
    if _python_module(args, environ, "reports") != 0:
        raise ReportInputError("the report (python -m reports) failed: see its output above")
    night["report"] = str(args.root / "reports" / "html" / "index.html")
    return worst


def regression_gate(args, results_dir, commit, environ):
    """0 ok, 1 regression, 2 failure for ``commit``, by the gate ``args.gate`` names."""
    if args.gate == "asv":
        return gate.main(["--results-dir", str(results_dir), "--machine", args.machine, "--new", commit])
    return _python_module(args, environ, "validation.timing.compare", "--repo", str(args.root),
                          "--base", f"{commit}^", "--head", commit,
                          "--json", str(args.work_dir / f"compare-{commit[:12]}.json"))


def _python_module(args, environ, module, *module_args):
    progress(f"== python -m {module} {' '.join(module_args)}")
    return subprocess.run([args.python, "-m", module, *module_args], cwd=args.root, env=environ).returncode


if __name__ == "__main__":
    sys.exit(main())
