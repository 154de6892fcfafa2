"""Where asv keeps its results and html, read from ``asv.conf.json`` (asv's defaults otherwise)."""

import json
from dataclasses import dataclass
from pathlib import Path

from reports.errors import ReportInputError

CONFIG_NAME = "asv.conf.json"
DEFAULT_RESULTS_DIR = ".asv/results"
DEFAULT_HTML_DIR = ".asv/html"


@dataclass(frozen=True)
class AsvPaths:
    """The asv config file (None when the project has none) and the folders it names."""

    config: Path | None
    results_dir: Path
    html_dir: Path
    repo: Path


def read_asv_paths(root):
    """The asv paths of the project in ``root``, resolved against ``root``."""
    root = Path(root).resolve()
    config_path = root / CONFIG_NAME
    if not config_path.exists():
        return AsvPaths(None, root / DEFAULT_RESULTS_DIR, root / DEFAULT_HTML_DIR, root)
    config = _load_config(config_path)
    return AsvPaths(
        config_path,
        root / config.get("results_dir", DEFAULT_RESULTS_DIR),
        root / config.get("html_dir", DEFAULT_HTML_DIR),
        root / config.get("repo", "."),
    )


def _load_config(path):
    """asv.conf.json allows // comment lines; drop them before parsing."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("//")]
    try:
        config = json.loads("\n".join(lines))
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise ReportInputError(f"{path}: expected a JSON object")
    return config
