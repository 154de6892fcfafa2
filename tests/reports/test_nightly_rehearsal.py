"""The nightly job rehearsed on CPU: ``python -m reports.nightly`` for four nights (and a second
machine) against a throwaway bare ``origin``, plus cheap git-only checks of the results branch.

The rehearsal's project is a snapshot of this working tree (one orphan commit), so what runs is the
code under test. Each night starts from a clean checkout, as actions/checkout gives the runner:

- night 1 (cpu-ci): the results branch does not exist; it is created, the commit measured, the report built;
- night 1b (cpu-second, asv --quick): a second machine appends its own results to the same branch;
- night 2: no new commit: nothing is measured and the results branch gets no new commit;
- night 3: a commit with a planted slowdown in MultiDense.call: only it is measured, the gate exits 1;
- night 4: a commit whose benchmark raises: only it is measured, the gate exits 2;
- throughout: the branch history only grows and every earlier file stays byte-identical.

Cheap: profile quick, one parameter set (the fused train step at R = 1, lowering auto: asv starts one
interpreter, 8 s), KERAS_BACKEND=jax as on the GPU runner, no validation run (``--skip-validation``: its own
tests cover it; the report reads a fixture).
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.nightly import gate
from reports.nightly.asv_runs import commit_window, link_results, split_measured
from reports.nightly.night import gpu_machine_name
from reports.nightly.results_branch import AppendOnlyError, ResultsBranch, measured_commits

# Night 3 must flag a planted slowdown and nights 1-2 must not flag identical code: alone on the machine.
pytestmark = pytest.mark.wall_clock

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
MACHINE, SECOND_MACHINE = "cpu-ci", "cpu-second"
BRANCH = "asv-results"
FUSED_TRAIN_STEP_AT_R1 = r"TrainStep.time_train_step\('multidense', 1, 'off', 'auto'\)"  # one interpreter
NIGHT_ARGUMENTS = ["--max-commits", "2", "--profile", "quick", "--bench", FUSED_TRAIN_STEP_AT_R1,
                   "--results-branch", BRANCH, "--skip-validation"]

# Night 3: MultiDense.call also computes Gram matrices of its inputs, real work no compiler can drop.
SLOWDOWN = ("multidense_impl/layers.py", """

_call_before_the_planted_slowdown = MultiDense.call


def _slowed_call(self, inputs):  # planted slowdown (rehearsal)
    outputs = _call_before_the_planted_slowdown(self, inputs)
    flat = keras.ops.reshape(inputs, (-1, inputs.shape[-1]))
    for scale in (1.0, 2.0):
        outputs = outputs + 1e-12 * keras.ops.mean(keras.ops.matmul(flat * scale, keras.ops.transpose(flat)))
    return outputs


MultiDense.call = _slowed_call
""")
# Night 4: the fused train step's benchmark raises in its setup.
BROKEN = ("benchmarks/bench_fit.py", """

def _broken_setup(self, *params):
    raise RuntimeError("planted: a broken benchmark (rehearsal)")


TrainStep.setup = _broken_setup
""")


def git(repo, *args, **environment):
    finished = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              env={**os.environ, **environment})
    assert finished.returncode == 0, f"git {args}: {finished.stderr}"
    return finished.stdout.strip()


def commit_all(repo, message, day):
    date = f"2026-11-{day:02d}T02:00:00+00:00"  # distinct, increasing: asv orders commits by date
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Rehearsal", "-c", "user.email=r@example.org", "commit", "-q", "-m", message,
        GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return git(repo, "rev-parse", "HEAD")


def snapshot_of_this_working_tree(dev):
    """``dev`` (a clone) reset to one orphan commit holding this working tree's files."""
    git(dev, "checkout", "-q", "--orphan", "rehearsal")
    git(dev, "rm", "-rqf", "--cached", ".")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (dev / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dev / relative)
    return commit_all(dev, "rehearsal snapshot", 1)


