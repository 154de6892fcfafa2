"""The command line: exit codes, result files, and quick runs on the real and the defective layers."""

import json
import time

import pytest

from validation.__main__ import main
from validation.defects import DEFECTS, module_name
from validation.results import POWER_SCHEMA, check_writable
from validation.settings import QUICK
from validation.steps.suite import GROUPS

from .conftest import quick_results, quick_results_of

CHECK_KEYS = {"name", "group", "parameters", "statistic_name", "statistic", "threshold", "comparison",
              "p_value", "verdict", "seconds", "details"}
ENVIRONMENT_KEYS = {"backend", "keras", "python", "platform", "numpy", "scipy", "device", "hostname"}


def _exit_code(argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    return stop.value.code


def test_unknown_candidate_is_bad_usage(capsys, tmp_path):
    assert _exit_code(["--candidate", "no_such_layer", "--json", str(tmp_path / "v.json")]) == 2
    assert "--candidate 'no_such_layer'" in capsys.readouterr().err
    assert not (tmp_path / "v.json").exists()


def test_candidate_without_weight_functions_is_bad_usage(capsys, tmp_path):
    assert _exit_code(["--candidate", "multidense_impl.network", "--json", str(tmp_path / "v.json")]) == 2
    assert "get_replica_weights" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--quick", "--full"], ["--quick", "--power"], ["--mode"],
                                  ["--backend", "theano"], ["--power-runs", "0"]])
def test_bad_flags_are_bad_usage(argv):
    assert _exit_code(argv) == 2


def test_foreign_result_file_is_not_overwritten(capsys, tmp_path):
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"mine": true}')
    assert _exit_code(["--json", str(foreign)]) == 2
    assert str(foreign) in capsys.readouterr().err and foreign.read_text() == '{"mine": true}'


def test_quick_run_passes_and_writes_the_schema(tmp_path, capsys):
    path = tmp_path / "deep" / "validation.json"
    started = time.perf_counter()
    assert main(["--quick", "--json", str(path)]) == 0
    wall = time.perf_counter() - started
    out = capsys.readouterr().out
    assert out.count("PASS ") == sum(len(g.checks) for g in GROUPS) and "PASSED" in out
    payload = json.loads(path.read_text())
    assert payload["schema"] == "multireplica-harness/validation/1" and payload["mode"] == "quick"
    assert payload["passed"] is True and payload["candidate"] == "multidense"
    assert set(payload["environment"]) >= ENVIRONMENT_KEYS
    # The recorded duration is the run's own (no wall-time limit: CI hosts differ by 2x in speed).
    assert 0 < payload["seconds"] <= wall
    for check in payload["checks"]:
        assert set(check) >= CHECK_KEYS and check["verdict"] == "pass"
        assert check["group"] in {"initializers", "dropout", "equivalence", "training", "isolation"}
    assert set(payload["curves"]) == {"training.no_clipnorm", "isolation.no_clipnorm",
                                      "training.clipnorm", "isolation.clipnorm"}
    check_writable(path)  # our own result file may be overwritten (a foreign one may not: above)


def test_reference_passes_its_own_validation():
    assert all(r.passed for r in quick_results("reference").values())


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_quick_run_fails_on_every_planted_defect(defect):
    results = quick_results_of(module_name(defect), DEFECTS[defect])
    failed = {name for name, r in results.items() if not r.passed}
    assert set(DEFECTS[defect]) <= failed


def test_failing_candidate_exits_1(tmp_path):
    path = tmp_path / "v.json"
    assert main(["--candidate", module_name("shared_bias"), "--json", str(path)]) == 1
    assert json.loads(path.read_text())["passed"] is False


def test_power_rows_and_table(monkeypatch):
    from validation.steps import power

    monkeypatch.setattr(power, "POWER", QUICK)
    dropout = [i for i, g in enumerate(GROUPS) if g.title == "dropout"][0]
    _, failures = power._failures((dropout, ["multidense", module_name("shared_dropout_mask")], [0, 1]))
    assert sum(failures["multidense"].values()) == 0
    assert failures[module_name("shared_dropout_mask")]["dropout.mask_independence"] == 2
    row = power._row("dropout.mask_independence", "shared_dropout_mask", 2, 2)
    assert row["kind"] == "detection" and row["met"] and row["rate"] == 1.0
    assert not power._row("dropout.homogeneity", None, 100, 2)["met"]
    tasks = power.plan(4, 2)
    assert {tuple(t[1]) for t in tasks if t[0] == dropout} == {
        ("multidense", module_name("shared_dropout_mask"))}
    payload = {"schema": POWER_SCHEMA, "started": "now", "environment": {"backend": "x"},
               "null_runs": 2, "seconds": 1.0, "note": "n", "rows": [row]}
    assert power.text_table(payload).startswith("# multireplica-harness validation power table")


def test_backend_other_than_the_loaded_one_is_bad_usage(capsys):
    import keras

    other = "jax" if keras.backend.backend() != "jax" else "torch"
    assert _exit_code(["--backend", other]) == 2
    assert f"--backend {other}" in capsys.readouterr().err
