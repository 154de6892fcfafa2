"""Reading the validation verdicts (validation.json) and the power study (power.json)."""

from pathlib import Path

from reports.errors import ReportInputError
from reports.measurements.asv_results import read_json
from validation.results import FIT_POWER_SCHEMA, FIT_SCHEMA, POWER_SCHEMA, VALIDATION_SCHEMA

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



FIT_FILE = Path("results/validation/fit.json")
FIT_POWER_FILE = Path("results/validation/fit_power.json")
FIT_DESIGN_FIELDS = ("x", "distance", "variance_distance", "reference", "candidate")
FIT_SIDE_FIELDS = ("mean", "sd", "stopping_step", "central_chi2", "training_chi2", "validation_chi2")
FIT_POWER_ROW_FIELDS = ("candidate", "design", "check", "kind", "runs", "failures", "rate")


def load_fit(path):
    """fit.json (``python -m validation --fit``), or None when missing; corrupt files raise."""
    path = Path(path)
    if not path.exists():
        return None
    data = _with_schema(path, FIT_SCHEMA)
    _require(path, data, {"checks": list, "passed": bool, "designs": dict, "settings": dict,
                          "environment": dict})
    _require_entries(path, "checks", data["checks"], CHECK_FIELDS, CHECK_DEFAULTS)
    for name, design in data["designs"].items():
        _require_entries(path, f"designs.{name}", [design], FIT_DESIGN_FIELDS, {})
        _require_entries(path, f"designs.{name} sides", [design["reference"], design["candidate"]],
                         FIT_SIDE_FIELDS, {})
    return {**VALIDATION_DEFAULTS, **data}


def load_fit_power(path):
    """fit_power.json (``python -m validation --fit-power``), or None when missing; corrupt files raise."""
    path = Path(path)
    if not path.exists():
        return None
    data = _with_schema(path, FIT_POWER_SCHEMA)
    _require(path, data, {"rows": list})
    _require_entries(path, "rows", data["rows"], FIT_POWER_ROW_FIELDS,
                     {"defect": None, "clipnorm": None, "met": None, "median_central_chi2_shift": None})
    return {**POWER_DEFAULTS, "note": "", "defect_runs": None, **data}
