"""The A/A ledger: the default comparison of identical code, repeated, one independent unit a run.

    python -m validation.timing.aa run [--backend B] [--runs N] [--minutes M] [--profile P]  # append runs
    python -m validation.timing.aa summary [--backend B] [--profile P]                      # the rates so far

Each run is a whole ``python -m validation.timing.compare --base HEAD --head HEAD`` (its own process,
fresh workers, the default rounds; the profile ``make compare`` runs on this device unless ``--profile``
names one: ``validation.timing.profiles``): the comparison a user makes, on code that cannot
have changed. Any "slower" or "faster" is a false alarm. Runs share nothing, so each is an
independent unit and a benchmark's false-alarm rate gets an exact (Clopper-Pearson) 95 % interval
over them. The ledger (``docs/timing-aa/<backend>.jsonl``, one JSON line a run) only grows, so the
rates can be accumulated over several sittings; a run counts only for the method that judged it
(``method_fingerprint``: the timing rule, the comparison's design and the power table it read), or
for a later method that ``docs/timing-aa/rejudged.json`` names as judging the same measurement
differently: its recorded ratios and intervals are then judged again by the current rule (a run's
floor from the other runs: ``validation.timing.floors``). The same runs give the floor itself, also
to a method that differs only by its power table (a local one, or this device's: ``ledger_method``).
Each profile's runs are counted apart; every profile's floor comes from the default profile's runs.
"""

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from harness.disk_cache import content_key, file_bytes, memoized, source_digest, user_cache_path
from harness.proportions import exact_interval
from harness.result_files import read_records
from harness.timing_rule import QUANTILE, with_floor
from validation.timing.calibration import calibrate
from validation.timing.floors import TAIL_MIN_RUNS, device_key, floor_runs, floors
from validation.timing.method import DEFAULT_PROFILE
from validation.timing.profiles import AUTO, LEDGER_PROFILES, QUICK, choose_profile
from validation.timing.rates import (
    BOUND_GOAL,
    DEVICE_FIELDS,
    FALSE_ALARM_GOAL,
    PowerTableError,
    committed_table,
    describe_fields,
    device_fields,
    load_power,
    this_device,
)

SCHEMA = "multireplica-harness/timing-aa/1"
ROOT = Path(__file__).resolve().parents[2]
LEDGER_FOLDER = ROOT / "docs" / "timing-aa"
# what decides a verdict: the rule, the comparison's design, and the worker that times the blocks
METHOD_FILES = ("harness/timing_rule.py", "validation/timing/method.py", "benchmarks/interleaved.py",
                "validation/timing/floors.py")
BACKENDS = ("tensorflow", "jax", "torch")
NO_CHANGE, NOT_COMPARABLE = "no detectable change", "not comparable"
RECORDED = ("benchmark", "verdict", "ratio", "low", "high", "mde", "mde_this_run", "floor_sd")  # per row
MOST_RUNS = 10_000  # the search for the runs a bound needs stops here
SUMMARY_CACHE_VARIABLE = "MRH_LEDGER_CACHE"
SUMMARY_CODE = ("harness", "validation/timing")  # every module a summary's value can depend on
REJUDGED_BASIS = "each run's interval floored by the other runs' spread and tail"  # how re-judging works


class LedgerError(ValueError):
    """An A/A ledger that cannot be read: names the file and the line."""


def is_flag(verdict):
    """A verdict that, on identical code, is a false alarm: "slower" or "faster"."""
    return verdict not in (NO_CHANGE, NOT_COMPARABLE)


def profile_of(record):
    """The profile a ledger run timed (runs from before the field timed the default)."""
    return record.get("profile", DEFAULT_PROFILE)


def ledger_path(backend):
    return LEDGER_FOLDER / f"{backend}.jsonl"