def plant(dev, change, message, day):
    """Append ``change``'s code to its module (the names it patches must exist there); commit, push."""
    relative, code = change
    path = dev / relative
    assert "import keras" in path.read_text(), f"{relative} no longer imports keras: update the rehearsal"
    path.write_text(path.read_text() + code)
    commit = commit_all(dev, message, day)
    git(dev, "push", "-q", "origin", "HEAD:refs/heads/main")
    return commit


def branch_files(origin):
    """``{path: blob id}`` of the results branch on ``origin`` (blob ids: equal means byte-identical)."""
    listing = git(origin, "ls-tree", "-r", f"refs/heads/{BRANCH}")
    return {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}


@dataclass
class Night:
    code: int
    summary: dict
    output: str
    tip: str | None  # the results branch on origin afterwards
    files: dict
    report_machines: list  # machines of the published asv site (index.json)


class Rehearsal:
    def __init__(self, tmp):
        self.tmp, self.home = tmp, tmp / "home"
        self.home.mkdir()
        self.dev = tmp / "dev"
        git(tmp, "clone", "-q", "--no-hardlinks", str(ROOT), str(self.dev))
        self.commits = [snapshot_of_this_working_tree(self.dev)]
        self.origin = tmp / "origin.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.origin))
        git(self.dev, "remote", "set-url", "origin", str(self.origin))
        git(self.dev, "push", "-q", "origin", "HEAD:refs/heads/main")
        self.runners = {}

    def tip(self):
        return git(self.origin, "for-each-ref", "--format=%(objectname)", f"refs/heads/{BRANCH}") or None

    def night(self, machine, *extra):
        """One night on ``machine``'s runner: a clean checkout of main, then the nightly."""
        runner = self.runners.get(machine)
        if runner is None:
            runner = self.runners[machine] = self.tmp / f"runner-{machine}"
            git(self.tmp, "clone", "-q", str(self.origin), str(runner))
        git(runner, "pull", "-q", "--ff-only", "origin", "main")
        git(runner, "clean", "-ffdxq")
        (runner / "results" / "validation").mkdir(parents=True)
        shutil.copy(FIXTURES / "validation.json", runner / "results" / "validation" / "validation.json")
        environment = {**os.environ, "HOME": str(self.home), "KERAS_BACKEND": "jax"}  # as on the GPU runner
        environment.pop("GITHUB_STEP_SUMMARY", None)
        finished = subprocess.run([sys.executable, "-m", "reports.nightly", "--machine", machine,
                                   *NIGHT_ARGUMENTS, *extra], cwd=runner, env=environment,
                                  capture_output=True, text=True)
        index = runner / "reports" / "html" / "asv" / "index.json"
        machines = json.loads(index.read_text())["params"]["machine"] if index.exists() else []
        summary = json.loads((runner / ".asv" / "nightly" / "night.json").read_text())
        tip = self.tip()
        return Night(finished.returncode, summary, finished.stdout + finished.stderr, tip,
                     branch_files(self.origin) if tip else {}, sorted(machines))


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    world = Rehearsal(tmp_path_factory.mktemp("nightly-rehearsal"))
    world.tip_before = world.tip()
    world.nights = {"1": world.night(MACHINE), "1b": world.night(SECOND_MACHINE, "--asv-quick"),
                    "2": world.night(MACHINE)}
    world.commits.append(plant(world.dev, SLOWDOWN, "planted slowdown in MultiDense.call", 3))
    world.nights["3"] = world.night(MACHINE)
    world.commits.append(plant(world.dev, BROKEN, "planted broken benchmark", 4))
    world.nights["4"] = world.night(MACHINE)
    return world


def explain(night):
    return f"exit {night.code}; summary {night.summary}\n--- output ---\n{night.output[-6000:]}"


def result_files(night, machine, commit):
    return [path for path in night.files if path.startswith(f"results/{machine}/{commit[:8]}-")]


