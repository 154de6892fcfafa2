"""The measured error rates of the timing verdicts, read from the timing power table.

``python -m validation.timing.power`` writes ``results/timing/power.json`` on the machine it runs on;
the table measured when the method was chosen is kept in the repository as ``docs/timing-power.json``
and is used where no local one exists (the lines say which).
"""

from pathlib import Path

from validation.results import load_table

SCHEMA = "multireplica-harness/timing-power/1"
LOCAL = Path("results/timing/power.json")
COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "timing-power.json"
# The backend of a table that does not name one: tables were measured on Keras's default until the
# field was added.
DEFAULT_BACKEND = "tensorflow"


class PowerTableError(ValueError):
    """The timing power table is unreadable or of another schema."""


def load_power(path=None):
    """The power table at ``path``, else the local one, else the committed one; None if there is none."""
    table = load_table([path] if path else [LOCAL, COMMITTED], SCHEMA, PowerTableError, "timing power table")
    if table is not None:
        return table
    if path:
        raise PowerTableError(f"no timing power table at {path}")
    return None


def summary(power):
    """The headline rates: {name: (flags, comparisons, rate)} of the table's summary rows."""
    return {row["name"]: row for row in power.get("summary", [])}


def error_rates_lines(power=None, backend=None):
    """Lines stating the method's measured error rates, or how to measure them; when ``backend`` (the
    comparison's) is not the table's, a line says the rates were not measured for it."""
    try:
        power = power or load_power()
    except PowerTableError as error:
        return [f"error rates: {error}"]
    if power is None:
        return ["error rates: not measured on this machine: run `make timing-power` (tens of minutes)"]
    measured_backend = power.get("backend", DEFAULT_BACKEND)
    lines = [f"error rates of this method, measured on {power.get('machine', '?')}, "
             f"backend {measured_backend} ({power.get('started', '?')}, {power['path']}):"]
    for row in power.get("summary", []):
        bounds = f", 95% interval {row['low95']:.1%}-{row['high95']:.1%}" if "low95" in row else ""
        lines.append(f"  {row['label']}: {row['flags']}/{row['comparisons']} = {row['rate']:.1%}{bounds} "
                     f"(goal {row['goal_text']}, {'met' if row['met'] else 'MISSED'})")
    if backend and backend != measured_backend:
        lines.append(f"  NOT measured on {backend}: these rates are {measured_backend}'s; "
                     f"`KERAS_BACKEND={backend} make timing-power` measures them")
    mismatch = device_mismatch(power.get("device"), backend or measured_backend)
    if mismatch:
        lines.append(f"  {mismatch}: `make timing-power` measures them here")
    return lines


DEVICE_FIELDS = ("device", "onednn")  # what changes the kernels, hence the noise, between machines


def device_mismatch(recorded, backend):
    """A sentence when the table's device (``device_description`` fields) is not this machine's, or
    was not recorded; None when they agree or this machine's cannot be described."""
    from harness.device import device_description

    try:
        here = device_description(backend)
    except ImportError:
        return None
    here = {field: here[field] for field in DEVICE_FIELDS if field in here}
    if not recorded:
        return f"the table records no device: these rates may not hold on this one ({_describe(here)})"
    there = {field: recorded[field] for field in DEVICE_FIELDS if field in recorded}
    if there != here:
        return f"NOT measured on this device ({_describe(here)}) but on {_describe(there)}"
    return None


def _describe(fields):
    return ", ".join(f"{name} {value}" for name, value in fields.items())
