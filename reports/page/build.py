"""Building ``reports/html/``: the asv site under ``asv/`` and the report page ``index.html``.

Reads the asv results folder and the validation results; writes only into the output folder.
"""

import datetime
import shutil
import subprocess
from pathlib import Path

import jinja2

from reports.measurements.asv_config import read_asv_paths
from reports.measurements.asv_results import load_results
from reports.page import asv_site, page
from reports.page.fit_section import default_paths, fit_context
from reports.page.lowerings_table import LOWERINGS_FILE, committed_lowerings, lowerings_context
from reports.page.perf_grid import PERF_GRID_FILE, perf_grid_context
from reports.page.summary import summary_context
from reports.page.validation_results import POWER_FILE, VALIDATION_FILE, load_power, load_validation

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_OUTPUT = Path("reports/html")
ASV_SUBFOLDER = "asv"


def build_report(root=".", output=None, validation_path=None, power_path=None, publish=True, progress=print):
    """Build the report of the project in ``root``; return the path of the page."""
    root = Path(root).resolve()
    output = Path(output) if output else root / DEFAULT_OUTPUT
    paths = read_asv_paths(root)
    progress(f"reading asv results from {paths.results_dir}")
    results = load_results(paths.results_dir)
    validation = load_validation(validation_path or root / VALIDATION_FILE)
    power = load_power(power_path or root / POWER_FILE)
    _reset(output)
    asv_published = False
    if publish and paths.config is not None and not results.empty:
        asv_site.publish(paths.config, output / ASV_SUBFOLDER, progress)
        asv_published = True
    progress("drawing the plots (matplotlib)")
    context = {
        "title": "Fused multi-replica vs reference: performance and validation",
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "harness_commit": _head(root),
        "asv": page.asv_context(results, output, paths.repo),
        "whole_fit": page.whole_fit_context(results, paths.repo),
        "asv_published": asv_published,
        "asv_index": f"{ASV_SUBFOLDER}/index.html",
        "descriptions": page.descriptions(),
        "perf_grid": perf_grid_context(root / PERF_GRID_FILE),
        "lowerings": lowerings_context(root / LOWERINGS_FILE),
        "gpu_lowerings": committed_lowerings(root),
        **page.validation_context(validation, power, output),
    }
    context["fit"] = fit_context(*default_paths(root), output)
    context["summary"] = summary_context(root, context["asv"], validation, power)
    index = output / "index.html"
    index.write_text(render(context))
    progress(f"report written to {index}")
    return index


def render(context, template="report.html.j2"):
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    environment.filters["number"] = _number
    return environment.get_template(template).render(**context)


def _reset(output):
    """Empty the output folder (it only ever holds generated files)."""
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)


def _head(root):
    found = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else ""


def _number(value, digits=3):
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.{digits}g}"
