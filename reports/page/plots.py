"""matplotlib figures of the report, written as PNG files beside the page."""

import re
from collections import defaultdict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from harness.cost_model import fit_cost_model
from reports.measurements.comparison import format_params, implementation_of  # noqa: E402

REPLICAS_PARAM = "replicas"
PLOTS_FOLDER = "plots"


@dataclass(frozen=True)
class Figure:
    title: str
    path: str  # relative to the page
    caption: str


def by_replicas(measurements):
    """{implementation: sorted [(replicas, measurement)]} for measurements with a value."""
    series = defaultdict(list)
    for m in measurements:
        replicas = m.param_dict.get(REPLICAS_PARAM)
        if m.value is not None and isinstance(replicas, int | float) and implementation_of(m):
            series[implementation_of(m)].append((replicas, m))
    return {name: sorted(points, key=lambda p: p[0]) for name, points in series.items()}


def time_vs_replicas(out_dir, machine, benchmark, measurements):
    series = by_replicas(measurements)
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    models = []
    for name, points in series.items():
        replicas = [r for r, _ in points]
        times = [m.value for _, m in points]
        (points_line,) = ax.plot(replicas, times, "o", label=name)
        if len(set(replicas)) >= 2:
            model = fit_cost_model(replicas, times)
            grid = np.linspace(min(replicas), max(replicas), 50)
            ax.plot(grid, model.seconds(grid), "-", alpha=0.6, color=points_line.get_color(),
                    label=f"{name} fit")
            models.append(f"{name}: {model.intercept:.3g} s + {model.slope:.3g} s x R")
    ax.set(xlabel="replicas R", ylabel="time [s]", title=_short(benchmark))
    ax.legend()
    caption = "Points: asv medians; lines: least-squares cost model. " + "; ".join(models)
    return _save(fig, out_dir, f"time-{machine}-{benchmark}", f"{_short(benchmark)} vs replicas ({machine})",
                 caption)


def speedup_vs_replicas(out_dir, machine, pairs):
    lines = defaultdict(list)
    for pair in pairs:
        replicas = dict(pair.other_params).get(REPLICAS_PARAM)
        if pair.fused.kind == "time" and pair.comparison.ratio is not None and replicas is not None:
            lines[(pair.fused.benchmark, implementation_of(pair.fused))].append((replicas, pair.comparison))
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for (benchmark, fused), points in sorted(lines.items()):
        points.sort(key=lambda p: p[0])
        x = [r for r, _ in points]
        y = [c.ratio for _, c in points]
        ax.plot(x, y, "o-", label=f"{_short(benchmark)} ({fused})")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(xlabel="replicas R", ylabel="speedup = reference time / fused time", xscale="log")
    ax.legend(fontsize="small")
    return _save(fig, out_dir, f"speedup-{machine}", f"Speedup vs replicas ({machine})",
                 "Above 1 the fused implementation is faster.")


def first_step_cost(out_dir, machine, measurements):
    first = [m for m in measurements if m.kind == "time" and "first" in m.benchmark]
    series = by_replicas(first)
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, points in series.items():
        ax.plot([r for r, _ in points], [m.value for _, m in points], "s-", label=name)
    ax.set(xlabel="replicas R", ylabel="first step [s] (build + trace + step)", xscale="log")
    ax.legend()
    return _save(fig, out_dir, f"first-step-{machine}", f"First-step cost ({machine})",
                 ", ".join(sorted({_short(m.benchmark) for m in first})))


def memory_per_replica(out_dir, machine, measurements):
    panels = {
        "host peak memory per replica [bytes]": [m for m in measurements if m.kind.startswith("peakmem")],
        "GPU memory per replica [bytes]": [
            m for m in measurements if m.kind == "track" and "gpu" in m.benchmark and "mem" in m.benchmark
        ],
    }
    panels = {label: by_replicas(ms) for label, ms in panels.items() if by_replicas(ms)}
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, (label, series) in zip(axes[0], panels.items(), strict=True):
        for name, points in series.items():
            ax.plot([r for r, _ in points], [m.value / r for r, m in points], "o-", label=name)
        ax.set(xlabel="replicas R", ylabel=label, xscale="log")
        ax.legend()
    return _save(fig, out_dir, f"memory-{machine}", f"Memory per replica ({machine})",
                 "Host: asv peakmem (whole process); GPU: tracked device memory.")


def time_per_commit(out_dir, machine, benchmark, params, history):
    """``history``: [(commit, measurement, step or None)], oldest first; regressions in red."""
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(history))
    values = [m.value if m.value is not None else np.nan for _, m, _ in history]
    low = [m.value - m.ci_99[0] if m.ci_99 and m.value is not None else 0 for _, m, _ in history]
    high = [m.ci_99[1] - m.value if m.ci_99 and m.value is not None else 0 for _, m, _ in history]
    ax.errorbar(x, values, yerr=[low, high], fmt="o-", capsize=3, label="asv value (99% CI)")
    flagged = [i for i, (_, _, step) in enumerate(history) if step is not None and step.regression]
    if flagged:
        ax.plot(x[flagged], np.asarray(values)[flagged], "rv", ms=12, label="regression")
    quick = [i for i, (_, m, _) in enumerate(history) if m.sample_count < 2]
    if quick:
        ax.plot(x[quick], np.asarray(values)[quick], "x", color="grey", ms=10, label="1 sample: not compared")
    ax.set_xticks(x, [commit[:8] for commit, _, _ in history], rotation=45, fontsize="small")
    label = f"{_short(benchmark)} {format_params(params)}"
    ax.set(ylabel="time [s]", title=label)
    ax.legend(fontsize="small")
    return _save(fig, out_dir, f"commits-{machine}-{label}", f"{label} per commit ({machine})", "")


def validation_curve(out_dir, name, curve):
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in curve.get("series", {}).items():
        ax.plot(curve.get("steps", [])[: len(values)], values, label=label)
    if curve.get("unstable_from_step") is not None:
        ax.axvline(curve["unstable_from_step"], color="grey", linestyle="--",
                   label="reference unstable from here: chi2 not judged")
    ax.set(xlabel=curve.get("x_label", "step"), ylabel=curve.get("y_label", ""), title=name)
    if curve.get("series"):
        ax.legend(fontsize="small")
    return _save(fig, out_dir, f"curve-{name}", name, "")


def _save(fig, out_dir, stem, title, caption):
    folder = out_dir / PLOTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    filename = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem) + ".png"
    fig.tight_layout()
    fig.savefig(folder / filename, dpi=80)
    plt.close(fig)
    return Figure(title, f"{PLOTS_FOLDER}/{filename}", caption)


def _short(benchmark):
    return benchmark.rsplit(".", 1)[-1]

