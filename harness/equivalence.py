"""Print how far the fused network is from the reference on the current Keras backend.

    python -m harness.equivalence --replicas 100
"""

import argparse
import time

import keras
import numpy as np

from harness.arguments import check_int
from harness.gradients import replica_gradients
from harness.registry import REFERENCE, load_implementation
from harness.workload import x_grid


def sum_of_squares(outputs):
    return keras.ops.sum(keras.ops.square(outputs))


def max_relative_difference(candidate, reference):
    """max|candidate - reference| / max|reference| over matching arrays."""
    worst = max(float(np.max(np.abs(c - r))) for c, r in zip(candidate, reference, strict=True))
    return worst / max(float(np.max(np.abs(r))) for r in reference)


def measure(replicas, candidate="multidense", spacing=10):
    """Output and gradient distance of ``candidate`` from the reference at R = ``replicas``."""
    seeds = [spacing * r + 7 for r in range(check_int(replicas, "replicas", minimum=1))]
    grid = x_grid(1500)
    outputs, gradients = [], []
    for name in (REFERENCE, candidate):
        implementation = load_implementation(name)
        model = implementation.build_network(seeds)
        outputs.append(keras.ops.convert_to_numpy(model(grid)))
        arranged = replica_gradients(model, implementation, grid, sum_of_squares)
        gradients.append([array for layer in arranged for pair in layer for array in pair])
    return {
        "backend": keras.backend.backend(),
        "replicas": replicas,
        "output_max_rel_diff": max_relative_difference([outputs[1]], [outputs[0]]),
        "gradient_max_rel_diff": max_relative_difference(gradients[1], gradients[0]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--candidate", default="multidense")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = measure(args.replicas, args.candidate)
    print(f"backend={result['backend']} replicas={result['replicas']} "
          f"output max|diff|/max|ref|={result['output_max_rel_diff']:.3e} "
          f"gradient max|diff|/max|ref|={result['gradient_max_rel_diff']:.3e} "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
