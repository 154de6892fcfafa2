"""``python -m validation --fit / --fit-power``: bad usage exits 2 before any fit, foreign files are kept."""

import json

import pytest

from harness.nnpdf import NNPDF_CLIPNORM
from validation.__main__ import main, parser
from validation.fit.cli import fit_settings


@pytest.mark.parametrize(("argv", "named"), [
    (["--fit", "--power"], "--power"),
    (["--fit", "--fit-power"], "--fit-power"),
    (["--fit-power", "--full"], "--full"),
    (["--fit", "--fit-dropout", "1.5"], "--fit-dropout"),
    (["--fit", "--fit-clipnorm", "abc"], "--fit-clipnorm"),
    (["--fit", "--fit-clipnorm", "-1"], "--fit-clipnorm"),
    (["--fit-power", "--fit-power-runs", "0"], "--fit-power-runs"),
    (["--fit", "--candidate", "no.such.module"], "--candidate"),
])
def test_bad_usage_exits_2_naming_the_option(argv, named, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err


def test_a_foreign_result_file_is_not_overwritten(tmp_path, capsys):
    foreign = tmp_path / "fit.json"
    foreign.write_text(json.dumps({"schema": "someone-else/1", "keep": True}))
    with pytest.raises(SystemExit) as exit_info:
        main(["--fit", "--json", str(foreign)])
    assert exit_info.value.code == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert json.loads(foreign.read_text())["keep"] is True


def test_modes_and_options_reach_the_settings():
    p = parser()
    full = fit_settings(p, p.parse_args(["--fit", "--full", "--fit-clipnorm", "1e-3", "--fit-dropout", "0"]))
    assert (full.replicas, full.points, full.clipnorm, full.dropout_rate) == (100, 1500, 1e-3, 0.0)
    assert fit_settings(p, p.parse_args(["--fit", "--full"])).clipnorm == NNPDF_CLIPNORM
    quick = fit_settings(p, p.parse_args(["--fit", "--quick"]))
    assert (quick.mode, quick.replicas, quick.clipnorm) == ("quick", 20, None)
    standard = fit_settings(p, p.parse_args(["--fit"]))
    assert (standard.mode, standard.clipnorm) == ("standard", NNPDF_CLIPNORM)
    assert fit_settings(p, p.parse_args(["--fit", "--fit-clipnorm", "none"])).clipnorm is None
    assert fit_settings(p, p.parse_args(["--fit-power"])).mode == "power"
