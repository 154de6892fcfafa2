"""The floor of the train step on this machine: the step's own GEMMs (forward and backward) timed with
numpy/BLAS, plus the element-wise memory traffic of its activations at the bandwidth numpy reaches.

``fraction of floor = measured step / floor``: 1 would be a step that does nothing but its GEMMs at
BLAS speed and one streaming pass per element-wise op. ``python -m benchmarks.floor --help``.

The GEMMs of one step of the 2-25-20-8 network at R replicas, N points, FK tables of K datasets with
D data and P points each (``(batch) m x k @ k x n``; dW of a layer is ``x^T g``, dX is ``g W^T``):

* first layer: its input has no replica axis, one plain ``(N, 2) @ (2, R*25)``; backward dW only;
* hidden and last layer: ``(R) (N, 25) @ (25, 20)``, ``(R) (N, 20) @ (20, 8)``, backward dW and dX;
* FK convolution: ``(K) (R, P*8) @ (P*8, D)`` and its input gradient ``(K) (R, D) @ (D, P*8)``.

Element-wise traffic (float32, each pass streams its tensors once): a tanh layer of S = R*N*units
outputs moves 5 S (forward bias + activation: read z, write a; backward derivative: read a and g,
write g), the linear last layer 3 S (bias add: read, write; bias gradient: read g).
"""

import argparse
import inspect
import statistics
import time
from dataclasses import dataclass

import numpy as np

from harness.workload import FitWorkload
from multidense_impl.network import build_network

BYTES_PER_FLOAT = 4


def network_nodes():
    """``(input features, *units)`` of the benchmarked network: the builder's defaults."""
    parameters = inspect.signature(build_network).parameters
    return (parameters["input_features"].default, *parameters["nodes"].default)


@dataclass(frozen=True)
class Gemm:
    """``batch`` products of an (m, k) by a (k, n) matrix; ``transposed_a``: A is stored (k, m)."""

    name: str
    batch: int
    m: int
    k: int
    n: int
    transposed_a: bool = False

    @property
    def flops(self):
        return 2 * self.batch * self.m * self.k * self.n

    @property
    def operand_bytes(self):
        """Bytes of A, B and C, each streamed once."""
        return BYTES_PER_FLOAT * self.batch * (self.m * self.k + self.k * self.n + self.m * self.n)


def step_gemms(replicas, workload=None, nodes=None):
    """The GEMMs of one train step (forward, then backward) at ``replicas``."""
    workload = workload or FitWorkload(replicas)
    if workload.replicas != replicas:
        raise ValueError(f"workload has {workload.replicas} replicas, replicas is {replicas}")
    nodes = nodes or network_nodes()
    r, n_points = replicas, workload.n_points
    fk_points = (workload.n_points // workload.n_datasets) * nodes[-1]
    k, d = workload.n_datasets, workload.data_per_dataset
    gemms = [Gemm("layer 0 forward", 1, n_points, nodes[0], r * nodes[1])]
    gemms += [Gemm(f"layer {i} forward", r, n_points, nodes[i], nodes[i + 1])
              for i in range(1, len(nodes) - 1)]
    gemms += [Gemm("fk forward", k, r, fk_points, d), Gemm("fk backward dX", k, r, d, fk_points)]
    for i in range(len(nodes) - 2, 0, -1):
        gemms += [Gemm(f"layer {i} backward dW", r, nodes[i], n_points, nodes[i + 1], transposed_a=True),
                  Gemm(f"layer {i} backward dX", r, n_points, nodes[i + 1], nodes[i])]
    gemms.append(Gemm("layer 0 backward dW", 1, nodes[0], n_points, r * nodes[1], transposed_a=True))
    return gemms


def activation_traffic_bytes(replicas, n_points=None, nodes=None, activations=("tanh", "tanh", "linear")):
    """Bytes the element-wise passes of one step stream (see the module docstring)."""
    n_points = n_points or FitWorkload(replicas).n_points
    nodes = nodes or network_nodes()
    if len(activations) != len(nodes) - 1:
        raise ValueError(f"activations must have one entry per layer ({len(nodes) - 1}), got {activations}")
    passes = {"tanh": 5, "linear": 3}
    total = 0
    for units, activation in zip(nodes[1:], activations, strict=True):
        if activation not in passes:
            raise ValueError(f"activations: no traffic count for {activation!r}; known: {sorted(passes)}")
        total += passes[activation] * replicas * n_points * units
    return total * BYTES_PER_FLOAT


def floor_seconds(gemm_seconds, traffic_bytes, bandwidth):
    """The floor of one step: its GEMM time plus its element-wise traffic at ``bandwidth`` (bytes/s)."""
    if bandwidth <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth}")
    if gemm_seconds < 0 or traffic_bytes < 0:
        raise ValueError(f"gemm_seconds and traffic_bytes must be >= 0, got {gemm_seconds}, {traffic_bytes}")
    return gemm_seconds + traffic_bytes / bandwidth


def roofline_seconds(flops, operand_bytes, traffic_bytes, peak_flops, bandwidth):
    """A looser bound than the floor: the step's flops at the best GEMM rate this machine reaches (a
    large square GEMM), or its bytes (GEMM operands once, element-wise traffic) at ``bandwidth``,
    whichever takes longer."""
    if peak_flops <= 0 or bandwidth <= 0:
        raise ValueError(f"peak_flops and bandwidth must be positive, got {peak_flops}, {bandwidth}")
    return max(flops / peak_flops, (operand_bytes + traffic_bytes) / bandwidth)


