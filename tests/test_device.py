"""The device's float32 contraction precision and the tolerances that follow it."""

import keras
import pytest

from harness import device

pytestmark = pytest.mark.backend_matrix


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
    assert device.cpu_vector_set(flags.split()) == widest


def test_a_cpu_is_described_with_its_vector_set(vector_set):
    """A virtual machine may name CPUs with and without AVX-512 alike ("AMD EPYC"): the set tells them
    apart, so a choice measured on one is not taken for the other's."""
    if device.gpu_available():
        pytest.skip("the device is a GPU")
    assert device.device_description()["vector_set"] == device.cpu_vector_set()
    vector_set("avx512")
    wide = device.device_description()
    vector_set("avx2")
    narrow = device.device_description()
    assert wide["device"] == narrow["device"] and wide != narrow
