"""asv.conf.json fits the machine at hand: no pinned Python, the backend installed per machine."""

import json
import re
from pathlib import Path

import pytest

from benchmarks import asv_install

pytestmark = pytest.mark.tensorflow_kernel_free  # reads asv.conf.json and the install script: no backend runs

ROOT = Path(__file__).resolve().parents[1]


def asv_config():
    text = (ROOT / "asv.conf.json").read_text()
    return json.loads("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")))


def test_the_config_pins_no_python_and_no_backend_build():
    config = asv_config()
    assert "pythons" not in config  # asv then uses the Python that runs it
    requirements = config["matrix"]["req"]
    assert not {"tensorflow", "tensorflow-cpu", "jax", "torch"} & set(requirements)
    assert "benchmarks/asv_install.py {wheel_file}" in config["install_command"][0]
    assert "github.com/\"" not in (ROOT / "asv.conf.json").read_text()


@pytest.mark.parametrize(
    ("environ", "gpu", "extra"),
    [({}, False, "tf"), ({}, True, "tf-gpu"), ({"KERAS_BACKEND": "jax"}, True, "jax-gpu"),
     ({"KERAS_BACKEND": "jax", asv_install.BACKEND_VARIABLE: "torch"}, False, "torch"),
     ({asv_install.BACKEND_VARIABLE: "jax"}, False, "jax")],
)
def test_the_backend_comes_from_the_switch_and_the_gpu(environ, gpu, extra):
    assert asv_install.requirement("w.whl", environ, gpu) == f"w.whl[{extra}]"


def test_every_extra_it_installs_exists():
    pyproject = (ROOT / "pyproject.toml").read_text()
    for extra in set(asv_install.EXTRAS.values()):
        assert re.search(rf"^{re.escape(extra)} = \[", pyproject, re.MULTILINE), extra


def test_an_unknown_backend_names_the_switch():
    with pytest.raises(SystemExit, match=asv_install.BACKEND_VARIABLE):
        asv_install.chosen_backend({asv_install.BACKEND_VARIABLE: "mxnet"})
