"""Reading the validation verdicts (validation.json) and the power study (power.json)."""

from pathlib import Path

from reports.asv_results import read_json
from reports.errors import ReportInputError

VALIDATION_SCHEMA = "multireplica-harness/validation/1"
POWER_SCHEMA = "multireplica-harness/power/1"
CHECK_FIELDS = ("name", "group", "statistic_name", "statistic", "threshold", "comparison", "verdict")
CHECK_DEFAULTS = {"parameters": {}, "p_value": None, "seconds": None, "details": {}}
POWER_ROW_FIELDS = ("check", "kind", "runs", "failures", "rate", "goal", "met")
POWER_DEFAULTS = {"null_runs": None, "started": "", "seconds": None}
VALIDATION_DEFAULTS = {
    "curves": {}, "mode": "", "candidate": "", "reference": "", "started": "", "seconds": None,
}
VALIDATION_FILE = Path("results/validation/validation.json")
POWER_FILE = Path("results/validation/power.json")


def load_validation(path):
    """validation.json; missing, unparsable or of another schema raises ReportInputError naming it."""
    path = Path(path)
    if not path.exists():
        raise ReportInputError(f"missing validation results {path}: run `python -m validation --quick`")
    data = _with_schema(path, VALIDATION_SCHEMA)
    _require(path, data, {"checks": list, "passed": bool, "environment": dict})
    _require_entries(path, "checks", data["checks"], CHECK_FIELDS, CHECK_DEFAULTS)
    return {**VALIDATION_DEFAULTS, **data}


def load_power(path):
    """power.json, or None when the power study has not been run; corrupt files raise."""
    path = Path(path)
    if not path.exists():
        return None
    data = _with_schema(path, POWER_SCHEMA)
    _require(path, data, {"rows": list})
    _require_entries(path, "rows", data["rows"], POWER_ROW_FIELDS, {"defect": None})
    return {**POWER_DEFAULTS, **data}


def _with_schema(path, schema):
    data = read_json(path)
    if data.get("schema") != schema:
        raise ReportInputError(
            f"corrupt results file {path}: schema {data.get('schema')!r}, expected {schema!r}"
        )
    return data


def _require(path, data, fields):
    for name, kind in fields.items():
        if not isinstance(data.get(name), kind):
            raise ReportInputError(
                f"corrupt results file {path}: field {name!r} missing or not a {kind.__name__}"
            )


def _require_entries(path, name, entries, fields, defaults):
    """Every entry of the list ``name`` has ``fields``; optional ones get ``defaults``."""
    for index, entry in enumerate(entries):
        missing = [field for field in fields if not isinstance(entry, dict) or field not in entry]
        if missing:
            raise ReportInputError(f"corrupt results file {path}: {name}[{index}] lacks {missing}")
        for field, value in defaults.items():
            entry.setdefault(field, value)