def shown(path):
    """``path`` as a user reads it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def method_fingerprint(backend, root=ROOT, committed=False):
    """A short hash of what judges a comparison on ``backend``: ``METHOD_FILES`` and the power table
    the comparison reads (its round variance widens every interval): the one ``load_power`` finds (the
    local table, else this device's, else the backend's), or with ``committed`` the backend's committed
    one (``ledger_method``)."""
    digest = hashlib.sha256()
    for name in METHOD_FILES:
        digest.update(name.encode() + b"\0" + (Path(root) / name).read_bytes())
    if committed:
        path = committed_table(backend)
        table = path.read_bytes() if path.exists() else None
    else:
        found = load_power(backend=backend)
        table = Path(found["path"]).read_bytes() if found else None
    digest.update(b"no power table" if table is None else table)
    return digest.hexdigest()[:12]


def ledger_method(backend, root=ROOT):
    """The method the committed ledger is kept under: ``METHOD_FILES`` with the backend's committed power
    table. Where a local table (``make timing-power``) or this device's is read, the comparison judges by
    that table's round variance (another method), but it measures the same thing: the ledger's runs
    still give its floor."""
    return method_fingerprint(backend, root, committed=True)


def load_ledger(path):
    """The records of a ledger, oldest first; [] if there is none. A line that is not a record of
    this schema is an error naming the file and the line (nothing is skipped silently)."""
    records = []
    for number, record in read_records(path, SCHEMA, LedgerError, "an A/A record"):
        if not isinstance(record.get("rows"), list) or not all(
                isinstance(row, dict) and {"benchmark", "verdict"} <= row.keys() for row in record["rows"]):
            raise LedgerError(f"{path}:{number}: its 'rows' lack a benchmark or a verdict")
        missing = sorted({"backend", "method", "seconds"} - record.keys())
        if missing:
            raise LedgerError(f"{path}:{number}: lacks {', '.join(missing)}")
        records.append(record)
    return records


def rejudged_path():
    return LEDGER_FOLDER / "rejudged.json"


def load_rejudged(path=None):
    """{backend: {"from": [method], "under": method}}: the earlier methods whose runs measured what the
    current one measures (its floor's source), and the method that judges them again; {} without the
    file. A malformed file is an error naming it."""
    path = Path(path or rejudged_path())
    if not path.exists():
        return {}
    try:
        table = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise LedgerError(f"{path}: not readable JSON ({error})") from error
    entries = ({key: value for key, value in table.items() if key in BACKENDS}
               if isinstance(table, dict) else None)
    if entries is None or not all(isinstance(e, dict) and isinstance(e.get("from"), list)
                                  and isinstance(e.get("under"), str) for e in entries.values()):
        raise LedgerError(f"{path}: each backend needs 'from' (a list of methods) and 'under' (a method)")
    return entries


def measuring_methods(backend, fingerprint, rejudged, ledger=None):
    """The methods whose runs measure what ``fingerprint`` measures (the same worker and design): itself,
    ``ledger`` (the committed ledger's method, which differs from it at most by the power table,
    ``ledger_method``), and the earlier methods ``rejudged`` names."""
    return {fingerprint, *([ledger] if ledger else []), *rejudged.get(backend, {}).get("from", ())}


def measuring_runs(records, backend, fingerprint, rejudged, ledger=None, profile=DEFAULT_PROFILE):
    """The runs of ``profile`` by the ``measuring_methods``."""
    methods = measuring_methods(backend, fingerprint, rejudged, ledger)
    return [r for r in records if r["backend"] == backend and r["method"] in methods
            and profile_of(r) == profile]


def floor_source(records, backend, fingerprint, rejudged, ledger=None):
    """The runs that measure this method's floor: the default profile's runs of the
    ``measuring_methods`` (every profile's intervals take the default's floors: ``profiles``). A floor
    comes from the runs' log ratios alone, which the power table does not touch."""
    return measuring_runs(records, backend, fingerprint, rejudged, ledger)


def rejudged_rows(record, others):
    """``record``'s rows judged by the current rule: its recorded ratio and interval, floored by the
    spread of ``others`` on its device (the other runs: the floor is never measured on the run it judges)."""
    floor = floors(others, record.get("machine"))
    rows = []
    for row in record["rows"]:
        judged = with_floor(row.get("ratio"), *unfloored(row), floor.get(row["benchmark"], 0.0))
        low, high, verdict = judged if judged else (row.get("low"), row.get("high"), row["verdict"])
        rows.append({**row, "low": low, "high": high, "verdict": verdict, "recorded_verdict": row["verdict"],
                     "floor_sd": floor.get(row["benchmark"])})
    return rows


def unfloored(row):
    """(low, high) of a recorded row with any side its own floor set (``QUANTILE * floor_sd`` wide)
    drawn in to the ratio: what the run's own interval was there is unknown, so judging it again by a
    narrower floor assumes the narrowest (it can add a flag, never hide one)."""
    ratio, low, high, floor_sd = (row.get(key) for key in ("ratio", "low", "high", "floor_sd"))
    if None in (ratio, low, high) or not floor_sd:
        return low, high
    half = QUANTILE * floor_sd
    def set_by_floor(side):
        return math.isclose(abs(math.log(side / ratio)), half, rel_tol=1e-6)
    return (ratio if set_by_floor(low) else low), (ratio if set_by_floor(high) else high)


def counted_runs(records, backend, fingerprint, rejudged, profile=DEFAULT_PROFILE):
    """[(record, rows, rejudged?)] of ``profile`` that count for ``fingerprint`` on ``backend``: its own
    runs as recorded, then the runs of the methods ``rejudged`` names under it, judged again
    (``rejudged_rows``; those all timed the default profile)."""
    own = [(r, r["rows"], False) for r in records if r["backend"] == backend and r["method"] == fingerprint
           and profile_of(r) == profile]
    entry = rejudged.get(backend, {})
    if entry.get("under") != fingerprint or profile != DEFAULT_PROFILE:
        return own
    source = floor_source(records, backend, fingerprint, rejudged)
    earlier = set(entry["from"])
    again = [(r, rejudged_rows(r, [o for o in source if o is not r]), True)
             for r in records if r["backend"] == backend and r["method"] in earlier]
    return own + again


def append_record(path, record):
    """Append one run's record: the ledger is only ever appended to, one line a run."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def record_of(result, backend, fingerprint, machine, started, seconds, profile=DEFAULT_PROFILE):
    """The ledger line of one comparison's result (``compare.json``) of ``profile``."""
    rows = [{key: row.get(key) for key in RECORDED} for row in result["rows"]]
    return {"schema": SCHEMA, "backend": backend, "method": fingerprint, "commit": result["head"],
            "machine": machine, "started": started, "seconds": round(seconds, 1), "profile": profile,
            "rows": rows}


def runs_for_bound(flags, runs, goal=BOUND_GOAL):
    """The fewest runs (at least ``runs``) whose exact interval's upper end is <= ``goal`` if no
    further flag comes; None past ``MOST_RUNS``."""
    needed = max(runs, 1)
    while exact_interval(flags, needed)[1] > goal:
        needed = max(needed + 1, int(needed * 1.05))
        if needed > MOST_RUNS:
            return None
    while needed > max(runs, 1) and exact_interval(flags, needed - 1)[1] <= goal:
        needed -= 1
    return needed


def summarise(records, backend, fingerprint, rejudged=None, machine=None, ledger=None,
              profile=DEFAULT_PROFILE):
    """Per benchmark, the false alarms over the runs of ``profile`` that count for ``fingerprint`` on
    ``backend`` (``counted_runs``; ``rejudged`` defaults to ``docs/timing-aa/rejudged.json``): flags,
    runs, rate and exact 95 % interval, and the floor on ``machine`` (None: the floor of all runs, as on a
    device with none of its own) from the runs of its measurement (``floor_source``, ``ledger``: the committed
    ledger's method); with the runs any benchmark flagged, and the runs the bound needs."""
    rejudged = load_rejudged() if rejudged is None else rejudged
    counted = counted_runs(records, backend, fingerprint, rejudged, profile)
    ours = [record for record, _, _ in counted]
    again = [rows for _, rows, again in counted if again]
    names = sorted({row["benchmark"] for _, rows, _ in counted for row in rows})
    source = floor_source(records, backend, fingerprint, rejudged, ledger)
    floor = floors(source, machine)
    rows = []
    for name in names:
        judged = [row for _, run, _ in counted for row in run
                  if row["benchmark"] == name and row["verdict"] != NOT_COMPARABLE]
        flags = sum(is_flag(row["verdict"]) for row in judged)
        low, high = exact_interval(flags, len(judged)) if judged else (0.0, 1.0)
        rows.append({"benchmark": name, "flags": flags, "runs": len(judged), "floor_sd": floor.get(name),
                     "rate": flags / max(len(judged), 1), "low95": low, "high95": high,
                     "runs_for_bound": runs_for_bound(flags, len(judged)), "model": calibrate(judged)})
    seconds = [r["seconds"] for r in ours]
    counted_ids = {id(r) for r in ours}
    others = [r for r in records if r["backend"] == backend and id(r) not in counted_ids
              and profile_of(r) == profile]
    return {"backend": backend, "method": fingerprint, "profile": profile,
            "ledger_method": ledger or fingerprint,
            "floor_runs": len(source), "runs": len(ours), "rows": rows,
            "runs_any_flag": sum(any(is_flag(row["verdict"]) for row in run) for _, run, _ in counted),
            "rejudged_runs": len(again),
            "rejudged_flags": sum(is_flag(row["verdict"]) for run in again for row in run),
            "rejudged_recorded_flags": sum(is_flag(row["recorded_verdict"]) for run in again for row in run),
            "rejudged_methods": sorted({r["method"] for r, _, again_ in counted if again_}),
            "rejudged_basis": REJUDGED_BASIS,
            "seconds": sum(seconds), "seconds_per_run": sum(seconds) / len(seconds) if seconds else None,
            "other_methods": len(others),
            "devices": device_counts(ours)}


def device_counts(records):
    """{device text: runs}: the devices the runs were made on (``rates.DEVICE_FIELDS``)."""
    counts = {}
    for r in records:
        machine = r.get("machine") or {}
        text = describe_fields({field: machine[field] for field in DEVICE_FIELDS if field in machine})
        counts[text or "unknown"] = counts.get(text or "unknown", 0) + 1
    return counts


def headline(summary):
    """The verdict on the goals: the worst benchmark (highest upper end), whether the observed rates
    (<= 1 % each) and the bound (upper end <= 5 %) are met, and the runs the bound needs; the same
    bound by the intervals' calibration (``validation.timing.calibration``): met when every
    benchmark's model passed its check and bounds the rate at <= 5 %."""
    worst = max(summary["rows"], key=lambda row: (row["high95"], row["flags"]))
    needed = max((row["runs_for_bound"] or MOST_RUNS) for row in summary["rows"])
    models = [row["model"] for row in summary["rows"]]
    modelled = all(model and model["check_passed"] for model in models)
    worst_model = max(summary["rows"], key=lambda row: row["model"]["bound"]) if modelled else None
    return {"worst": worst, "met_rate": all(row["rate"] <= FALSE_ALARM_GOAL for row in summary["rows"]),
            "met_bound": worst["high95"] <= BOUND_GOAL, "runs_needed": needed,
            "hours_needed": (needed - summary["runs"]) * summary["seconds_per_run"] / 3600,
            "worst_model": worst_model,
            "met_model_bound": bool(worst_model) and worst_model["model"]["bound"] <= BOUND_GOAL}


def floor_text(floor_sd):
    """The run-to-run floor as the ratio a change must pass to be called one: x(e^(QUANTILE * sd))."""
    return f"x{math.exp(QUANTILE * floor_sd):.3f}" if floor_sd else "none"


def model_text(model):
    """One benchmark's calibration in a few words."""
    if model is None:
        return "under 10 runs: no model"
    check = "kept" if model["check_passed"] else "REJECTED"
    return (f"k {model['k']:.2f} (<= {model['k_upper']:.2f}), bound {model['bound']:.1%}, check {check} "
            f"(p {model['check_p']:.2f})")


def summary_lines(summary, path, per_benchmark=True):
    """The ledger's rates as text: per benchmark (unless not ``per_benchmark``: then the worst
    only), the goals, and what the <= 5 % bound still needs."""
    profile = summary.get("profile", DEFAULT_PROFILE)
    if not summary["runs"]:
        others = summary["other_methods"]
        tail = f" ({others} of another method version, not counted)" if others else ""
        return [f"A/A ledger ({path}): no run of this method and profile {profile} on {summary['backend']}"
                f"{tail}: `python -m validation.timing.aa run --backend {summary['backend']} --profile "
                f"{profile}` records them", *table_note(summary)]
    top = headline(summary)
    lines = [f"A/A ledger ({path}): {summary['runs']} runs of this whole comparison (profile {profile}) on "
             f"identical code (method {summary['method']}), each an independent unit; "
             f"{summary['runs_any_flag']} with any flag; on "
             + "; ".join(f"{text} ({runs} runs)" for text, runs in summary["devices"].items())]
    if summary.get("rejudged_runs"):
        lines.append(f"  of them {summary['rejudged_runs']} recorded by method "
                     f"{', '.join(summary['rejudged_methods'])} and judged again by this one "
                     f"({shown(rejudged_path())}: the same measurement; {summary['rejudged_basis']}): "
                     f"{summary['rejudged_recorded_flags']} flag(s) as "
                     f"recorded, {summary['rejudged_flags']} now")
    if per_benchmark:
        lines.append(f"  {'benchmark':<34} {'false alarms':>12} {'rate':>6}  {'exact 95% interval':<20}"
                     f"{'floor':<8}intervals' calibration: k = spread / claimed width (95% upper), model "
                     "bound, check")
    for row in summary["rows"] if per_benchmark else []:
        lines.append(f"  {row['benchmark']:<34} {row['flags']:>5}/{row['runs']:<6} {row['rate']:>6.1%}  "
                     f"{row['low95']:.1%}-{row['high95']:.1%}".ljust(84)
                     + f"{floor_text(row.get('floor_sd')):<8}" + model_text(row["model"]))
    lines.append(f"  goals: observed <= {FALSE_ALARM_GOAL:.0%} per benchmark "
                 f"{'met' if top['met_rate'] else 'MISSED'}; upper end <= {BOUND_GOAL:.0%} "
                 f"{'met' if top['met_bound'] else 'not yet'} "
                 f"(worst {top['worst']['benchmark']}: {top['worst']['flags']}/{top['worst']['runs']}, "
                 f"interval {top['worst']['low95']:.1%}-{top['worst']['high95']:.1%})")
    if not top["met_bound"]:
        lines.append(f"  the bound needs {top['runs_needed']} runs if no further flag comes: "
                     f"{top['runs_needed'] - summary['runs']} more, about {top['hours_needed']:.1f} h alone")
    if top["worst_model"]:
        model = top["worst_model"]["model"]
        lines.append(f"  by the intervals' calibration (every benchmark's normal model kept by its check): "
                     f"upper end <= {BOUND_GOAL:.0%} {'met' if top['met_model_bound'] else 'MISSED'} "
                     f"(worst {top['worst_model']['benchmark']}: bound {model['bound']:.1%}, k <= "
                     f"{model['k_upper']:.2f})")
    else:
        lines.append("  by the intervals' calibration: no bound (a benchmark has under 10 runs or its check "
                     "rejected the model)")
    if summary["other_methods"]:
        lines.append(f"  ({summary['other_methods']} runs of another method version are in the ledger, "
                     "not counted)")
    return lines + table_note(summary)


def table_note(summary):
    """A line when the method judges by another power table than the committed ledger's method (a
    local one, from ``make timing-power``, or this device's): which runs give its floor, and why the
    ledger's other runs do not count."""
    ledger, backend = summary.get("ledger_method"), summary["backend"]
    if not ledger or ledger == summary["method"]:
        return []
    try:
        found = load_power(backend=backend)
    except PowerTableError:
        found = None
    table = f"the power table {shown(found['path'])}" if found else "no power table"
    return [f"  this method ({summary['method']}) judges by {table}, not by "
            f"{shown(committed_table(backend))} as the ledger's method {ledger} does: the "
            f"{summary['floor_runs']} runs of that measurement give the floor here, but the false alarms of "
            f"that method's runs were judged with the committed table's round variance, so they do not count "
            f"for this one (`make timing-aa` records runs under it)"]


def summary_cache_folder():
    """Where summaries of the committed ledgers are kept (``MRH_LEDGER_CACHE``, else the user's cache)."""
    return user_cache_path(SUMMARY_CACHE_VARIABLE, "aa-summaries")


def current_summary(backend, root=ROOT, profile=DEFAULT_PROFILE):
    """The committed ledger of ``backend`` summarised for the method in ``root`` now. Judging the
    earlier methods' runs again takes each one's floor from all the others on its device (tens of
    seconds for a few hundred runs), so the summary is kept in ``summary_cache_folder()`` under a
    hash of the ledger, ``rejudged.json``, the method, the profile and the code that summarises
    (``SUMMARY_CODE``)."""
    path, fingerprint = ledger_path(backend), method_fingerprint(backend, root)
    ledger = ledger_method(backend, root)
    key = content_key(SCHEMA, backend, fingerprint, ledger, profile, file_bytes(path),
                      file_bytes(rejudged_path()), source_digest(ROOT, SUMMARY_CODE))
    return memoized(summary_cache_folder(), key,
                    lambda: summarise(load_ledger(path), backend, fingerprint, ledger=ledger,
                                      profile=profile))


class FloorSource(NamedTuple):
    """The floors ``make compare`` takes now: ``sd`` ({benchmark: floor sd}) measured on ``runs`` A/A
    runs, ``device_runs`` of them on the judging device; ``own``: from that device's runs alone."""

    sd: dict
    runs: int
    device_runs: int
    own: bool


def current_floor_source(backend, root=ROOT, machine=None):
    """The ``FloorSource`` for the method in ``root`` now on ``machine`` (default: this one), from the
    committed ledger (``floor_source``; ``floors``: the device's own runs once they are enough, else
    never narrower than all runs')."""
    source = floor_source(load_ledger(ledger_path(backend)), backend, method_fingerprint(backend, root),
                          load_rejudged(), ledger_method(backend, root))
    machine = device_fields(backend) if machine is None else machine
    here, everywhere = floor_runs(source, machine)
    own = here >= TAIL_MIN_RUNS
    return FloorSource(floors(source, machine), here if own else everywhere, here, own)


class WallTime(NamedTuple):
    """How long a profile's comparison took on one device: over ``runs`` A/A runs, in seconds."""

    runs: int
    low: float
    median: float
    high: float


def wall_time_here(backend, root=ROOT, machine=None, profile=DEFAULT_PROFILE):
    """The wall time of ``profile``'s comparison on ``machine``'s device (default: this one), from the
    committed ledger's runs of this method's measurement on that device; None without any."""
    source = measuring_runs(load_ledger(ledger_path(backend)), backend, method_fingerprint(backend, root),
                            load_rejudged(), ledger_method(backend, root), profile)
    machine = device_fields(backend) if machine is None else machine
    seconds = sorted(r["seconds"] for r in source if device_key(r.get("machine")) == device_key(machine))
    if not seconds:
        return None
    return WallTime(len(seconds), seconds[0], statistics.median(seconds), seconds[-1])


def current_floors(backend, root=ROOT, machine=None):
    """({benchmark: floor sd}, runs): ``current_floor_source``'s floors and the runs that measured them."""
    found = current_floor_source(backend, root, machine)
    return found.sd, found.runs


def ledger_lines(backend, root=ROOT, profile=DEFAULT_PROFILE):
    """What ``make compare`` prints of the ledger: its worst rate for this method and ``profile`` on
    ``backend`` and the goals (``python -m validation.timing.aa summary`` gives every benchmark), or why
    none."""
    path = ledger_path(backend)
    try:
        summary = current_summary(backend, root, profile)
    except (LedgerError, PowerTableError, OSError) as error:
        return [f"A/A ledger: {error}"]
    return summary_lines(summary, shown(path), per_benchmark=False)


def run_once(repo, backend, log, profile=DEFAULT_PROFILE):
    """One comparison of HEAD against HEAD timing ``profile``, in its own process; its ``compare.json``."""
    with tempfile.TemporaryDirectory(prefix="aa-") as folder:
        result_path = Path(folder) / "compare.json"
        command = [sys.executable, "-m", "validation.timing.compare", "--base", "HEAD", "--head", "HEAD",
                   "--repo", str(repo), "--backend", backend, "--suites", profile, "--json", str(result_path)]
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "KERAS_BACKEND": backend}).returncode
        if status not in (0, 1):
            raise RuntimeError(f"the comparison failed (exit {status}); see {log.name}")
        return json.loads(result_path.read_text())


