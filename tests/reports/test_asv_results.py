"""Reading genuine asv 0.6 results files."""

import json

import pytest

from reports.errors import ReportInputError
from reports.measurements.asv_config import read_asv_paths
from reports.measurements.asv_results import load_results


@pytest.fixture(scope="module")
def results(asv_project):
    return load_results(read_asv_paths(asv_project).results_dir)


def test_every_parameter_combination_is_read_with_its_samples(results):
    machine = results.machines()[0]
    latest = results.at(machine, results.commits(machine)[-1])
    train = [m for m in latest if m.benchmark.endswith("time_train_step")]
    assert {(m.param_dict["implementation"], m.param_dict["replicas"]) for m in train} == {
        (name, replicas) for name in ("reference", "multidense") for replicas in (1, 4, 16)
    }
    assert all(m.kind == "time" and m.unit == "seconds" and m.sample_count >= 3 for m in train)
    assert all(m.ci_99[0] <= m.value <= m.ci_99[1] for m in train)


def test_a_broken_benchmark_has_no_value(results):
    machine = results.machines()[0]
    latest = results.at(machine, results.commits(machine)[-1])
    broken = {m.param_dict["implementation"]: m.value for m in latest if m.benchmark.endswith("time_broken")}
    assert broken["multidense"] is None and broken["reference"] is not None


def test_commits_are_ordered_oldest_first(results, asv_project):
    import subprocess

    log = subprocess.run(["git", "-C", str(asv_project), "log", "--format=%H", "--reverse"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert results.commits(results.machines()[0]) == log


def test_the_config_paths_are_read_from_asv_conf_json(asv_project):
    paths = read_asv_paths(asv_project)
    assert paths.results_dir == asv_project.resolve() / ".asv" / "results"
    assert paths.config == asv_project.resolve() / "asv.conf.json"


def test_a_missing_results_folder_is_an_error_naming_it(tmp_path):
    with pytest.raises(ReportInputError, match=str(tmp_path / "nowhere")):
        load_results(tmp_path / "nowhere")


def test_an_empty_results_folder_gives_empty_results(tmp_path):
    assert load_results(tmp_path).empty


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 1, "results": {}}), "[]"])
def test_a_corrupt_results_file_is_an_error_naming_it(tmp_path, asv_project, content):
    import shutil

    copy = tmp_path / "results"
    shutil.copytree(read_asv_paths(asv_project).results_dir, copy)
    victim = sorted(copy.glob("*/*-*.json"))[0]
    victim.write_text(content)
    with pytest.raises(ReportInputError, match=f"corrupt results file {victim}"):
        load_results(copy)
