"""The nightly regression gate: exit 0 ok, 1 regression, 2 failure."""

import subprocess
import sys

import pytest

from reports.nightly.gate import FAILURE, OK, REGRESSION, main
from tests.reports.asv_project import asv_run, commit, init_repo, write_project
from tests.reports.synthetic import MACHINE, SKIPPED, spread, write_commit

OLD, NEW = "a" * 40, "b" * 40


def gate(results_dir, *extra):
    return main(["--results-dir", str(results_dir), *extra])


@pytest.mark.parametrize(
    ("new_samples", "expected"),
    [
        ([spread(1.0), spread(0.5)], OK),  # unchanged
        ([spread(1.0), spread(0.5 * 1.03)], OK),  # significant but under the minimum effect (1.05)
        ([spread(1.0), spread(0.5 * 1.6)], REGRESSION),  # 1.6x slower, significant
        ([spread(1.0), spread(0.5 * 1.6, count=1)], OK),  # 1.6x but one sample (asv --quick)
        ([spread(1.0), None], FAILURE),  # the fused benchmark errored
        ([spread(1.0 * 1.6), None], FAILURE),  # failure wins over a regression
        ([spread(1.0), SKIPPED], OK),  # skipped by the benchmark itself (asv NaN): not a failure
    ],
)
def test_exit_codes(tmp_path, capsys, new_samples, expected):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    write_commit(tmp_path, NEW, 2000, new_samples)
    assert gate(tmp_path) == expected
    summary = capsys.readouterr().out
    assert {OK: "OK:", REGRESSION: "REGRESSION:", FAILURE: "FAILURE:"}[expected] in summary
    assert "bootstrap interval" in summary


def test_the_regression_summary_names_the_benchmark_and_ratio(tmp_path, capsys):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    write_commit(tmp_path, NEW, 2000, [spread(1.0), spread(1.0)])
    assert gate(tmp_path) == REGRESSION
    assert "REGRESSION bench.TrainStep.time_train_step (implementation=multidense, replicas=100)" \
           in capsys.readouterr().out


def test_missing_results_fail(tmp_path, capsys):
    assert gate(tmp_path / "none") == FAILURE
    assert "does not exist" in capsys.readouterr().out


def test_an_unknown_commit_fails(tmp_path):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    assert gate(tmp_path, "--new", "c0ffee") == FAILURE


def test_a_benchmark_missing_from_the_new_commit_fails(tmp_path):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    path = write_commit(tmp_path, NEW, 2000, [spread(1.0), spread(0.5)])
    path.write_text(path.read_text().replace('"results": {"bench.TrainStep.time_train_step"',
                                             '"results": {"bench.TrainStep.time_renamed"'))
    assert gate(tmp_path) == FAILURE


def test_the_first_commit_has_no_baseline_and_passes(tmp_path):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    assert gate(tmp_path) == OK


def test_explicit_commits_and_machine(tmp_path):
    write_commit(tmp_path, OLD, 1000, [spread(1.0), spread(0.5)])
    write_commit(tmp_path, NEW, 2000, [spread(1.0), spread(2.0)])
    assert gate(tmp_path, "--machine", MACHINE, "--old", NEW[:8], "--new", OLD[:8]) == OK
    assert gate(tmp_path, "--machine", "other") == FAILURE


@pytest.mark.wall_clock  # two real asv runs judged against each other: alone on the machine
def test_genuine_quick_runs_of_identical_code_never_regress(tmp_path):
    """asv --quick records one sample; identical code once showed 1.6x 'regressions' that way."""
    init_repo(tmp_path)
    hashes = []
    for index in range(2):
        write_project(tmp_path)
        (tmp_path / f"change{index}.txt").write_text("x")
        hashes.append(commit(tmp_path, f"commit {index}"))
        assert asv_run(tmp_path, hashes[-1], quick=True).returncode == 0
    finished = subprocess.run([sys.executable, "-m", "reports.nightly.gate", "--root", str(tmp_path)],
                              capture_output=True, text=True)
    assert finished.returncode == OK, finished.stdout + finished.stderr
    assert "not comparable" in finished.stdout
