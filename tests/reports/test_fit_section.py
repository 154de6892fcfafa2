"""The report's fit section: missing, corrupt and real fit.json / fit_power.json."""

import json

import jinja2
import numpy as np
import pytest

from harness.fit import FitResult
from reports.errors import ReportInputError
from reports.page.build import TEMPLATES, _number
from reports.page.fit_section import fit_context
from validation.fit import checks as fit_checks
from validation.fit.run import FIT_SCHEMA, design_summary, write_result
from validation.results import _plain
from validation.settings import FIT_QUICK

SETTINGS = FIT_QUICK


def fake_fit(rng, shift=0.0):
    replicas, points = SETTINGS.replicas, SETTINGS.points
    chi2 = rng.gamma(20, 0.05, (3, replicas))
    return FitResult(replicas=replicas, steps_run=300, stopping_step=rng.integers(50, 300, replicas),
                     training_chi2=chi2[0], validation_chi2=chi2[1], central_chi2=chi2[2],
                     pdf=rng.normal(size=(replicas, points, 8)) + shift, seconds=1.0)


def write_fit_json(path, shift=0.0):
    """fit.json written by validation's own code from synthetic fits (candidate shifted by ``shift``)."""
    rng = np.random.default_rng(0)
    checks, designs = [], {}
    for design in fit_checks.DESIGNS:
        pair = fit_checks.FitPair(design, fake_fit(rng), fake_fit(rng, shift),
                                  fit_checks.parameters(SETTINGS, design), 0, SETTINGS)
        checks += [check(pair, SETTINGS) for check in fit_checks.CHECKS]
        designs[design] = design_summary(pair, SETTINGS)
    write_result(path, {"schema": FIT_SCHEMA, "mode": "quick", "candidate": "synthetic",
                        "reference": "reference", "environment": {"backend": "none"}, "started": "now",
                        "seconds": 1.0, "passed": all(c.passed for c in checks),
                        "power": {"measured": False, "text": "power against clipnorm coupling NOT measured"},
                        "settings": SETTINGS.as_json(), "checks": [c.as_json() for c in checks],
                        "designs": designs})
    return path


def render(context):
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["number"] = _number
    return environment.get_template("fit_section.html.j2").render(fit=context)


def test_missing_results_say_no_fit_validation_yet(tmp_path):
    html = render(fit_context(tmp_path / "fit.json", tmp_path / "fit_power.json", tmp_path / "html"))
    assert 'id="no-fit-validation"' in html and "No fit validation yet" in html
    assert 'id="no-fit-power"' in html


def test_the_built_page_has_the_fit_section(built_report):
    assert 'id="no-fit-validation"' in (built_report / "index.html").read_text()


@pytest.mark.parametrize("shift", [0.0, 1.0])
def test_verdicts_and_figures_are_shown(tmp_path, shift):
    path = write_fit_json(tmp_path / "fit.json", shift)
    out = tmp_path / "html"
    html = render(fit_context(path, tmp_path / "fit_power.json", out))
    assert html.count("<td>fit.") == 2 * len(fit_checks.CHECKS)
    assert html.count('class="closure"') == 2 and "R_bv" in html
    assert 'id="fit-power-statement"' in html and "power against clipnorm coupling NOT measured" in html
    assert ('<span class="fail">failed</span>' in html) == (shift > 0)  # a shifted mean is flagged
    images = [out / part.split('"')[0] for part in html.split('<img src="')[1:]]
    assert len(images) == 8 and all(i.read_bytes()[:4] == b"\x89PNG" for i in images)


@pytest.mark.parametrize("corruption", ["unparsable", "wrong schema", "no designs", "design without x"])
def test_corrupt_fit_json_is_an_error_naming_the_file(tmp_path, corruption):
    path = write_fit_json(tmp_path / "fit.json")
    data = json.loads(path.read_text())
    if corruption == "unparsable":
        path.write_text(path.read_text()[:-50])
    else:
        if corruption == "wrong schema":
            data["schema"] = "multireplica-harness/other/1"
        elif corruption == "no designs":
            data.pop("designs")
        else:
            data["designs"]["matched"].pop("x")
        path.write_text(json.dumps(data))
    with pytest.raises(ReportInputError, match=str(path)):
        fit_context(path, tmp_path / "fit_power.json", tmp_path / "html")


def test_the_power_table_is_shown(tmp_path):
    power = tmp_path / "fit_power.json"
    row = {"configuration": "plain", "clipnorm": None, "candidate": "multidense", "defect": None,
           "design": "matched", "check": "any", "kind": "false_alarm", "runs": 10, "failures": 0,
           "rate": 0.0, "goal": 0.01, "met": True, "median_central_chi2_shift": 0.001}
    power.write_text(json.dumps(_plain({"schema": "multireplica-harness/fit-power/1", "rows": [row],
                                        "note": "reduced size", "started": "now", "seconds": 1.0})))
    html = render(fit_context(tmp_path / "fit.json", power, tmp_path / "html"))
    assert 'id="fit-power"' in html and "&lt;= 1%: met" in html
