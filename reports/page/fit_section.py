"""The report's fit section: fit-level verdicts, ensemble figures and the fit power table."""

from pathlib import Path

from reports.errors import ReportInputError
from reports.page.fit_plots import design_figures
from reports.page.validation_results import FIT_FILE, FIT_POWER_FILE, load_fit, load_fit_power
from validation.fit.size import FitSizeTableError, load_size_table


def fit_context(fit_path, fit_power_path, out_dir, fit_size_path=None):
    """What the template's fit section shows; ``available`` is False without fit.json."""
    fit_path, fit_power_path = Path(fit_path), Path(fit_power_path)
    fit = load_fit(fit_path)
    power = load_fit_power(fit_power_path)
    context = {"available": fit is not None, "path": str(fit_path), "power": power,
               "power_path": str(fit_power_path), "designs": [], "size": _size_table(fit_size_path)}
    if fit is None:
        return context
    context["fit"] = fit
    for name, design in fit["designs"].items():
        context["designs"].append({
            "name": name, "parameters": design.get("parameters", {}),
            "reference": _side(design["reference"]), "candidate": _side(design["candidate"]),
            "figures": design_figures(out_dir, name, design),
            "closure": closure_rows(design.get("closure"), _check(fit, name, "closure_estimators"),
                                    _check(fit, name, "replica_correlation")),
        })
    return context


def default_paths(root):
    root = Path(root)
    return root / FIT_FILE, root / FIT_POWER_FILE


def _side(side):
    return {key: side.get(key) for key in ("steps_run", "seconds", "setup_seconds", "loop_seconds")}


ESTIMATOR_LABELS = {"bias": "bias (chi2 of the central prediction to the truth)",
                    "variance": "variance (mean chi2 of the replicas to the central prediction)",
                    "ratio_bias_variance": "R_bv = sqrt(bias / variance)",
                    "xi_1sigma": "xi_1sigma (truth within one sigma)"}


def closure_rows(closure, closure_check, correlation_check):
    """Rows of the closure table: each estimator for both fits with intervals, contrast and p-value;
    then the mean replica-pair residual correlation. Empty for a fit.json written without them."""
    if not closure or closure_check is None:
        return []
    details = closure_check["details"]
    rows = [{"label": label, "reference": closure["reference"]["estimators"][name],
             "reference_interval": closure["reference"]["intervals"][name],
             "candidate": closure["candidate"]["estimators"][name],
             "candidate_interval": closure["candidate"]["intervals"][name],
             "contrast": details["contrasts"][name], "p_value": details["p_values"][name]}
            for name, label in ESTIMATOR_LABELS.items()]
    if correlation_check is not None:
        sides = correlation_check["details"]["mean_pair_correlation"]
        rows.append({"label": "mean replica-pair correlation of residuals to own pseudo-data",
                     "reference": sides["reference"], "reference_interval": None,
                     "candidate": sides["candidate"], "candidate_interval": None,
                     "contrast": correlation_check["details"]["difference"],
                     "p_value": correlation_check["p_value"]})
    return rows


def _check(fit, design, name):
    return next((c for c in fit.get("checks", []) if c.get("name") == f"fit.{design}.{name}"), None)


def _size_table(path):
    """The fit size table (validation.fit.size): the given one, else the local or committed one."""
    try:
        return load_size_table(path)
    except FitSizeTableError as error:
        raise ReportInputError(str(error)) from None
