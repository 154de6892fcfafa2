"""The floor arithmetic (benchmarks.floor)."""

import pytest

from benchmarks.floor import (
    FloorStep,
    activation_traffic_bytes,
    floor_seconds,
    fraction_of_floor,
    roofline_seconds,
    step_gemms,
)


@pytest.mark.parametrize("replicas", [1, 10, 100])
def test_step_flops_are_the_networks_and_the_fk_convolutions(replicas):
    n, r, k, d, p = 1500, replicas, 30, 67, 50 * 8
    network_forward = 2 * n * r * (2 * 25 + 25 * 20 + 20 * 8)
    network_backward = 2 * network_forward - 2 * n * r * 2 * 25  # dW and dX, no dX for the input
    fk = 2 * (2 * k * r * p * d)  # forward and its input gradient
    assert sum(g.flops for g in step_gemms(replicas)) == network_forward + network_backward + fk


def test_step_gemms_refuse_a_workload_of_other_replicas():
    from harness.workload import FitWorkload

    with pytest.raises(ValueError, match="replicas"):
        step_gemms(10, workload=FitWorkload(3))


def test_traffic_counts_five_passes_per_tanh_layer_and_three_for_the_linear_one():
    assert activation_traffic_bytes(2, n_points=10) == 4 * 2 * 10 * (5 * 25 + 5 * 20 + 3 * 8)


def test_traffic_names_an_unknown_activation():
    with pytest.raises(ValueError, match="activations"):
        activation_traffic_bytes(1, n_points=10, activations=("relu", "tanh", "linear"))


def test_floor_adds_the_traffic_at_the_bandwidth():
    assert floor_seconds(0.010, 2e9, 1e11) == pytest.approx(0.030)
    assert fraction_of_floor(0.060, 0.030) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="bandwidth"):
        floor_seconds(0.01, 1e6, 0.0)
    with pytest.raises(ValueError, match="floor"):
        fraction_of_floor(1.0, 0.0)


def test_roofline_is_the_slower_of_flops_and_bytes():
    assert roofline_seconds(1e9, 1e8, 1e8, peak_flops=1e11, bandwidth=1e10) == pytest.approx(0.02)
    assert roofline_seconds(4e9, 1e8, 1e8, peak_flops=1e11, bandwidth=1e10) == pytest.approx(0.04)


def test_floor_step_runs_every_gemm():
    step = FloorStep(1)
    assert len(step.gemm_times()) == len(step.gemms)
    assert step.seconds() > 0
