"""The nightly's asv side: which commits of main a machine has not measured yet, and measuring one
commit in its own work tree with its own code and benchmarks (asv in an existing environment)."""

import os
import subprocess
from pathlib import Path

from reports.nightly.results_branch import add_worktree, git, remove_worktree

ASV_RESULTS_LINK = Path(".asv") / "results"


def commit_window(repo, ref, max_commits):
    """The last ``max_commits`` first-parent commits of ``ref``, oldest first."""
    if max_commits < 1:
        raise ValueError(f"max_commits must be at least 1, got {max_commits}")
    listed = git(repo, "rev-list", "--first-parent", f"--max-count={max_commits}", ref)
    return listed.split()[::-1]


def split_measured(window, measured):
    """``(to measure, already measured)`` of the commits in ``window``, each oldest first."""
    return [c for c in window if c not in measured], [c for c in window if c in measured]


def link_results(tree, results_dir):
    """Point ``<tree>/.asv/results`` (asv.conf.json's results_dir) at ``results_dir``. A real folder
    there holds someone's results: it is never replaced (FileExistsError naming it)."""
    link = Path(tree) / ASV_RESULTS_LINK
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} is a folder of asv results, not the nightly's link: move it away")
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    link.symlink_to(Path(results_dir).resolve(), target_is_directory=True)
    return link


def asv_command(python, *args):
    return [str(python), "-m", "asv", *args]


def register_machine(python, machine, cwd, environ=None):
    """``asv machine --yes --machine NAME`` (asv keeps it in ~/.asv-machine.json)."""
    subprocess.run(asv_command(python, "machine", "--yes", "--machine", machine), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, env=environ)


def run_command(python, commit, machine, bench=(), quick=False):
    """``asv run`` of ``commit`` in the existing environment of ``python``, samples recorded."""
    command = asv_command(python, "run", "--environment", f"existing:{python}", "--set-commit-hash", commit,
                          "--machine", machine, "--record-samples", "--show-stderr")
    for pattern in bench:
        command += ["--bench", pattern]
    return command + (["--quick"] if quick else [])


def measure_commit(repo, commit, machine, python, results_dir, work_dir, bench=(), quick=False,
                   environ=None, progress=print):
    """Run asv on ``commit`` checked out in a work tree of its own, its code first on the path
    (ASV_PYTHONPATH) so that what is measured is that commit; results go to ``results_dir``.
    Returns asv's exit status (a failed benchmark shows in the results; the gate judges them)."""
    tree = Path(work_dir) / "commits" / commit[:12]
    tree.parent.mkdir(parents=True, exist_ok=True)
    add_worktree(repo, tree, commit)
    try:
        link_results(tree, results_dir)
        environment = {**(os.environ if environ is None else environ), "ASV_PYTHONPATH": str(tree)}
        progress(f"== asv run {commit[:12]} on {machine}")
        return subprocess.run(run_command(python, commit, machine, bench, quick), cwd=tree,
                              env=environment).returncode
    finally:
        remove_worktree(repo, tree)


def discover(python, machine, cwd, environ=None):
    """``asv run --bench just-discover``: write results/benchmarks.json from the suite in ``cwd``."""
    subprocess.run(asv_command(python, "run", "--environment", f"existing:{python}", "--machine", machine,
                               "--bench", "just-discover"), cwd=cwd, check=True, env=environ,
                   stdout=subprocess.DEVNULL)
