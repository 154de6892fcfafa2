"""The measured error rates of the timing verdicts, read from the timing power table of a backend.

``python -m validation.timing.power`` writes ``results/timing/power-<backend>.json`` on the machine it
runs on; the tables measured when the method was chosen are kept in the repository as
``docs/timing-power/<backend>.json``, and those of other devices as
``docs/timing-power/devices/<backend>--<device>.json`` (``python -m validation.timing.power keep``).
A comparison reads the local table, else its device's committed one, else the backend's (the lines
say which, and whether it was measured on this device). A backend's rates are quoted only for it.
"""

import re
from pathlib import Path

from harness.host import cpu_host_fields
from validation.results import load_table
from validation.timing.floors import DEVICE_FIELDS

SCHEMA = "multireplica-harness/timing-power/2"
LOCAL_FOLDER = Path("results/timing")
COMMITTED_FOLDER = Path(__file__).resolve().parents[2] / "docs" / "timing-power"
DEFAULT_BACKEND = "tensorflow"
FALSE_ALARM_GOAL, BOUND_GOAL = 0.01, 0.05  # A/A: observed per benchmark, and the upper end of its bound


class PowerTableError(ValueError):
    """The timing power table is unreadable or of another schema."""


def local_table(backend):
    return LOCAL_FOLDER / f"power-{backend}.json"


def committed_table(backend):
    return COMMITTED_FOLDER / f"{backend}.json"


def device_slug(fields):
    """A device's ``DEVICE_FIELDS`` as a file name: "cpu-amd-epyc-x2-avx2-onednn-false"."""
    parts = [f"{field}-{fields[field]}" if field == "onednn" else str(fields[field])
             for field in DEVICE_FIELDS if field in fields]
    return re.sub(r"[^a-z0-9.]+", "-", "-".join(parts).lower()).strip("-") or "unknown"


def device_table(backend, fields):
    """Where the committed table of ``backend`` measured on the device ``fields`` describe is kept."""
    return COMMITTED_FOLDER / "devices" / f"{backend}--{device_slug(fields)}.json"


def this_device(backend):
    """This machine's ``device_description`` for ``backend``; {} where the backend is not installed."""
    from harness.device import device_description

    try:
        return device_description(backend)
    except ImportError:
        return {}


def device_fields(backend):
    """This device's ``DEVICE_FIELDS`` for ``backend``: read from the host where no GPU is present
    (``harness.host``: no backend imported), else from the backend's own description."""
    fields = cpu_host_fields(backend)
    if fields is None:
        described = this_device(backend)
        fields = {field: described[field] for field in DEVICE_FIELDS if field in described}
    return fields


def load_power(path=None, backend=DEFAULT_BACKEND, machine=None):
    """The power table at ``path``, else ``backend``'s local one, else the one committed for this device
    (``machine``, default this machine's), else the backend's committed one; None if there is none. A
    table measured on another backend than the one asked for is an error."""
    if path:
        paths = [path]
    else:
        if machine is None:  # only where a device table is kept (a GPU host is described by its backend)
            kept = (COMMITTED_FOLDER / "devices").glob(f"{backend}--*.json")
            machine = device_fields(backend) if next(kept, None) else {}
        paths = [local_table(backend), *([device_table(backend, machine)] if machine else []),
                 committed_table(backend)]
    table = load_table(paths, SCHEMA, PowerTableError, "timing power table")
    if table is None:
        if path:
            raise PowerTableError(f"no timing power table at {path}")
        return None
    if not path and table.get("backend") != backend:
        raise PowerTableError(f"{table['path']} was measured on {table.get('backend')!r}, not {backend!r}")
    return table


def summary(power):
    """The headline rates: {name: row} of the table's summary rows."""
    return {row["name"]: row for row in power.get("summary", [])}


def minimum_detectable(power):
    """{benchmark: row} of the table's minimum detectable slowdowns (with the round-to-round sd)."""
    return {row["benchmark"]: row for row in (power or {}).get("mde", [])}


