"""The answer first: the summary box at the top of the report page.

Speedup at each R (``results/timing/speedup.json``), regressions (the asv gate on each machine and the
last ``make compare``), validation passed or failed; each with the error rate measured for it (the
timing power table, the A/A ledger of whole comparisons, the validation power table).
"""

import os
from pathlib import Path

from reports.errors import ReportInputError
from reports.measurements.asv_results import read_json
from validation.timing import aa, compare, speedup
from validation.timing.rates import DEFAULT_BACKEND, PowerTableError, load_power, summary

SPEEDUP_FILE = Path("results/timing/speedup.json")
COMPARE_FILE = Path("results/timing/compare.json")
SPEEDUP_SCHEMA, COMPARE_SCHEMA = speedup.SCHEMA, compare.SCHEMA


def load_timing_file(path, schema, fields):
    """A timing result file, or None when absent; corrupt files raise naming the file."""
    path = Path(path)
    if not path.exists():
        return None
    data = read_json(path)
    if data.get("schema") != schema:
        raise ReportInputError(f"corrupt results file {path}: schema {data.get('schema')!r}, "
                               f"expected {schema!r}")
    missing = [field for field in fields if field not in data]
    if missing:
        raise ReportInputError(f"corrupt results file {path}: lacks {missing}")
    return data


def _rate(rows, name):
    row = rows.get(name)
    if row is None:
        return None
    bounds = f", 95% interval {row['low95']:.1%}-{row['high95']:.1%}" if "low95" in row else ""
    text = f"{row['flags']}/{row['comparisons']} ({row['rate']:.1%}{bounds}, goal {row['goal_text']})"
    return {"text": text,
            "met": row["met"], "label": row["label"]}


def timing_rates(power_path=None, backend=None):
    """The headline rates of ``backend``'s timing power table (default: the page's backend,
    ``$KERAS_BACKEND``), or an explanation of their absence."""
    backend = backend or os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)
    try:
        power = load_power(power_path, backend=backend)
    except PowerTableError as error:
        raise ReportInputError(str(error)) from None
    if power is None:
        return {"available": False, "backend": backend}
    rows = summary(power)
    detections = [_rate(rows, name) for name in rows if name.startswith("slow_")]
    return {"available": True, "source": power["path"], "machine": power.get("machine"),
            "started": power.get("started"), "speedup_aa": _rate(rows, "speedup_aa"),
            "aa_per_benchmark": _rate(rows, "aa_per_benchmark"), "aa_exit_zero": _rate(rows, "aa_exit_zero"),
            "detections": [d for d in detections if d], "rows": power.get("summary", []),
            "design": power.get("design", ""), "method": power.get("method", ""), "mde": power.get("mde", []),
            "backend": power.get("backend")}


def aa_ledger(backend=None):
    """The A/A ledger of ``backend`` (default the page's): runs of the whole ``make compare`` on
    identical code and its worst benchmark's false alarms; None without a run of this method."""
    backend = backend or os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)
    try:
        ledger = aa.current_summary(backend)
    except aa.LedgerError as error:
        raise ReportInputError(str(error)) from None
    if not ledger["runs"]:
        return None
    return {**ledger, **aa.headline(ledger), "source": str(aa.shown(aa.ledger_path(backend)))}


def validation_rates(power):
    """Worst false-alarm and detection rates of the validation power table (None without one)."""
    if not power:
        return None
    alarms = [row for row in power["rows"] if row["kind"] == "false_alarm"]
    detections = [row for row in power["rows"] if row["kind"] != "false_alarm"]
    worst_alarm = max(alarms, key=lambda row: row["rate"]) if alarms else None
    worst_detection = min(detections, key=lambda row: row["rate"]) if detections else None
    return {"runs": power.get("null_runs"), "worst_false_alarm": worst_alarm,
            "worst_detection": worst_detection, "all_met": all(row["met"] for row in power["rows"])}


def summary_context(root, asv, validation, power, speedup_path=None, compare_path=None, timing_power=None):
    """What the summary box shows."""
    root = Path(root)
    speedup = load_timing_file(speedup_path or root / SPEEDUP_FILE, SPEEDUP_SCHEMA, ("rows",))
    compared = load_timing_file(compare_path or root / COMPARE_FILE, COMPARE_SCHEMA, ("rows", "base", "head"))
    gate = [{"machine": m["name"], "commit": m["commit"], "previous": m["previous_commit"],
             "regressions": len(m["regressions"]), "compared": m["steps_compared"]} for m in asv["machines"]]
    return {
        "speedup": speedup,
        "compare": None if compared is None else {
            **compared, "slower": [row for row in compared["rows"] if row["verdict"] == "slower"]},
        "gate": gate,
        "timing_rates": timing_rates(timing_power),
        "aa_ledger": aa_ledger(),
        "validation_passed": validation["passed"],
        "validation_counts": (sum(c["verdict"] == "pass" for c in validation["checks"]),
                              len(validation["checks"])),
        "validation_rates": validation_rates(power),
    }
