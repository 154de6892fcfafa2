"""A tiny genuine asv project in a temporary folder, run with asv itself to produce real results files.

The suite mimics the harness benchmarks: parametrised by implementation ("reference", "multidense")
and replicas, with time_, peakmem_ and track_ benchmarks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

BENCHMARK_SOURCE = '''
import time

IMPLEMENTATIONS = ["reference", "multidense"]
REPLICAS = [1, 4, 16]
COST = {"reference": 2e-4, "multidense": 5e-5}
SLOWDOWN = {SLOWDOWN}


class TrainStep:
    params = (IMPLEMENTATIONS, REPLICAS)
    param_names = ["implementation", "replicas"]
    number = 1
    repeat = (8, 10, 2.0)
    warmup_time = 0
    rounds = 1

    def time_train_step(self, implementation, replicas):
        time.sleep(SLOWDOWN * (5e-4 + COST[implementation] * replicas))

    def time_first_step(self, implementation, replicas):
        time.sleep(SLOWDOWN * (1e-3 + COST[implementation] * replicas))

    def peakmem_train_step(self, implementation, replicas):
        buffer = bytearray(100_000 * replicas)
        return len(buffer)

    def track_gpu_memory_bytes(self, implementation, replicas):
        return 1000 * replicas + (5000 if implementation == "multidense" else 0)
    track_gpu_memory_bytes.unit = "bytes"


def track_crossover_replicas(implementation):
    return 3.0 if implementation == "multidense" else 0.0
track_crossover_replicas.params = IMPLEMENTATIONS
track_crossover_replicas.param_names = ["implementation"]

{EXTRA}
'''

FAILING_BENCHMARK = '''
def time_broken(implementation):
    if implementation == "multidense":
        raise RuntimeError("deliberately broken")
time_broken.params = IMPLEMENTATIONS
time_broken.param_names = ["implementation"]
'''


def _git(project, *args):
    subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)


def write_project(project, slowdown=1.0, failing=False):
    """Write (or rewrite) the benchmark suite and asv.conf.json of a tiny project in ``project``."""
    project = Path(project)
    (project / "benchmarks").mkdir(parents=True, exist_ok=True)
    (project / "benchmarks" / "__init__.py").write_text("")
    source = BENCHMARK_SOURCE.replace("{SLOWDOWN}", repr(slowdown))
    source = source.replace("{EXTRA}", FAILING_BENCHMARK if failing else "")
    (project / "benchmarks" / "bench_fixture.py").write_text(source)
    config = {
        "version": 1,
        "project": "fixture",
        "project_url": "https://example.org/<fixture>",
        "repo": ".",
        "branches": ["main"],
        "environment_type": "existing",
        "benchmark_dir": "benchmarks",
        "env_dir": ".asv/env",
        "results_dir": ".asv/results",
        "html_dir": ".asv/html",
    }
    (project / "asv.conf.json").write_text(json.dumps(config, indent=2))
    return project


def commit(project, message):
    """Commit everything in the project; return the full hash."""
    _git(project, "add", "-A")
    _git(project, "-c", "user.name=Fixture", "-c", "user.email=f@example.org", "commit", "-q", "-m", message)
    result = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def init_repo(project):
    """A git repository on branch main."""
    Path(project).mkdir(parents=True, exist_ok=True)
    _git(project, "init", "-q", "-b", "main")
    (Path(project) / ".gitignore").write_text(".asv/\n.asv-machine.json\n")


def asv_run(project, commit_hash, quick=False, machine="fixture-machine"):
    """Run the suite with asv (existing environment) and record the results under ``commit_hash``.

    HOME is the project: asv keeps its machine file (~/.asv-machine.json) there, not in the user's home.
    """
    asv = [sys.executable, "-m", "asv"]
    environment = {**os.environ, "HOME": str(project)}
    subprocess.run(asv + ["machine", "--yes", "--machine", machine], cwd=project, check=True,
                   capture_output=True, env=environment)
    command = asv + ["run", "--python=same", "--set-commit-hash", commit_hash, "--machine", machine,
                     "--record-samples", "--show-stderr"]
    if quick:
        command.append("--quick")
    return subprocess.run(command, cwd=project, capture_output=True, text=True, env=environment)


def build_history(project, slowdowns=(1.0, 1.0), quick=False, failing_last=False):
    """One commit per slowdown, each run with asv; return the commit hashes, oldest first."""
    init_repo(project)
    hashes = []
    for index, slowdown in enumerate(slowdowns):
        failing = failing_last and index == len(slowdowns) - 1
        write_project(project, slowdown=slowdown, failing=failing)
        hashes.append(commit(project, f"commit {index}: <b>slowdown</b> & {slowdown}"))
        asv_run(project, hashes[-1], quick=quick)
    return hashes
