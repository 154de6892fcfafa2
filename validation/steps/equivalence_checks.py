"""Forward and gradient equivalence, with a tolerance set by a measured noise floor.

The candidate, loaded with the reference's weights (random biases, so bias handling is exercised),
must be within k times the distance between the reference in float32 and in float64.
"""

import functools
from dataclasses import dataclass

import keras
import numpy as np

from harness.equivalence import max_relative_difference, sum_of_squares
from harness.gradients import replica_gradients
from harness.workload import x_grid
from validation.candidates import reference, replica_seeds
from validation.results import CheckResult
from validation.steps.precision import float64_twin

GROUP = "equivalence"
BIAS_SCALE = 0.1
FLOAT32_RESOLUTION = float(np.finfo("float32").eps)  # floor of the noise floor


@dataclass
class EquivalenceSample:
    replicas: int
    points: int
    outputs: dict  # "candidate", "reference", "float64" -> numpy
    gradients: dict  # same keys -> flat list of arrays

    @property
    def parameters(self):
        return {"replicas": self.replicas, "points": self.points, "loss": "sum of squared outputs",
                "weights": "reference draws, biases ~ N(0, 0.1^2)"}


def _evaluate(network, implementation, inputs):
    """Outputs and flat per-replica gradients of the sum of squared outputs, as float64."""
    outputs = keras.ops.convert_to_numpy(network(inputs)).astype("float64")
    arranged = replica_gradients(network, implementation, inputs, sum_of_squares)
    return outputs, [np.asarray(a, "float64") for layer in arranged for pair in layer for a in pair]


@functools.lru_cache(maxsize=4)
def _reference_side(settings, run_seed):
    """The weights (reference draws, random biases) and the reference's float32 and float64 results."""
    seeds = replica_seeds(settings.equivalence_replicas, run_seed)
    truth = reference()
    network = truth.build_network(seeds)
    rng = np.random.default_rng(run_seed)
    weights = [[(k, rng.normal(0.0, BIAS_SCALE, b.shape).astype(b.dtype)) for k, b in stack]
               for stack in truth.get_replica_weights(network)]
    truth.set_replica_weights(network, weights)
    grid = x_grid(settings.equivalence_points)
    twin = float64_twin(truth, weights, {"replica_seeds": seeds})
    return seeds, weights, {"reference": _evaluate(network, truth, grid),
                            "float64": _evaluate(twin, truth, grid.astype("float64"))}


def draw(candidate, settings, run_seed):
    seeds, weights, results = _reference_side(settings, run_seed)
    network = candidate.build_network(seeds)
    candidate.set_replica_weights(network, weights)
    results = {**results, "candidate": _evaluate(network, candidate, x_grid(settings.equivalence_points))}
    return EquivalenceSample(settings.equivalence_replicas, settings.equivalence_points,
                             {key: value[0] for key, value in results.items()},
                             {key: value[1] for key, value in results.items()})


def noise_floor_check(name, parameters, candidate_vs_reference, float32_vs_float64, k):
    """Pass when the candidate-vs-reference distance is <= k times the float32-vs-float64 one.

    The floor is at least float32's resolution, so an exactly reproducible reference does not
    demand an exact candidate.
    """
    floor = max(float32_vs_float64, FLOAT32_RESOLUTION)
    return CheckResult(name, name.split(".")[0], parameters, "distance / noise floor",
                       candidate_vs_reference / floor, k, "<=", None,
                       {"candidate_vs_reference": candidate_vs_reference,
                        "reference_float32_vs_float64": float32_vs_float64,
                        "noise_floor": floor, "k": k})


def forward(sample, settings):
    """max|out_candidate - out_reference| / max|out_reference| against the float64 noise floor."""
    distance = max_relative_difference([sample.outputs["candidate"]], [sample.outputs["reference"]])
    floor = max_relative_difference([sample.outputs["reference"]], [sample.outputs["float64"]])
    return noise_floor_check("equivalence.forward", sample.parameters, distance, floor,
                             settings.k_equivalence)


def gradients(sample, settings):
    """Per-replica gradients of every kernel and bias, same distance and noise floor."""
    distance = max_relative_difference(sample.gradients["candidate"], sample.gradients["reference"])
    floor = max_relative_difference(sample.gradients["reference"], sample.gradients["float64"])
    return noise_floor_check("equivalence.gradients", sample.parameters, distance, floor,
                             settings.k_equivalence)


CHECKS = (forward, gradients)
