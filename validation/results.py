"""Check results, the environment they ran in, and writing result files without clobbering others."""

import json
import platform
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import result_files

VALIDATION_SCHEMA = "multireplica-harness/validation/1"
POWER_SCHEMA = "multireplica-harness/power/1"
FIT_SCHEMA = "multireplica-harness/fit/1"
FIT_POWER_SCHEMA = "multireplica-harness/fit-power/1"
TEXT_HEADER = "# multireplica-harness validation power table"
SCHEMA_NAMESPACE = "multireplica-harness/"  # every result file the harness writes names a schema in it


@dataclass
class CheckResult:
    """One check's outcome, in the keys of the validation.json schema."""

    name: str
    group: str
    parameters: dict
    statistic_name: str
    statistic: float
    threshold: float
    comparison: str  # "<=" or ">="
    p_value: float | None = None
    details: dict = field(default_factory=dict)
    seconds: float = 0.0
    curve: dict | None = None  # {"x_label", "y_label", "steps", "series"}, written under "curves"

    @property
    def passed(self):
        if self.comparison == "<=":
            return self.statistic <= self.threshold
        return self.statistic >= self.threshold

    @property
    def verdict(self):
        return "pass" if self.passed else "fail"

    def as_json(self):
        record = asdict(self)
        record.pop("curve")
        record["verdict"] = self.verdict
        return _plain(record)


def p_value_check(name, group, parameters, p_value, alpha, details):
    """A hypothesis-test check: pass when the (Bonferroni-adjusted) p-value is >= ``alpha``."""
    return CheckResult(name, group, parameters, "bonferroni_adjusted_p_value", float(p_value),
                       float(alpha), ">=", float(p_value), details)


def bonferroni(p_values):
    """The smallest p-value times the number of tests, capped at 1."""
    p_values = list(p_values)
    return min(1.0, min(p_values) * len(p_values)) if p_values else 1.0


def progress_line(index, total, result):
    p_value = "" if result.p_value is None else f" p={result.p_value:.3g}"
    return (f"[{index:2d}/{total}] {result.name:<36} {result.verdict.upper():<4} "
            f"{result.statistic_name}={result.statistic:.3g} {result.comparison} {result.threshold:.3g}"
            f"{p_value} ({result.seconds:.1f} s)")


def verdict_table(results):
    width = max(len(r.name) for r in results)
    lines = [f"{'check':<{width}}  verdict  {'statistic':>11}  cmp  {'threshold':>9}  {'p-value':>8}",
             "-" * (width + 52)]
    for r in results:
        p_value = "-" if r.p_value is None else f"{r.p_value:.3g}"
        lines.append(f"{r.name:<{width}}  {r.verdict:<7}  {r.statistic:>11.4g}  {r.comparison:>3}  "
                     f"{r.threshold:>9.3g}  {p_value:>8}")
    return "\n".join(lines)


def summary_line(payload, results, path, checks="checks"):
    """The closing line of a validation run: PASSED or FAILED, checks passed, time, backend, file."""
    verdict = "PASSED" if payload["passed"] else "FAILED"
    return (f"{verdict}: {sum(r.passed for r in results)}/{len(results)} {checks} pass in "
            f"{payload['seconds']:.1f} s on {payload['environment']['backend']}; wrote {path}")


def environment():
    """Versions and machine the checks ran on."""
    import keras
    import numpy
    import scipy

    from harness.device import contraction_error, device_description

    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "device": _device(),
        "hostname": socket.gethostname(),
        # what decides float32 rounding and speed here: CPU model or GPU, TensorFlow's oneDNN state
        "machine": device_description(),
        # max relative error of its float32 matmuls against float64: ~1e-7, or ~1e-3 where GEMMs run in TF32
        "float32_contraction_error": f"{contraction_error():.1e}",
    }


def _device():
    import keras

    try:
        devices = keras.distribution.list_devices()
    except Exception:  # noqa: BLE001 - a backend without device listing still validates
        return "unknown"
    return ", ".join(devices) if devices else "cpu"


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def check_writable(path, text_header=None):
    """Raise if ``path`` exists and is not one of our result files; create its parent folder."""
    return result_files.check_writable(path, lambda existing: _is_ours(existing, text_header),
                                       "a validation result file")


def _is_ours(path, text_header):
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    if text_header is not None:
        return text.startswith(text_header)
    try:
        return str(json.loads(text).get("schema", "")).startswith(SCHEMA_NAMESPACE)
    except (ValueError, AttributeError):
        return False


def load_table(paths, schema, error=ValueError, label="table"):
    """The first of ``paths`` that exists, parsed, with its ``path``; None when none exists. A file that
    does not parse or names another schema raises ``error`` naming it."""
    for path in map(Path, paths):
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as problem:
                raise error(f"corrupt {label} {path}: {problem}") from None
            if not isinstance(data, dict) or data.get("schema") != schema:
                raise error(f"corrupt {label} {path}: schema is not {schema!r}")
            return {**data, "path": str(path)}
    return None


def write_json(path, payload):
    return result_files.write_atomically(check_writable(path), json.dumps(_plain(payload), indent=2) + "\n")


def write_text(path, text, text_header=TEXT_HEADER):
    """Write a text table whose first line starts with ``text_header`` (over ours only)."""
    return result_files.write_atomically(check_writable(path, text_header), text)


def _plain(value):
    """JSON-ready copy: numpy scalars and arrays to Python numbers and lists, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