def resolve_profile(profile, backend):
    """(profile, why): ``auto`` chosen as ``make compare`` chooses it on this device, else as named."""
    if profile != AUTO:
        return profile, f"profile {profile}"
    return choose_profile(wall_time_here(backend))


def campaign(repo, backend, runs, minutes, ledger, log_path, progress=print, profile=DEFAULT_PROFILE):
    """Append up to ``runs`` A/A runs of ``profile`` to ``ledger``, stopping before a run would pass
    ``minutes``."""
    from harness.device import device_description
    from validation.results import now_iso

    fingerprint = method_fingerprint(backend)
    machine = device_description(backend)
    load_ledger(ledger)  # a corrupt ledger stops the campaign before it spends any time
    start, done = time.perf_counter(), []
    with open(log_path, "a") as log:
        for index in range(runs):
            elapsed = time.perf_counter() - start
            if done and minutes and elapsed + sum(done) / len(done) > minutes * 60:
                progress(f"stopping: another run would pass --minutes {minutes}")
                break
            started, tick = now_iso(), time.perf_counter()
            result = run_once(repo, backend, log, profile)
            seconds = time.perf_counter() - tick
            done.append(seconds)
            record = record_of(result, backend, fingerprint, machine, started, seconds, profile)
            append_record(ledger, record)
            flags = [row["benchmark"] for row in record["rows"] if is_flag(row["verdict"])]
            progress(f"run {index + 1}/{runs}: {seconds:.0f} s, {len(flags)} flag(s) "
                     f"{' '.join(flags)}".rstrip())
    return len(done)


