"""The whole-fit timing table in the form of the MultiDense PR's (shared/background): one row per
measured commit, oldest first, with its branch; the whole-fit seconds at 1 replica (CPU) and
100 replicas (GPU where measured, else CPU) for the reference and each fused implementation; and,
per column, the column's first measured value minus this row's (positive: faster than the first).

Each column comes from one source: one benchmark class (``WholeFit`` pinned to the CPU, or
``GpuWholeFit``), one asv machine and one number of fit steps, so a column never mixes devices,
machines or amounts of work. Cells never measured (or skipped, or failed) are None ("-" on the page).
"""

import subprocess
from collections import Counter
from dataclasses import dataclass

from harness.registry import REFERENCE, implementation_names
from reports.measurements.comparison import implementation_of

CPU_CLASS = "WholeFit"
GPU_CLASS = "GpuWholeFit"
METHOD = "time_whole_fit"
DEVICES = {CPU_CLASS: "CPU", GPU_CLASS: "GPU"}
# Replica counts of the table and the benchmark classes they are taken from, preferred first.
TABLE_SOURCES = {1: (CPU_CLASS,), 100: (GPU_CLASS, CPU_CLASS)}


@dataclass(frozen=True)
class Source:
    """Where one replica count's columns were measured."""

    replicas: int
    benchmark: str | None  # None: never measured
    machine: str | None
    steps: int | None
    env_names: tuple = ()

    @property
    def device(self):
        return DEVICES[benchmark_class(self.benchmark)] if self.benchmark else None


@dataclass(frozen=True)
class Row:
    commit: str
    branch: str
    values: tuple  # seconds per column (None: not measured), columns as WholeFitTable.columns
    differences: tuple  # the column's first measured value minus this row's value


@dataclass(frozen=True)
class WholeFitTable:
    sources: tuple  # one Source per replica count, in TABLE_SOURCES order
    implementations: tuple  # the reference first
    rows: tuple  # oldest commit first

    @property
    def columns(self):
        """``(replicas, implementation)`` per value column."""
        return tuple((source.replicas, name) for source in self.sources for name in self.implementations)

    @property
    def empty(self):
        return not self.rows


def benchmark_class(benchmark):
    """'bench_whole_fit.GpuWholeFit.time_whole_fit' -> 'GpuWholeFit'; None for other benchmarks."""
    parts = benchmark.split(".")
    if len(parts) >= 2 and parts[-1] == METHOD and parts[-2] in DEVICES:
        return parts[-2]
    return None


def whole_fit_table(results, branch_of=None):
    """The table from ``results`` (reports.measurements.asv_results.AsvResults); ``branch_of(commit)``
    names the branch (empty when unknown)."""
    measured = [m for m in results.measurements if benchmark_class(m.benchmark) and implementation_of(m)]
    sources = tuple(_source(measured, replicas, classes) for replicas, classes in TABLE_SOURCES.items())
    implementations = _implementations(measured)
    cells = {source.replicas: _cells(measured, source) for source in sources}
    commits = sorted({(m.date, m.commit) for m in measured
                      if any(_from_source(m, source) for source in sources)})
    columns = [(source.replicas, name) for source in sources for name in implementations]
    values = [[cells[replicas].get((commit, name)) for replicas, name in columns] for _, commit in commits]
    baselines = [next((row[i] for row in values if row[i] is not None), None) for i in range(len(columns))]
    rows = tuple(
        Row(commit, (branch_of or _no_branch)(commit) or "", tuple(row),
            tuple(None if base is None or value is None else base - value
                  for base, value in zip(baselines, row, strict=True)))
        for (_, commit), row in zip(commits, values, strict=True)
    )
    return WholeFitTable(sources, implementations, rows)


def _no_branch(commit):
    return ""


def _source(measured, replicas, classes):
    """The most measured (benchmark, machine, steps) of the first class with a usable value."""
    for class_name in classes:
        counts = Counter((m.benchmark, m.machine, m.param_dict.get("steps")) for m in measured
                         if m.usable and benchmark_class(m.benchmark) == class_name
                         and m.param_dict.get("replicas") == replicas)
        if counts:
            (benchmark, machine, steps), _ = min(counts.items(), key=lambda item: (-item[1], str(item[0])))
            source = Source(replicas, benchmark, machine, steps)
            envs = tuple(sorted({m.env_name for m in measured if m.usable and _from_source(m, source)}))
            return Source(replicas, benchmark, machine, steps, envs)
    return Source(replicas, None, None, None)


def _from_source(measurement, source):
    params = measurement.param_dict
    return (source.benchmark is not None and measurement.benchmark == source.benchmark
            and measurement.machine == source.machine and params.get("replicas") == source.replicas
            and params.get("steps") == source.steps)


def _cells(measured, source):
    """``{(commit, implementation): seconds}``; of several environments, the first by name."""
    cells = {}
    for m in sorted((m for m in measured if m.usable and _from_source(m, source)), key=lambda m: m.env_name):
        cells.setdefault((m.commit, implementation_of(m)), m.value)
    return cells


def _implementations(measured):
    present = {implementation_of(m) for m in measured}
    if REFERENCE not in present:
        present.add(REFERENCE)  # the reference column is always shown, "-" when never measured
    registered = [name for name in implementation_names() if name in present]
    return tuple(registered + sorted(present - set(registered)))


def git_branch_name(repo, commit):
    """The commit's name from ``git name-rev`` over local and remote branches ('main~2'); '' when no
    branch contains it or ``repo`` is no git repository."""
    found = subprocess.run(
        ["git", "-C", str(repo), "name-rev", "--name-only", "--no-undefined",
         "--refs=refs/heads/*", "--refs=refs/remotes/*", commit],
        capture_output=True, text=True,
    )
    return found.stdout.strip() if found.returncode == 0 else ""
