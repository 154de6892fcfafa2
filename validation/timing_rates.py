"""The measured error rates of the timing verdicts, read from the timing power table.

``python -m validation.timing_power`` writes ``results/timing/power.json`` on the machine it runs on;
the table measured when the method was chosen is kept in the repository as ``docs/timing-power.json``
and is used where no local one exists (the lines say which).
"""

import json
from pathlib import Path

SCHEMA = "multireplica-harness/timing-power/1"
LOCAL = Path("results/timing/power.json")
COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "timing-power.json"


class PowerTableError(ValueError):
    """The timing power table is unreadable or of another schema."""


def load_power(path=None):
    """The power table at ``path``, else the local one, else the committed one; None if there is none."""
    candidates = [Path(path)] if path else [LOCAL, COMMITTED]
    for candidate in candidates:
        if candidate.exists():
            try:
                data = json.loads(candidate.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise PowerTableError(f"corrupt timing power table {candidate}: {error}") from None
            if not isinstance(data, dict) or data.get("schema") != SCHEMA:
                raise PowerTableError(f"corrupt timing power table {candidate}: schema is not {SCHEMA!r}")
            return {**data, "path": str(candidate)}
    if path:
        raise PowerTableError(f"no timing power table at {path}")
    return None


def summary(power):
    """The headline rates: {name: (flags, comparisons, rate)} of the table's summary rows."""
    return {row["name"]: row for row in power.get("summary", [])}


def error_rates_lines(power=None):
    """Lines stating the method's measured error rates, or how to measure them."""
    try:
        power = power or load_power()
    except PowerTableError as error:
        return [f"error rates: {error}"]
    if power is None:
        return ["error rates: not measured on this machine: run `make timing-power` (tens of minutes)"]
    lines = [f"error rates of this method, measured on {power.get('machine', '?')} "
             f"({power.get('started', '?')}, {power['path']}):"]
    for row in power.get("summary", []):
        bounds = f", 95% interval {row['low95']:.1%}-{row['high95']:.1%}" if "low95" in row else ""
        lines.append(f"  {row['label']}: {row['flags']}/{row['comparisons']} = {row['rate']:.1%}{bounds} "
                     f"(goal {row['goal_text']}, {'met' if row['met'] else 'MISSED'})")
    return lines
