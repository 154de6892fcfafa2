"""The report page: what the template shows, assembled from asv results and validation results."""

import datetime
import subprocess
from collections import defaultdict

from reports.measurements.comparison import commit_steps, fused_vs_reference, history, implementation_of
from reports.measurements.statistics import REGRESSION_DESCRIPTION, TEST_DESCRIPTION
from reports.page import fit_timing, plots

RATIO_DESCRIPTION = (
    "ratio = reference / fused (for times, the speedup of the fused implementation: above 1 it is faster)"
)
ENVIRONMENT_KEYS = ("machine", "os", "arch", "cpu", "num_cpu", "ram", "python", "env_name")


def asv_context(results, out_dir, repo):
    """Per machine: environment, fused-vs-reference table, regressions and figures."""
    if results.empty:
        return {"empty": True, "results_dir": str(results.results_dir), "machines": []}
    return {
        "empty": False,
        "results_dir": str(results.results_dir),
        "machines": [_machine_context(results, machine, out_dir, repo) for machine in results.machines()],
    }


def _machine_context(results, machine, out_dir, repo):
    commits = results.commits(machine)
    measured = results.at(machine, commits[-1])
    latest = [m for m in measured if m.usable]
    pairs = fused_vs_reference(latest)
    steps = commit_steps(results, machine, commits[-1])
    figures = [
        *(plots.time_vs_replicas(out_dir, machine, name, ms) for name, ms in _by_benchmark(latest, "time")),
        plots.speedup_vs_replicas(out_dir, machine, pairs),
        plots.first_step_cost(out_dir, machine, latest),
        plots.memory_per_replica(out_dir, machine, latest),
    ]
    return {
        "name": machine,
        "commit": commits[-1],
        "environments": _environments(latest),
        "tables": _tables(pairs),
        "failed": [m for m in measured if m.failed],
        "skipped": [m for m in measured if m.skipped],
        "regressions": [step for step in steps if step.regression],
        "steps_compared": len(steps),
        "previous_commit": commits[-2] if len(commits) > 1 else None,
        "figures": [figure for figure in figures if figure is not None],
        "history_figures": _history_figures(results, machine, commits, out_dir),
        "commits": [_commit_info(repo, commit, results) for commit in reversed(commits)],
    }


def _by_benchmark(measurements, kind):
    groups = defaultdict(list)
    for m in measurements:
        if m.kind == kind:
            groups[m.benchmark].append(m)
    return sorted(groups.items())


def _tables(pairs):
    tables = defaultdict(list)
    for pair in pairs:
        tables[pair.fused.benchmark].append(pair)
    return [
        {"benchmark": name, "unit": rows[0].fused.unit, "rows": rows} for name, rows in sorted(tables.items())
    ]


def _environments(measurements):
    seen = {}
    for m in measurements:
        env = m.environment
        seen[m.env_name] = {
            **{key: env.get(key) for key in ENVIRONMENT_KEYS},
            "backend": env.get("env_vars", {}).get("KERAS_BACKEND", "not set (Keras default)"),
            "versions": ", ".join(f"{k} {v}" for k, v in sorted(env.get("requirements", {}).items())),
            "env_vars": ", ".join(f"{k}={v}" for k, v in sorted(env.get("env_vars", {}).items())),
        }
    return list(seen.values())


def _history_figures(results, machine, commits, out_dir):
    """Time per commit of the key benchmarks: each time benchmark at its largest replicas value."""
    if len(commits) < 2:
        return []
    latest = [m for m in results.at(machine, commits[-1]) if m.usable]
    keys = {}
    for m in latest:
        if m.kind == "time" and implementation_of(m) is not None:
            series_key = (m.benchmark, implementation_of(m))
            if series_key not in keys or _replicas(m) > _replicas(keys[series_key]):
                keys[series_key] = m
    key_measurements = sorted(keys.values(), key=lambda m: (m.benchmark, str(m.params)))
    series = [(m, history(results, machine, m)) for m in key_measurements]
    return [plots.time_per_commit(out_dir, machine, m.benchmark, m.params, points)
            for m, points in series if len(points) >= 2]


def _replicas(measurement):
    value = measurement.param_dict.get(plots.REPLICAS_PARAM)
    return value if isinstance(value, int | float) else -1


def _commit_info(repo, commit, results):
    subject, refs = "", ""
    try:
        shown = subprocess.run(["git", "-C", str(repo), "show", "-s", "--format=%s%x00%D", commit],
                               capture_output=True, text=True, check=True)
        subject, _, refs = shown.stdout.strip().partition("\x00")
    except (subprocess.CalledProcessError, FileNotFoundError):
        pass  # results from a commit this clone does not have: show the hash only
    dates = [m.date for m in results.measurements if m.commit == commit]
    date = datetime.datetime.fromtimestamp(dates[0] / 1000, datetime.timezone.utc) if dates else None
    return {"hash": commit, "subject": subject, "refs": refs,
            "date": date.strftime("%Y-%m-%d %H:%M UTC") if date else ""}


def whole_fit_context(results, repo):
    """The whole-fit timing table (reports.page.fit_timing), each commit named by its branch in ``repo``."""
    return fit_timing.whole_fit_table(results, lambda commit: fit_timing.git_branch_name(repo, commit))


def validation_context(validation, power, out_dir):
    curves = [plots.validation_curve(out_dir, name, curve) for name, curve in validation["curves"].items()]
    return {"validation": validation, "power": power, "curve_figures": curves}


def descriptions():
    return {"test": TEST_DESCRIPTION, "regression": REGRESSION_DESCRIPTION, "ratio": RATIO_DESCRIPTION}
