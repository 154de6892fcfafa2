"""``benchmarks/gpu_check.sh``, a GPU machine's first check: its parts run in order, each logged and
time-limited, with the results tarred after every part (rehearsed with a stand-in interpreter)."""

import importlib.util
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.tensorflow_kernel_free  # runs no TensorFlow kernel: once in `make test`

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.sh"


def test_every_module_it_runs_exists():
    modules = set(re.findall(r"\"\$PYTHON\" -m ([a-z_.]+)", SCRIPT.read_text())) - {"pytest"}
    assert modules >= {"benchmarks.lowerings", "validation"}
    assert [name for name in modules if importlib.util.find_spec(name) is None] == []


def run(tmp_path, backends, python="echo"):
    env = {**os.environ, "PYTHON": python, "BACKENDS": backends, "OUT": str(tmp_path / "out")}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_each_part_is_logged_and_the_results_come_back_as_one_archive(tmp_path):
    result = run(tmp_path, "jax torch")
    assert result.returncode == 0, result.stderr
    parts = re.findall(r"=== (\S+) rc=(\d+)", result.stdout)
    assert [name for name, _ in parts] == ["precision-jax", "lowerings-jax", "precision-torch",
                                            "lowerings-torch", "validation-jax", "tests-jax", "tests-torch"]
    assert {rc for _, rc in parts} == {"0"}
    assert "--replicas 10 100 --json" in (tmp_path / "out" / "lowerings-torch.log").read_text()
    with tarfile.open(tmp_path / "out.tgz") as archive:
        assert "./tests-torch.log" in archive.getnames()


def test_a_failing_part_does_not_stop_the_others(tmp_path):
    assert "validation-jax" not in run(tmp_path, "torch").stdout  # the nightly's validation is jax's
    result = run(tmp_path, "torch", python="false")
    assert re.findall(r"=== (\S+) rc=(\d+)", result.stdout) == [
        ("precision-torch", "1"), ("lowerings-torch", "1"), ("tests-torch", "1")]