def parser():
    p = argparse.ArgumentParser(prog="python -m validation.timing.aa", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("run", "summary"):
        q = sub.add_parser(name)
        q.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"),
                       help="tensorflow, jax or torch (default $KERAS_BACKEND, else tensorflow)")
        q.add_argument("--ledger", type=Path, default=None, help="default docs/timing-aa/<backend>.jsonl")
        q.add_argument("--profile", default=AUTO, choices=(AUTO, *LEDGER_PROFILES),
                       help=f"the comparison's profile (default {AUTO}: the one `make compare` runs on this "
                            f"device; {QUICK}: its train steps alone)")
        if name == "run":
            q.add_argument("--runs", type=int, default=10, help="most runs to append (default %(default)s)")
            q.add_argument("--minutes", type=float, default=None, help="stop before passing this wall time")
            q.add_argument("--repo", default=str(ROOT), help="the git repository (default this one)")
            q.add_argument("--log", type=Path, default=Path("results/timing/aa.log"),
                           help="the comparisons' output (default %(default)s)")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if args.backend not in BACKENDS:
        p.exit(2, f"error: --backend must be one of {', '.join(BACKENDS)}, got {args.backend!r}\n")
    ledger = args.ledger or ledger_path(args.backend)
    try:
        if args.command == "run":
            if args.runs < 1:
                p.exit(2, f"error: --runs must be >= 1, got {args.runs}\n")
            if args.minutes is not None and args.minutes <= 0:
                p.exit(2, f"error: --minutes must be > 0, got {args.minutes}\n")
        profile, why = resolve_profile(args.profile, args.backend)
        print(why)
        if args.command == "run":
            args.log.parent.mkdir(parents=True, exist_ok=True)
            campaign(args.repo, args.backend, args.runs, args.minutes, ledger, args.log, profile=profile)
        records = load_ledger(ledger)
        summary = summarise(records, args.backend, method_fingerprint(args.backend),
                            machine=this_device(args.backend), ledger=ledger_method(args.backend),
                            profile=profile)
    except (LedgerError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(summary, shown(ledger))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
