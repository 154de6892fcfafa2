"""Interleaved timing across commits: one warm worker process per commit, short blocks in turn.

asv measures commit A, then commit B; whatever the machine does in between lands in the ratio. Here
every commit under comparison gets its own worker process (the commit's code on ``PYTHONPATH``, this
tree's ``benchmarks`` package for the cases and the clock), all workers are built and warmed, and the
driver then asks them in turn (A B, B A, A B, ...) for one short *block*: ``steps`` timed calls of
every warm case, and one fresh occurrence of every one-shot case (a new model's build, or its first
train step: trace and compile), so that one-shot cells are interleaved and paired like the others.
Consecutive blocks are tens of milliseconds apart, so machine drift hits both commits
alike; a block-by-block log ratio cancels it. A *round* is one set of workers; several rounds give
fresh processes (process-level effects average out). Where a warm model keeps an offset for its
whole life (its memory layout: measured on torch, ``validation.timing.method.REFRESH_EVERY``), the
workers can also rebuild their warm models every few pairs of blocks, untimed, so that the offset
becomes block noise that the blocks average out instead of a round effect that only rounds do.

The worker speaks JSON lines: ``{"op": "setup", "cases": [[suite, implementation, replicas], ...]}``,
``{"op": "block", "steps": k, "one_shot": true}`` (answers the per-case step times; one-shot cases
answer an empty list when ``one_shot`` is false), ``{"op": "refresh"}`` (rebuilds and warms the warm
cases; one worker at a time, untimed) and ``{"op": "quit"}``.
"""

import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
WARM_SUITES = ("train_step", "forward")  # a warm model, ``steps`` timed calls per block
ONE_SHOT_SUITES = ("first_step", "build")  # one fresh first step (trace + compile) or build per block
SUITES = WARM_SUITES + ONE_SHOT_SUITES  # what a worker can time (see ``_build_case``)
PROJECT_PACKAGES = ("harness", "multidense_impl", "reference_impl")  # from the commit's folder


@dataclass(frozen=True)
class Case:
    """One timed thing: a suite at an implementation and replica count."""

    suite: str
    implementation: str
    replicas: int

    @property
    def name(self):
        return f"{self.suite}({self.implementation}, R={self.replicas})"

    @property
    def one_shot(self):
        return self.suite in ONE_SHOT_SUITES

    def __post_init__(self):
        if self.suite not in SUITES:
            raise ValueError(f"suite must be one of {SUITES}, got {self.suite!r}")


@dataclass
class Blocks:
    """Per label and case name, the median step time of each block, with its round."""

    labels: list
    cases: list  # [Case]
    steps: int
    medians: dict = field(default_factory=dict)  # label -> case name -> [seconds per block]
    rounds: list = field(default_factory=list)  # round index of each block
    setup_seconds: dict = field(default_factory=dict)  # label -> [seconds per round]

    def as_json(self):
        return {"labels": self.labels, "cases": [asdict(c) for c in self.cases], "steps": self.steps,
                "medians": self.medians, "rounds": self.rounds, "setup_seconds": self.setup_seconds}

    @classmethod
    def from_json(cls, data):
        return cls(data["labels"], [Case(**c) for c in data["cases"]], data["steps"], data["medians"],
                   data["rounds"], data.get("setup_seconds", {}))


class WorkerError(RuntimeError):
    """A worker failed: its commit's code could not build or run a case."""


