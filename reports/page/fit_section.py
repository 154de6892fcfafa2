"""The report's fit section: fit-level verdicts, ensemble figures and the fit power table."""

from pathlib import Path

from reports.page.fit_plots import design_figures
from reports.page.validation_results import FIT_FILE, FIT_POWER_FILE, load_fit, load_fit_power


def fit_context(fit_path, fit_power_path, out_dir):
    """What the template's fit section shows; ``available`` is False without fit.json."""
    fit_path, fit_power_path = Path(fit_path), Path(fit_power_path)
    fit = load_fit(fit_path)
    power = load_fit_power(fit_power_path)
    context = {"available": fit is not None, "path": str(fit_path), "power": power,
               "power_path": str(fit_power_path), "designs": []}
    if fit is None:
        return context
    context["fit"] = fit
    for name, design in fit["designs"].items():
        context["designs"].append({
            "name": name, "parameters": design.get("parameters", {}),
            "reference": _side(design["reference"]), "candidate": _side(design["candidate"]),
            "figures": design_figures(out_dir, name, design),
        })
    return context


def default_paths(root):
    root = Path(root)
    return root / FIT_FILE, root / FIT_POWER_FILE


def _side(side):
    return {key: side.get(key) for key in ("steps_run", "seconds", "setup_seconds", "loop_seconds")}