def test_night_1_starts_the_results_branch_measures_the_commit_and_builds_the_report(rehearsal):
    night, (first, *_) = rehearsal.nights["1"], rehearsal.commits
    assert rehearsal.tip_before is None  # no results branch before the first night
    assert night.code == gate.OK, explain(night)
    assert night.summary["measured"] == [first] and night.summary["appended"] == night.tip
    assert len(result_files(night, MACHINE, first)) == 1 and f"results/{MACHINE}/machine.json" in night.files
    assert git(rehearsal.origin, "rev-list", "--count", night.tip) == "1"  # an orphan history
    assert night.summary["report"] and night.report_machines == [MACHINE]


def test_a_second_machine_appends_its_own_results_to_the_same_branch(rehearsal):
    night, first = rehearsal.nights["1b"], rehearsal.commits[0]
    assert night.code == gate.OK, explain(night)
    assert night.summary["measured"] == [first]  # measured on cpu-ci, not yet on this machine
    assert git(rehearsal.origin, "rev-parse", f"{night.tip}^") == rehearsal.nights["1"].tip
    assert len(result_files(night, SECOND_MACHINE, first)) == 1
    assert night.report_machines == [MACHINE, SECOND_MACHINE]


def test_night_2_measures_nothing_and_adds_no_commit(rehearsal):
    night = rehearsal.nights["2"]
    assert night.code == gate.OK, explain(night)
    assert night.summary["measured"] == [] and night.summary["already_measured"] == rehearsal.commits[:1]
    assert night.summary["appended"] is None and night.tip == rehearsal.nights["1b"].tip
    assert "asv run" not in night.output


def test_night_3_measures_only_the_slowed_commit_and_the_gate_flags_it(rehearsal):
    night, (first, slowed, _) = rehearsal.nights["3"], rehearsal.commits
    assert night.code == gate.REGRESSION, explain(night)
    assert night.summary["measured"] == [slowed] and night.summary["already_measured"] == [first]
    assert night.summary["gate"] == {slowed: gate.REGRESSION}
    assert "REGRESSION bench_fit.TrainStep.time_train_step (implementation=multidense, replicas=1" \
        in night.output, explain(night)
    assert night.summary["appended"] == night.tip and len(result_files(night, MACHINE, slowed)) == 1


def test_night_4_a_broken_benchmark_fails_the_gate(rehearsal):
    night, (_, slowed, broken) = rehearsal.nights["4"], rehearsal.commits
    assert night.code == gate.FAILURE, explain(night)
    assert night.summary["measured"] == [broken] and night.summary["already_measured"] == [slowed]
    assert night.summary["gate"] == {broken: gate.FAILURE}
    assert "FAILED bench_fit.TrainStep.time_train_step" in night.output, explain(night)
    assert night.summary["appended"] == night.tip and len(result_files(night, MACHINE, broken)) == 1
    assert night.report_machines == [MACHINE, SECOND_MACHINE]  # one asv site, both machines


def test_the_results_branch_only_grows(rehearsal):
    """Each night's tip descends from the last (no force push) and keeps every file byte-identical."""
    nights = list(rehearsal.nights.values())
    for before, after in zip(nights, nights[1:], strict=False):
        assert subprocess.run(["git", "-C", str(rehearsal.origin), "merge-base", "--is-ancestor",
                               before.tip, after.tip]).returncode == 0, "the results history was rewritten"
        changed = {path for path, blob in before.files.items() if after.files.get(path) != blob}
        assert not changed, f"files changed or removed on the results branch: {sorted(changed)}"
    commits = git(rehearsal.origin, "rev-list", f"refs/heads/{BRANCH}").split()
    assert len(commits) == 4  # nights 1, 1b, 3 and 4 appended; night 2 did not


# Cheap git-only checks of the results branch (no asv).


@pytest.fixture
def origin_and_clones(tmp_path):
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", "-b", "main", str(seed))
    (seed / "README").write_text("project\n")
    commit_all(seed, "project", 1)
    git(seed, "push", "-q", str(origin), "HEAD:refs/heads/main")
    clones = []
    for name in ("a", "b"):
        git(tmp_path, "clone", "-q", str(origin), str(tmp_path / name))
        clones.append(tmp_path / name)
    return origin, clones