def peak_gemm_flops(size=1024, repeats=5, clock=time.perf_counter):
    """The best flop rate of a ``size`` square float32 GEMM in numpy (the fastest of ``repeats``)."""
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        np.matmul(a, a, out=out)
        best = min(best, clock() - start)
    return 2 * size**3 / best


def fraction_of_floor(step_seconds, floor):
    """How many floors a measured step takes (1.0: at the floor)."""
    if floor <= 0:
        raise ValueError(f"floor must be positive, got {floor}")
    return step_seconds / floor


class FloorStep:
    """Runs the step's GEMMs with numpy on preallocated float32 operands and one streaming triad, so
    that the floor can be timed interleaved with the steps it is compared with."""

    def __init__(self, replicas, seed=0):
        self.replicas = replicas
        self.gemms = step_gemms(replicas)
        self.traffic_bytes = activation_traffic_bytes(replicas)
        rng = np.random.default_rng(seed)
        self._operands = [self._operands_of(gemm, rng) for gemm in self.gemms]
        largest = max(gemm.batch * gemm.m * gemm.n for gemm in self.gemms)
        self._stream = [rng.standard_normal(largest, dtype=np.float32) for _ in range(3)]

    @staticmethod
    def _operands_of(gemm, rng):
        a_shape = (gemm.batch, gemm.k, gemm.m) if gemm.transposed_a else (gemm.batch, gemm.m, gemm.k)
        a = rng.standard_normal(a_shape, dtype=np.float32)
        a = a.transpose(0, 2, 1) if gemm.transposed_a else a
        b = rng.standard_normal((gemm.batch, gemm.k, gemm.n), dtype=np.float32)
        return a, b, np.empty((gemm.batch, gemm.m, gemm.n), dtype=np.float32)

    def gemm_times(self, clock=time.perf_counter):
        """Seconds of each GEMM, run once each."""
        seconds = []
        for a, b, out in self._operands:
            start = clock()
            np.matmul(a, b, out=out)
            seconds.append(clock() - start)
        return seconds

    def bandwidth(self, clock=time.perf_counter):
        """Bytes per second of one ``c = a + b`` over the largest GEMM output's size (3 streams)."""
        a, b, c = self._stream
        start = clock()
        np.add(a, b, out=c)
        return 3 * c.nbytes / (clock() - start)

    def sample(self):
        """``(gemm seconds, bandwidth)`` of one run."""
        return sum(self.gemm_times()), self.bandwidth()

    def seconds(self):
        """One floor sample: this run's GEMM time plus the traffic at this run's bandwidth."""
        gemm, bandwidth = self.sample()
        return floor_seconds(gemm, self.traffic_bytes, bandwidth)


def measure(replicas, repeats):
    """Per-GEMM median seconds, median bandwidth and the floor from ``repeats`` runs."""
    step = FloorStep(replicas)
    step.sample()  # first touch of every buffer
    gemm_runs = []
    bandwidths = []
    for _ in range(repeats):
        gemm_runs.append(step.gemm_times())
        bandwidths.append(step.bandwidth())
    per_gemm = [statistics.median(run[i] for run in gemm_runs) for i in range(len(step.gemms))]
    bandwidth = statistics.median(bandwidths)
    flops = sum(g.flops for g in step.gemms)
    peak = peak_gemm_flops()
    return {
        "replicas": replicas,
        "gemms": [{"name": g.name, "shape": f"({g.batch}) {g.m}x{g.k} @ {g.k}x{g.n}", "flops": g.flops,
                   "seconds": s} for g, s in zip(step.gemms, per_gemm, strict=True)],
        "gemm_seconds": sum(per_gemm),
        "gflop": flops / 1e9,
        "traffic_bytes": step.traffic_bytes,
        "bandwidth": bandwidth,
        "floor_seconds": floor_seconds(sum(per_gemm), step.traffic_bytes, bandwidth),
        "peak_flops": peak,
        "roofline_seconds": roofline_seconds(flops, sum(g.operand_bytes for g in step.gemms),
                                             step.traffic_bytes, peak, bandwidth),
    }


def format_floor(result):
    lines = [f"R = {result['replicas']}: {result['gflop']:.3f} GFLOP in {result['gemm_seconds'] * 1e3:.2f} ms"
             " "
             f"({result['gflop'] / result['gemm_seconds']:.1f} GFLOP/s), traffic "
             f"{result['traffic_bytes'] / 1e6:.1f} MB at {result['bandwidth'] / 1e9:.1f} GB/s: "
             f"floor {result['floor_seconds'] * 1e3:.2f} ms; roofline (peak {result['peak_flops'] / 1e9:.1f}"
             f" GFLOP/s) {result['roofline_seconds'] * 1e3:.2f} ms"]
    for gemm in result["gemms"]:
        lines.append(f"    {gemm['name']:<22}{gemm['shape']:<28}{gemm['seconds'] * 1e3:>8.3f} ms"
                     f"{gemm['flops'] / gemm['seconds'] / 1e9:>8.1f} GFLOP/s")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=30, help="runs of the GEMMs per R (medians)")
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {arguments.repeats}")
    for replicas in arguments.replicas:
        print(format_floor(measure(replicas, arguments.repeats)), flush=True)


if __name__ == "__main__":
    main()