def prior_round_sd(power, names):
    """{benchmark: sd} for ``names``: the round-to-round sd (log scale, 95 % upper limit) the power
    table's A/A model measured for the comparison's method, what ``judge_comparison`` adds to each
    interval; a benchmark the table did not time gets the largest it measured. Empty without a table."""
    from validation.timing.method import METHOD

    measured = {row["benchmark"]: row["model"]["round_sd_upper"] for row in (power or {}).get("rows", [])
                if row.get("method") == METHOD and row.get("scenario") == "aa"}
    if not measured:
        return {}
    largest = max(measured.values())
    return {name: measured.get(name, largest) for name in names}


def row_benchmark(row):
    """The benchmark a summary row is about (``"<scenario>:<benchmark>"``), None for a whole-table row."""
    name = row.get("name", "")
    return name.split(":", 1)[1] if ":" in name else None


def error_rates_lines(power=None, backend=DEFAULT_BACKEND, timed=None):
    """Lines stating the method's error rates measured on ``backend``, or how to measure them.
    ``timed``: the names of the benchmarks this comparison times; rows about others are left out (and
    counted)."""
    try:
        power = power or load_power(backend=backend)
    except PowerTableError as error:
        return [f"error rates: {error}"]
    if power is None:
        return [f"error rates: NOT measured on {backend}: `KERAS_BACKEND={backend} make timing-power` "
                f"measures them (tens of minutes)"]
    measured_backend = power.get("backend")
    lines = [f"error rates of this method, measured on {power.get('machine', '?')}, "
             f"backend {measured_backend} ({power.get('started', '?')}, {power['path']}); "
             f"intervals over {power.get('comparisons', '?')} independent comparisons:"]
    rows = power.get("summary", [])
    shown = [row for row in rows if timed is None or row_benchmark(row) in (None, *timed)]
    for row in shown:
        lines.append(f"  {row['label']}: {row['flags']}/{row['comparisons']} = {row['rate']:.1%}, "
                     f"95% interval {row['low95']:.1%}-{row['high95']:.1%} (goal {row['goal_text']}, "
                     f"{'met' if row['met'] else 'MISSED'})")
        if row.get("bound_text"):
            lines.append(f"    {row['bound_text']}")
    if len(shown) < len(rows):
        lines.append(f"  ({len(rows) - len(shown)} planted-slowdown row(s) about benchmarks this comparison "
                     f"does not time left out)")
    if measured_backend != backend:
        lines.append(f"  NOT measured on {backend}: these rates are {measured_backend}'s; "
                     f"`KERAS_BACKEND={backend} make timing-power` measures them")
    for mismatch in (design_mismatch(power, backend), device_mismatch(power.get("device"), backend)):
        if mismatch:
            lines.append(f"  {mismatch}: `make timing-power` measures them here "
                         f"(`python -m validation.timing.power keep` commits them for this device)")
    return lines


def design_mismatch(power, backend):
    """A sentence when the table timed another design than this comparison's on ``backend`` (warm
    models rebuilt every ``method.REFRESH_EVERY`` pairs of blocks, or kept); None when they agree."""
    from validation.timing.method import REFRESH_EVERY, refresh_text

    recorded = (power.get("design_sizes") or {}).get("refresh_every")
    here = REFRESH_EVERY.get(backend)
    if recorded == here:
        return None
    return (f"NOT this comparison's design: the table's {refresh_text(recorded)}, this comparison's "
            f"{refresh_text(here)}")


def device_mismatch(recorded, backend):
    """A sentence when the table's device (``device_description`` fields) is not this machine's, or
    was not recorded (in whole or in part); None when they agree or this machine's cannot be described."""
    here = device_fields(backend)
    if not here:
        return None
    if not recorded:
        return f"the table records no device: these rates may not hold on this one ({describe_fields(here)})"
    there = {field: recorded[field] for field in DEVICE_FIELDS if field in recorded}
    if any(here.get(field) != value for field, value in there.items()):
        return f"NOT measured on this device ({describe_fields(here)}) but on {describe_fields(there)}"
    unrecorded = {field: value for field, value in here.items() if field not in there}
    if unrecorded:
        return (f"the table records no {', '.join(unrecorded)} (this device: {describe_fields(unrecorded)}): "
                f"these rates may not hold on it")
    return None


def describe_fields(fields):
    """Device fields as text: "device CPU X x2, vector_set avx2, onednn False"."""
    return ", ".join(f"{name} {value}" for name, value in fields.items())
