"""Fused against reference in seconds: ``pytest tests/perf --benchmark-only`` (one group per
suite and replica count). Same cases, timers and registry as the asv suites in benchmarks/."""

import pytest

from benchmarks.cases import new_fit_case, warm_fit_case, warm_forward_case, warm_layer_case
from benchmarks.device import synchronize
from benchmarks.profiles import PROFILE
from harness.registry import implementation_names

implementations = pytest.mark.parametrize("implementation", implementation_names())
replica_counts = pytest.mark.parametrize("replicas", PROFILE.replicas)
secondary_replica_counts = pytest.mark.parametrize("replicas", PROFILE.secondary_replicas)


def run_warm(benchmark, group, case):
    benchmark.group = group
    benchmark(lambda: synchronize(case.step()))


@implementations
@replica_counts
def test_train_step(benchmark, implementation, replicas):
    run_warm(benchmark, f"train step R={replicas}", warm_fit_case(implementation, replicas))


@implementations
@secondary_replica_counts
def test_network_forward(benchmark, implementation, replicas):
    run_warm(benchmark, f"network forward R={replicas}", warm_forward_case(implementation, replicas))


@implementations
@secondary_replica_counts
def test_layer_forward_backward(benchmark, implementation, replicas):
    case = warm_layer_case(implementation, replicas, backward=True)
    run_warm(benchmark, f"layer forward+backward R={replicas}", case)


@implementations
@pytest.mark.parametrize("replicas", PROFILE.first_step_replicas)
def test_first_step(benchmark, implementation, replicas):
    """A fresh model per round: only its first train_on_batch (trace + step) is timed."""
    benchmark.group = f"first step R={replicas}"
    benchmark.pedantic(
        lambda case: synchronize(case.step()),
        setup=lambda: ((new_fit_case(implementation, replicas),), {}),
        rounds=PROFILE.first_step_repeat,
        iterations=1,
    )
