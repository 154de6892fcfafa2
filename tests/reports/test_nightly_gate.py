"""The nightly's two regression gates: asv results, or the interleaved comparison against the parent."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from reports.nightly import night


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(night, "_python_module", lambda args, environ, module, *rest: made.append(
        (module, rest)) or 1)
    monkeypatch.setattr(night.gate, "main",
                        lambda argv: made.append(("reports.nightly.gate", tuple(argv))) or 0)
    return made


def night_args(gate, tmp_path):
    return SimpleNamespace(gate=gate, machine="gpu-x", root=tmp_path, work_dir=tmp_path / "work")


def test_the_interleaved_gate_compares_the_commit_with_its_parent(calls, tmp_path):
    commit = "c" * 40
    assert night.regression_gate(night_args("interleaved", tmp_path), Path("r"), commit, {}) == 1
    module, arguments = calls[0]
    assert module == "validation.timing.compare"
    assert arguments[arguments.index("--base") + 1] == f"{commit}^"
    assert arguments[arguments.index("--head") + 1] == commit
    assert arguments[arguments.index("--repo") + 1] == str(tmp_path)


def test_the_asv_gate_judges_the_results_branch(calls, tmp_path):
    assert night.regression_gate(night_args("asv", tmp_path), Path("r"), "d" * 40, {}) == 0
    assert calls == [("reports.nightly.gate",
                      ("--results-dir", "r", "--machine", "gpu-x", "--new", "d" * 40))]


def test_an_unknown_gate_is_refused(capsys):
    with pytest.raises(SystemExit):
        night.parser().parse_args(["--machine", "m", "--gate", "mannwhitney"])
    assert "--gate" in capsys.readouterr().err
