"""Reading validation.json and power.json."""

import json
import shutil

import pytest

from reports.errors import ReportInputError
from reports.page.validation_results import load_power, load_validation
from tests.reports.conftest import FIXTURES


def test_the_fixtures_load():
    assert len(load_validation(FIXTURES / "validation.json")["checks"]) == 4
    assert len(load_power(FIXTURES / "power.json")["rows"]) == 3


def test_missing_validation_is_an_error_naming_the_file_and_the_command(tmp_path):
    with pytest.raises(ReportInputError, match=r"validation\.json.*python -m validation --quick"):
        load_validation(tmp_path / "validation.json")


def test_missing_power_is_no_power_study(tmp_path):
    assert load_power(tmp_path / "power.json") is None


@pytest.mark.parametrize(
    ("loader", "name"), [(load_validation, "validation.json"), (load_power, "power.json")]
)
@pytest.mark.parametrize("corruption", ["unparsable", "wrong schema", "missing field", "incomplete entry"])
def test_corrupt_files_are_errors_naming_the_file(tmp_path, loader, name, corruption):
    path = tmp_path / name
    shutil.copy(FIXTURES / name, path)
    data = json.loads(path.read_text())
    if corruption == "unparsable":
        path.write_text(path.read_text()[:-20])
    else:
        if corruption == "wrong schema":
            data["schema"] = "multireplica-harness/other/9"
        elif corruption == "missing field":
            data.pop("checks" if name == "validation.json" else "rows")
        elif name == "validation.json":
            data["checks"][1].pop("verdict")
        else:
            data["rows"][1].pop("kind")
        path.write_text(json.dumps(data))
    with pytest.raises(ReportInputError, match=f"corrupt results file {path}"):
        loader(path)
