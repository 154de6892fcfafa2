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
