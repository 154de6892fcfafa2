"""Reading asv 0.6 results files (``results/<machine>/<commit>-<env>.json``, api version 2).

Each benchmark row in a results file is aligned with ``result_columns``; its ``result``, ``samples``
and ``stats_*`` columns hold one entry per combination of the benchmark's parameters (the
itertools.product of ``params``, in order). Nothing here writes to the results folder.
"""

import ast
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from reports.errors import ReportInputError

RESULTS_API_VERSION = 2
SKIPPED_FILES = {"machine.json", "benchmarks.json"}


@dataclass(frozen=True)
class Measurement:
    """One benchmark at one parameter combination, commit, machine and environment."""

    benchmark: str
    params: tuple  # ((name, value), ...) with values parsed from asv's reprs
    value: float | None  # None: the benchmark failed; NaN: it was skipped
    samples: tuple | None
    ci_99: tuple | None
    commit: str
    date: int
    machine: str
    env_name: str
    unit: str
    kind: str  # "time", "peakmem", "track", "mem"
    environment: dict = field(compare=False, hash=False)

    @property
    def param_dict(self):
        return dict(self.params)

    @property
    def failed(self):
        return self.value is None

    @property
    def skipped(self):
        return isinstance(self.value, float) and math.isnan(self.value)

    @property
    def usable(self):
        return not (self.failed or self.skipped)

    @property
    def sample_count(self):
        return len(self.samples) if self.samples else (1 if self.usable else 0)


@dataclass
class AsvResults:
    """All measurements of a results folder, plus benchmarks.json."""

    results_dir: Path
    benchmarks: dict
    measurements: list

    @property
    def empty(self):
        return not self.measurements

    def machines(self):
        return sorted({m.machine for m in self.measurements})

    def commits(self, machine):
        """The commits measured on ``machine``, oldest first (by commit date)."""
        dates = {}
        for m in self.measurements:
            if m.machine == machine:
                dates[m.commit] = m.date
        return sorted(dates, key=lambda commit: (dates[commit], commit))

    def at(self, machine, commit):
        return [m for m in self.measurements if m.machine == machine and m.commit == commit]


def load_results(results_dir):
    """Every results file under ``results_dir``; a missing folder or a corrupt file is an error."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ReportInputError(f"asv results folder {results_dir} does not exist: run `asv run` first")
    result_files = sorted(
        path for path in results_dir.glob("*/*.json") if path.name not in SKIPPED_FILES
    )
    if not result_files:
        return AsvResults(results_dir, {}, [])
    benchmarks = read_json(results_dir / "benchmarks.json")
    measurements = []
    for path in result_files:
        machine = read_json(path.parent / "machine.json").get("machine", path.parent.name)
        measurements.extend(_read_results_file(path, machine, benchmarks))
    return AsvResults(results_dir, benchmarks, measurements)


def read_json(path):
    """A JSON object from ``path``; missing or unparsable files raise ReportInputError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportInputError(f"missing results file {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReportInputError(f"corrupt results file {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ReportInputError(f"corrupt results file {path}: expected a JSON object")
    return data


def _read_results_file(path, machine, benchmarks):
    data = read_json(path)
    if data.get("version") != RESULTS_API_VERSION:
        raise ReportInputError(
            f"corrupt results file {path}: asv results version {data.get('version')!r}, "
            f"expected {RESULTS_API_VERSION}"
        )
    try:
        columns = data["result_columns"]
        environment = {
            **data.get("params", {}),
            "python": data.get("python"),
            "env_name": data["env_name"],
            "requirements": data.get("requirements", {}),
            "env_vars": data.get("env_vars", {}),
        }
        rows = data["results"].items()
        return [
            measurement
            for name, row in rows
            for measurement in _row_measurements(name, dict(zip(columns, row, strict=False)), data, machine,
                                                 environment, benchmarks.get(name, {}))
        ]
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ReportInputError(f"corrupt results file {path}: {error!r}") from None


def _row_measurements(name, row, data, machine, environment, benchmark):
    param_names = benchmark.get("param_names") or [f"param{i + 1}" for i in range(len(row["params"]))]
    combinations = list(itertools.product(*row["params"])) or [()]
    values = row["result"] if row["params"] else [row["result"]]
    if not isinstance(values, list):
        values = [values]
    for index, combination in enumerate(combinations):
        yield Measurement(
            benchmark=name,
            params=tuple(zip(param_names, (parse_param(v) for v in combination), strict=False)),
            value=values[index] if index < len(values) else None,
            samples=_column_item(row, "samples", index),
            ci_99=_ci(row, index),
            commit=data["commit_hash"],
            date=data["date"],
            machine=machine,
            env_name=data["env_name"],
            unit=benchmark.get("unit", ""),
            kind=benchmark.get("type", name.rsplit(".", 1)[-1].split("_", 1)[0]),
            environment=environment,
        )


def _column_item(row, column, index):
    values = row.get(column)
    if not values or index >= len(values) or values[index] is None:
        return None
    item = values[index]
    return tuple(item) if isinstance(item, list) else item


def _ci(row, index):
    low, high = _column_item(row, "stats_ci_99_a", index), _column_item(row, "stats_ci_99_b", index)
    return None if low is None or high is None else (low, high)


def parse_param(text):
    """asv stores parameter values as reprs ("'reference'", "100"); give back the value."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