def write_result(results_dir, machine, commit, value=1.0):
    folder = results_dir / machine
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    path = folder / f"{commit[:8]}-existing.json"
    path.write_text(json.dumps({"commit_hash": commit, "version": 2, "value": value}))
    return path


def test_append_refuses_to_change_a_file_already_on_the_branch(origin_and_clones, tmp_path):
    origin, (clone, _) = origin_and_clones
    night = ResultsBranch.open(clone, "origin", BRANCH, tmp_path / "wt1", progress=lambda m: None)
    assert night.base is None
    result = write_result(night.results_dir, MACHINE, "a" * 40)
    tip = night.append(MACHINE, "first", progress=lambda m: None)
    folder = f"results/{MACHINE}"
    assert set(branch_files(origin)) == {f"{folder}/machine.json", f"{folder}/{result.name}"}
    again = ResultsBranch.open(clone, "origin", BRANCH, tmp_path / "wt2", progress=lambda m: None)
    write_result(again.results_dir, MACHINE, "a" * 40, value=2.0)  # re-measured: the same file rewritten
    with pytest.raises(AppendOnlyError, match=result.name):
        again.append(MACHINE, "rewrite", progress=lambda m: None)
    assert git(origin, "rev-parse", f"refs/heads/{BRANCH}") == tip


def test_append_lands_on_top_of_another_runners_push(origin_and_clones, tmp_path):
    origin, (clone_a, clone_b) = origin_and_clones
    quiet = {"progress": lambda m: None}
    first = ResultsBranch.open(clone_a, "origin", BRANCH, tmp_path / "wa", **quiet)
    write_result(first.results_dir, MACHINE, "a" * 40)
    first.append(MACHINE, "seed", **quiet)
    night_a = ResultsBranch.open(clone_a, "origin", BRANCH, tmp_path / "wa", **quiet)
    night_b = ResultsBranch.open(clone_b, "origin", BRANCH, tmp_path / "wb", **quiet)
    write_result(night_a.results_dir, MACHINE, "b" * 40)
    write_result(night_b.results_dir, SECOND_MACHINE, "b" * 40)
    tip_a = night_a.append(MACHINE, "a", **quiet)
    tip_b = night_b.append(SECOND_MACHINE, "b", **quiet)  # rejected once, then added on top of a
    assert git(origin, "rev-parse", f"{tip_b}^") == tip_a
    assert len(branch_files(origin)) == 5  # two machine.json, three results files


def test_commit_window_and_the_skip_rule(origin_and_clones, tmp_path):
    _, (clone, _) = origin_and_clones
    for day in (2, 3, 4):
        (clone / "README").write_text(f"day {day}\n")
        commit_all(clone, f"day {day}", day)
    window = commit_window(clone, "HEAD", 3)
    assert window == git(clone, "rev-list", "--reverse", "--max-count=3", "HEAD").split()
    write_result(tmp_path / "results", MACHINE, window[1])
    write_result(tmp_path / "results", SECOND_MACHINE, window[2])
    measured = measured_commits(tmp_path / "results", MACHINE)
    assert measured == {window[1]}
    assert split_measured(window, measured) == ([window[0], window[2]], [window[1]])
    with pytest.raises(ValueError, match="max_commits"):
        commit_window(clone, "HEAD", 0)


def test_a_real_asv_results_folder_is_never_replaced_by_the_link(tmp_path):
    (tmp_path / ".asv" / "results").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="move it away"):
        link_results(tmp_path, tmp_path / "elsewhere")
    assert (tmp_path / ".asv" / "results").is_dir()


def test_gpu_machine_name():
    assert gpu_machine_name("NVIDIA H100 80GB HBM3\n") == "gpu-NVIDIA-H100-80GB-HBM3"
    with pytest.raises(ValueError, match="GPU name"):
        gpu_machine_name(" -- ")
