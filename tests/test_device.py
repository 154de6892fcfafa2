"""The device's float32 contraction precision and the tolerances that follow it."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from harness import device, host

pytestmark = pytest.mark.backend_matrix
ROOT = Path(__file__).resolve().parents[1]


def test_the_contraction_error_is_float32_round_off_on_a_cpu():
    error = device.measure_contraction_error()
    assert 0 < error < 1e-2  # even TF32 is within ~1e-3
    if not device.gpu_available():
        assert error < 1e-5


def test_a_device_that_multiplies_in_lower_precision_is_measured_so(monkeypatch):
    matmul, einsum = keras.ops.matmul, keras.ops.einsum
    monkeypatch.setattr(keras.ops, "matmul", lambda a, b: matmul(a, b) * (1 + 1e-3))
    assert device.measure_contraction_error() == pytest.approx(1e-3, rel=0.05)
    monkeypatch.setattr(keras.ops, "matmul", matmul)
    monkeypatch.setattr(keras.ops, "einsum", lambda equation, *operands: einsum(equation, *operands) * 1.002)
    assert device.measure_contraction_error() == pytest.approx(2e-3, rel=0.05)  # each form counts


def test_tolerances_widen_only_where_the_device_is_coarser():
    assert device.float32_tolerance(1e-5, error=1e-7) == 1e-5
    assert device.float32_tolerance(1e-5, error=1e-3) == pytest.approx(1e-2)
    if not device.gpu_available():  # float32 computed as float32 here: the bound stands as set
        assert device.float32_tolerance(1e-5) == 1e-5


@pytest.mark.parametrize("flags, widest", [
    ("fpu sse4_2 avx avx2 fma avx512f avx512_vnni", "avx512"), ("fpu sse4_2 avx avx2 fma", "avx2"),
    ("fp asimd evtstrm sve", "sve"), ("fp asimd", "neon"), ("amx_tile avx512f avx2", "amx"), ("", "unknown")])
def test_the_vector_set_is_the_widest_the_cpu_offers(flags, widest):
    assert host.cpu_vector_set(flags.split()) == widest


def test_a_cpu_is_described_with_its_vector_set(vector_set):
    """A virtual machine may name CPUs with and without AVX-512 alike ("AMD EPYC"): the set tells them
    apart, so a choice measured on one is not taken for the other's."""
    if device.gpu_available():
        pytest.skip("the device is a GPU")
    assert device.device_description()["vector_set"] == host.cpu_vector_set()
    vector_set("avx512")
    wide = device.device_description()
    vector_set("avx2")
    narrow = device.device_description()
    assert wide["device"] == narrow["device"] and wide != narrow


ONEDNN_RULE = [
    ({}, "fpu avx2 fma", False), ({}, "avx512f avx512_vnni", True), ({}, "avx512f avx512_bf16", True),
    ({}, "avx2 avx_vnni", True), ({}, "amx_tile avx512f", True), ({}, "avx512f", False),
    ({"TF_ENABLE_ONEDNN_OPTS": "1"}, "avx2", True), ({"TF_ENABLE_ONEDNN_OPTS": "TRUE"}, "avx2", True),
    ({"TF_ENABLE_ONEDNN_OPTS": "0"}, "avx512_vnni", False),
    ({"TF_ENABLE_ONEDNN_OPTS": "False"}, "amx_tile", False),
    ({"TF_ENABLE_ONEDNN_OPTS": "yes"}, "avx512_vnni", True), ({"TF_ENABLE_ONEDNN_OPTS": ""}, "avx2", False)]


@pytest.mark.parametrize("environ, flags, on", ONEDNN_RULE)
def test_onednn_is_predicted_as_tensorflow_decides_it(environ, flags, on):
    """A value TensorFlow cannot read ("yes", "") leaves its default, the CPU's neural-network flags."""
    assert host.onednn_default(flags.split(), environ, "Linux", "x86_64") is on


def test_onednn_is_not_predicted_where_the_rule_is_unknown():
    assert host.onednn_default([], {}, "Darwin", "x86_64") is None
    assert host.onednn_default(["asimd"], {"TF_ENABLE_ONEDNN_OPTS": "1"}, "Linux", "aarch64") is None


def test_the_host_is_described_as_the_backend_describes_it():
    """The power table a comparison reads is picked from ``host.cpu_host_fields`` (no backend import):
    it must name the device exactly as the backend's own description does, in each oneDNN state."""
    backend = keras.backend.backend()
    fields = host.cpu_host_fields(backend)
    if fields is None:
        pytest.skip("a GPU device is present, or TensorFlow's oneDNN rule is unknown here")
    described = device.device_description(backend)
    assert fields == {name: described[name] for name in fields}
    assert set(fields) == {"device", "vector_set", *(["onednn"] if backend == "tensorflow" else [])}


def test_onednn_left_to_its_default_is_predicted(tmp_path):
    """``make test`` sets TF_ENABLE_ONEDNN_OPTS; a user's shell may not: TensorFlow's own default here."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("oneDNN is TensorFlow's")
    code = ("from harness.host import onednn_default; from harness.device import onednn_enabled; "
            "print(onednn_default(), onednn_enabled())")
    environ = {name: value for name, value in os.environ.items() if name != host.ONEDNN_VARIABLE}
    output = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True,
                            check=True, cwd=ROOT).stdout.split()
    if output[0] == "None":
        pytest.skip("TensorFlow's oneDNN rule is not known on this system")
    assert output[0] == output[1]


def test_an_unknown_backend_is_named():
    with pytest.raises(ValueError, match="backend must be one of"):
        host.cpu_host_fields("mxnet")