class Worker:
    """A worker process timing ``cases`` with the code found on ``pythonpath``."""

    def __init__(self, label, pythonpath, env=None):
        self.label = label
        self.source = Path(pythonpath).resolve()
        pythonpath = self.source
        # several workers share one GPU: neither JAX nor TensorFlow may take it all at start-up
        environment = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "TF_FORCE_GPU_ALLOW_GROWTH": "true",
                       **os.environ, **(env or {}), "PYTHONPATH": str(pythonpath),
                       "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
        self.process = subprocess.Popen(
            [sys.executable, str(BENCHMARKS_DIR / "interleaved.py"), "--worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=str(pythonpath), env=environment)

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            stderr = self.process.stderr.read()[-3000:]
            raise WorkerError(f"worker for {self.label} exited ({self.process.wait()}):\n{stderr}")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"worker for {self.label}: {reply['error']}")
        return reply

    def check_source(self, files):
        """Refuse a worker whose project packages did not come from its commit's folder."""
        foreign = {name: path for name, path in files.items() if not Path(path).is_relative_to(self.source)}
        if foreign:
            raise WorkerError(f"worker for {self.label} imported {foreign} instead of the code in "
                              f"{self.source}")

    def close(self):
        if self.process.poll() is None:
            try:
                self.send({"op": "quit"})
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


def one_shot_block(block, every):
    """Whether block ``block`` samples the one-shot cases: blocks go by twos (one A-B, one B-A, so that
    neither worker always goes first), and one pair in ``every`` samples them."""
    return (block // 2) % every == 0


def refresh_block(block, every):
    """Whether the workers rebuild their warm cases before block ``block``: at the start of one pair of
    blocks in ``every`` after the first (both workers alike); never when ``every`` is None."""
    return every is not None and block > 0 and block % 2 == 0 and (block // 2) % every == 0


def measure(sources, cases, rounds=2, blocks=40, steps=5, env=None, progress=None, one_shot_every=1,
            refresh_every=None):
    """Time ``cases`` under each ``{label: source folder}``, interleaved block by block.

    Each round starts one worker per label (set up side by side), then runs ``blocks`` blocks, the
    order of the labels reversed every other block; one-shot cases are sampled in the blocks that
    ``one_shot_block`` names (NaN in the others), warm cases rebuilt before the blocks that
    ``refresh_block`` names. Returns ``Blocks``.
    """
    labels = list(sources)
    result = Blocks(labels, list(cases), steps,
                    {label: {case.name: [] for case in cases} for label in labels}, [],
                    {label: [] for label in labels})
    payload = [[case.suite, case.implementation, case.replicas] for case in cases]
    for round_index in range(rounds):
        workers = {label: Worker(label, path, env) for label, path in sources.items()}
        try:
            for label, reply in _ask_all(workers, {"op": "setup", "cases": payload}).items():
                workers[label].check_source(reply["files"])
                result.setup_seconds[label].append(reply["seconds"])
            for block in range(blocks):
                order = labels if block % 2 == 0 else labels[::-1]
                if refresh_block(block, refresh_every):
                    for worker in workers.values():  # one at a time: side by side, their thread pools
                        worker.send({"op": "refresh"})  # fought (2-9 s a rebuild against 1 s alone)
                        worker.receive()
                request = {"op": "block", "steps": steps, "one_shot": one_shot_block(block, one_shot_every)}
                for label in order:
                    workers[label].send(request)
                    times = workers[label].receive()["times"]
                    for case, seconds in zip(cases, times, strict=True):
                        result.medians[label][case.name].append(
                            statistics.median(seconds) if seconds else math.nan)
                result.rounds.append(round_index)
        finally:
            for worker in workers.values():
                worker.close()
        if progress:
            progress(f"round {round_index + 1}/{rounds}: {blocks} blocks of {steps} steps per case")
    return result


def _ask_all(workers, message):
    """Send ``message`` to every worker at once (they work side by side), then ``{label: reply}``."""
    for worker in workers.values():
        worker.send(message)
    return {label: worker.receive() for label, worker in workers.items()}


# -- the worker side ---------------------------------------------------------------------------


def _build_case(suite, implementation, replicas):
    from benchmarks.cases import new_fit_case, new_forward_case, new_one_shot_case, warmed

    if suite in ONE_SHOT_SUITES:
        return new_one_shot_case(suite, implementation, replicas)
    if suite == "train_step":
        return warmed(new_fit_case(implementation, replicas))
    return warmed(new_forward_case(implementation, replicas))


def refresh(specs, cases):
    """Replace, in place, every warm case of ``cases`` by a fresh, warmed one (one-shot cases kept).
    The old models are collected first; building with the rest of the heap frozen keeps the
    collections that building runs (``keras.backend.clear_session``) short (measured 3.5 s -> 1.3 s for
    the default profile's five train steps on torch); the new models are frozen like the set-up's."""
    warm = [index for index, spec in enumerate(specs) if spec[0] in WARM_SUITES]
    for index in warm:
        cases[index] = None
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    for index in warm:
        cases[index] = _build_case(*specs[index])
    gc.collect()
    gc.freeze()


def _timed_block(cases, steps, order_rng, one_shot=True):
    """One sample of every one-shot case (``sample()``; none unless ``one_shot``), then ``steps`` timed
    calls of every warm case,
    in a fresh random order at every step.

    A fixed cyclic order gives every case the same predecessor for the whole run, and a small step
    that always follows a large one (caches, thread pools) runs systematically slower: measured as a
    ~10 % "difference" between two identical models at R = 1. The first call of a warm model after
    a one-shot sample (a trace, dropped models to collect) was measured up to 50x slower, so the
    one-shot samples come first, then a collection and one untimed call of every warm case.
    """
    from benchmarks.device import synchronize, timed

    times = [[] for _ in cases]
    shots = [index for index, case in enumerate(cases) if hasattr(case, "sample")]
    warm = [index for index in range(len(cases)) if index not in shots]
    shots = shots if one_shot else []
    for index in order_rng.sample(shots, len(shots)):
        times[index].append(cases[index].sample())
    if shots:
        gc.collect()
        for index in warm:
            synchronize(cases[index].step())
    for _ in range(steps):
        for index in order_rng.sample(warm, len(warm)):
            times[index].append(timed(cases[index].step)[0])
    return times


def _project_files():
    """Where the project packages of this worker were imported from."""
    return {name: sys.modules[name].__file__ for name in PROJECT_PACKAGES if name in sys.modules}


def _load_tool_benchmarks():
    """Import this tree's ``benchmarks`` package (cases, clock), whatever the commit's path holds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "benchmarks", BENCHMARKS_DIR / "__init__.py", submodule_search_locations=[str(BENCHMARKS_DIR)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks"] = module
    spec.loader.exec_module(module)


def worker_main(stdin=sys.stdin, stdout=None):
    """Serve setup/block/quit requests; all other output goes to stderr."""
    reply_stream = stdout or os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # library prints must not corrupt the replies
    specs, cases, order_rng = [], [], random.Random(0)

    def reply(message):
        reply_stream.write(json.dumps(message) + "\n")
        reply_stream.flush()

    for line in stdin:
        request = json.loads(line)
        try:
            if request["op"] == "setup":
                start = time.perf_counter()
                specs = request["cases"]
                cases = [_build_case(*spec) for spec in specs]
                gc.collect()
                gc.freeze()  # the cases live for the whole run: the collections of one-shot samples skip them
                reply({"seconds": time.perf_counter() - start, "files": _project_files()})
            elif request["op"] == "block":
                one_shot = request.get("one_shot", True)
                reply({"times": _timed_block(cases, request["steps"], order_rng, one_shot)})
            elif request["op"] == "refresh":
                start = time.perf_counter()
                refresh(specs, cases)
                reply({"seconds": time.perf_counter() - start})
            elif request["op"] == "quit":
                return
        except Exception as error:  # noqa: BLE001 - reported to the driver, which names the commit
            reply({"error": f"{type(error).__name__}: {error}"})
            return


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != BENCHMARKS_DIR]
    _load_tool_benchmarks()
    worker_main()
