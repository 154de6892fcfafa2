"""The whole-fit timing table (reports/page/fit_timing.py) from synthetic asv 0.6 results files."""

import itertools
import json
import re
import subprocess

import pytest

from reports.measurements.asv_results import load_results
from reports.page.build import build_report
from reports.page.fit_timing import benchmark_class, git_branch_name, whole_fit_table
from tests.reports.conftest import FIXTURES
from tests.reports.synthetic import COLUMNS, SKIPPED

CPU = "bench_whole_fit.WholeFit.time_whole_fit"
GPU = "bench_whole_fit.GpuWholeFit.time_whole_fit"
PARAM_NAMES = ["implementation", "replicas", "steps"]


def write_commit(results_dir, machine, commit, date, values, env_name="existing-py3.11"):
    """One asv results file; ``values``: {(benchmark, implementation, replicas, steps): seconds}, None
    a failure, SKIPPED a skip. Combinations of a benchmark's grid that are not given are skipped."""
    machine_dir = results_dir / machine
    machine_dir.mkdir(parents=True, exist_ok=True)
    (machine_dir / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    index = results_dir / "benchmarks.json"
    benchmarks = json.loads(index.read_text()) if index.exists() else {"version": 2}
    rows = {}
    for name in sorted({key[0] for key in values}):
        grid = [sorted({key[i + 1] for key in values if key[0] == name}, key=str) for i in range(3)]
        result = [values.get((name, *combination), SKIPPED) for combination in itertools.product(*grid)]
        params = [[repr(value) for value in axis] for axis in grid]
        benchmarks[name] = {"name": name, "type": "time", "unit": "seconds", "param_names": PARAM_NAMES,
                            "params": params, "version": "1"}
        samples = [None if v is None or v != v else [v * 0.99, v, v * 1.01] for v in result]
        rows[name] = [result, params, "1", 0, 1.0, None, None, None, None, None, None, samples, None]
    index.write_text(json.dumps(benchmarks))
    data = {"commit_hash": commit, "env_name": env_name, "date": date,
            "params": {"machine": machine, "python": "3.11"}, "python": "3.11", "requirements": {},
            "env_vars": {}, "result_columns": COLUMNS, "results": rows, "durations": {}, "version": 2}
    (machine_dir / f"{commit[:8]}-{env_name}.json").write_text(json.dumps(data))


def fits(benchmark, steps, **seconds):
    """{(benchmark, implementation, replicas, steps): value} from keywords like reference_1=3.0."""
    table = {}
    for key, value in seconds.items():
        implementation, replicas = key.rsplit("_", 1)
        table[(benchmark, implementation, int(replicas), steps)] = value
    return table


def commit_hash(index):
    return f"{index:02d}" + "a" * 38


@pytest.fixture
def history(tmp_path):
    """Three commits on a CPU machine (1 and 100 replicas) and the last two also on a GPU machine,
    written newest first so that file order is not commit order."""
    results = tmp_path / "results"
    cpu = {0: fits(CPU, 20, reference_1=10.0, multidense_1=9.0, reference_100=400.0, multidense_100=100.0),
           1: fits(CPU, 20, reference_1=11.0, multidense_1=8.5, reference_100=380.0),
           2: fits(CPU, 20, reference_1=SKIPPED, multidense_1=None)}
    gpu = {1: fits(GPU, 20, reference_100=50.0, multidense_100=20.0),
           2: fits(GPU, 20, reference_100=45.0, multidense_100=15.0)}
    for index in (2, 1, 0):
        write_commit(results, "cpu-box", commit_hash(index), 1000 * index, cpu[index])
        if index in gpu:
            write_commit(results, "gpu-box", commit_hash(index), 1000 * index, gpu[index])
    return load_results(results)


def test_rows_are_the_measured_commits_oldest_first_with_their_branch(history):
    table = whole_fit_table(history, branch_of={commit_hash(1): "feature"}.get)
    assert [row.commit for row in table.rows] == [commit_hash(i) for i in range(3)]
    assert [row.branch for row in table.rows] == ["", "feature", ""]
    assert table.implementations == ("reference", "multidense")
    assert table.columns == ((1, "reference"), (1, "multidense"), (100, "reference"), (100, "multidense"))


def test_100_replicas_come_from_the_gpu_class_and_1_replica_from_the_cpu_class(history):
    one, hundred = whole_fit_table(history).sources
    assert (one.replicas, one.device, one.machine, one.benchmark, one.steps) == (1, "CPU", "cpu-box", CPU, 20)
    assert (hundred.replicas, hundred.device, hundred.machine) == (100, "GPU", "gpu-box")
    assert hundred.benchmark == GPU
    assert one.env_names == ("existing-py3.11",)


def test_values_and_missing_cells(history):
    values = [row.values for row in whole_fit_table(history).rows]
    assert values == [(10.0, 9.0, None, None),  # the GPU machine never measured the first commit
                      (11.0, 8.5, 50.0, 20.0),
                      (None, None, 45.0, 15.0)]  # skipped and failed on the CPU


def test_the_difference_is_the_first_measured_value_minus_this_row(history):
    differences = [row.differences for row in whole_fit_table(history).rows]
    assert differences[0] == (0.0, 0.0, None, None)
    assert differences[1] == pytest.approx((-1.0, 0.5, 0.0, 0.0))  # the GPU columns start here
    assert differences[2][:2] == (None, None) and differences[2][2:] == pytest.approx((5.0, 5.0))


def test_without_gpu_results_100_replicas_come_from_the_cpu_class(tmp_path):
    results = tmp_path / "results"
    write_commit(results, "cpu-box", commit_hash(0), 0,
                 fits(CPU, 20, reference_1=10.0, reference_100=400.0, multidense_100=100.0))
    table = whole_fit_table(load_results(results))
    assert table.sources[1].device == "CPU" and table.sources[1].benchmark == CPU
    assert table.rows[0].values == (10.0, None, 400.0, 100.0)


def test_a_column_never_mixes_machines_or_step_counts(tmp_path):
    results = tmp_path / "results"
    write_commit(results, "box-a", commit_hash(0), 0, fits(CPU, 20, reference_1=1.0, multidense_1=1.0))
    write_commit(results, "box-a", commit_hash(1), 1000, fits(CPU, 20, reference_1=2.0, multidense_1=2.0))
    write_commit(results, "box-a", commit_hash(2), 2000, fits(CPU, 200, reference_1=9.0, multidense_1=9.0))
    write_commit(results, "box-b", commit_hash(2), 2000, fits(CPU, 20, reference_1=7.0, multidense_1=7.0))
    table = whole_fit_table(load_results(results))
    assert (table.sources[0].machine, table.sources[0].steps) == ("box-a", 20)
    assert [row.values[:2] for row in table.rows] == [(1.0, 1.0), (2.0, 2.0)]  # not 9 (K = 200), not 7


def test_other_benchmarks_are_not_whole_fits(tmp_path):
    assert benchmark_class(CPU) == "WholeFit" and benchmark_class(GPU) == "GpuWholeFit"
    assert benchmark_class("bench_fit.TrainStep.time_train_step") is None
    assert benchmark_class("bench_fit.WholeFit.peakmem_whole_fit") is None
    results = tmp_path / "results"
    write_commit(results, "box", commit_hash(0), 0,
                 fits("bench_fit.FirstStep.time_first_step", 1, reference_1=1.0, multidense_1=1.0))
    assert whole_fit_table(load_results(results)).empty


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_page_shows_the_table_with_branches_devices_and_dashes(history, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    hashes = []
    for index in range(3):
        (repo / "file").write_text(str(index))
        git(repo, "add", "file")
        git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", f"c{index}")
        hashes.append(git(repo, "rev-parse", "HEAD"))
    git(repo, "branch", "older", hashes[1])
    results = repo / ".asv" / "results"
    for file in sorted(history.results_dir.rglob("*.json")):
        text = file.read_text()
        for index, full in enumerate(hashes):
            text = text.replace(commit_hash(index), full)
        target = results / file.relative_to(history.results_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    assert git_branch_name(repo, hashes[0]) == "older~1"
    index = build_report(repo, tmp_path / "html", FIXTURES / "validation.json", publish=False,
                         progress=lambda message: None)
    html = index.read_text()
    table = re.search(r'<table id="whole-fit-table".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr><td>(.*?)</td><td><code>(\w+)</code></td>(.*?)</tr>", table, re.S)
    assert [(branch, commit) for branch, commit, _ in rows] == [
        ("older~1", hashes[0][:10]), ("older", hashes[1][:10]), ("main", hashes[2][:10])]
    cells = [re.findall(r'<td class="num">([^<]*)</td>', rest) for _, _, rest in rows]
    assert cells[0] == ["10", "9", "-", "-", "0", "0", "-", "-"]
    assert cells[2] == ["-", "-", "45", "15", "-", "-", "5", "5"]
    assert "1 replica (CPU)" in table and "100 replicas (GPU)" in table
    assert "asv machine <code>gpu-box</code>, K = 20 steps" in html


def test_a_page_without_whole_fits_says_so(tmp_path):
    (tmp_path / ".asv" / "results").mkdir(parents=True)
    index = build_report(tmp_path, tmp_path / "html", FIXTURES / "validation.json", publish=False,
                         progress=lambda message: None)
    assert 'id="no-whole-fit"' in index.read_text()
