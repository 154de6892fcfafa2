"""Synthetic asv results files in the asv 0.6 format (as written by asv.results.Results.save)."""

import json
from pathlib import Path

COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b",
           "stats_q_25", "stats_q_75", "stats_number", "stats_repeat", "samples", "profile"]
BENCHMARK = "bench.TrainStep.time_train_step"
MACHINE = "synthetic-gpu"
SKIPPED = float("nan")


def write_benchmarks_json(results_dir):
    benchmarks = {BENCHMARK: {"name": BENCHMARK, "type": "time", "unit": "seconds",
                              "param_names": ["implementation", "replicas"],
                              "params": [["'reference'", "'multidense'"], ["100"]], "version": "1"},
                  "version": 2}
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    (Path(results_dir) / "benchmarks.json").write_text(json.dumps(benchmarks))


def write_commit(results_dir, commit, date, samples_by_implementation):
    """One results file: ``samples_by_implementation`` = [reference samples, fused samples]; a None
    entry is a failed benchmark (asv writes null), SKIPPED a skipped one (asv writes NaN)."""
    results_dir = Path(results_dir)
    write_benchmarks_json(results_dir)
    machine_dir = results_dir / MACHINE
    machine_dir.mkdir(parents=True, exist_ok=True)
    (machine_dir / "machine.json").write_text(json.dumps({"machine": MACHINE, "version": 1}))
    values = [s if s in (None, SKIPPED) else sorted(s)[len(s) // 2] for s in samples_by_implementation]
    samples_by_implementation = [None if s is SKIPPED else s for s in samples_by_implementation]
    row = [values, [["'reference'", "'multidense'"], ["100"]], "1", 0, 1.0,
           [None if v in (None, SKIPPED) else v * 0.9 for v in values],
           [None if v in (None, SKIPPED) else v * 1.1 for v in values],
           None, None, [1, 1], [len(s or []) for s in samples_by_implementation],
           [None if s is None else list(s) for s in samples_by_implementation]]
    data = {"commit_hash": commit, "env_name": "virtualenv-py3.11", "date": date,
            "params": {"machine": MACHINE, "python": "3.11"}, "python": "3.11",
            "requirements": {"keras": "3.15.1"}, "env_vars": {"KERAS_BACKEND": "jax"},
            "result_columns": COLUMNS, "results": {BENCHMARK: row}, "durations": {}, "version": 2}
    path = machine_dir / f"{commit[:8]}-virtualenv-py3.11.json"
    path.write_text(json.dumps(data))
    return path


def spread(centre, count=10, width=0.01):
    """``count`` samples evenly spread within +-``width`` (relative) around ``centre``."""
    if count == 1:
        return [centre]
    return [centre * (1 - width + 2 * width * i / (count - 1)) for i in range(count)]
