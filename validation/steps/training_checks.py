"""Training trajectories and replica isolation on the shared NNPDF-like fit (harness.workload).

Reference and candidate start from the same weights and train with ``train_on_batch`` (Nadam, each
with its own ``make_optimizer``). Training: the candidate must stay within k times the largest distance
that rounding-level changes carry the reference (trained in float64; from weights and pseudo-data
nudged by one ulp), over the steps before the reference's own fit turns unstable. Isolation: the candidate
is retrained with one replica's pseudo-data shifted, and every other replica must stay within k times
what the same shift does to the reference's other replicas (nothing: the floor is float32's epsilon).
"""

import functools
import warnings
from dataclasses import dataclass

import keras
import numpy as np

from harness.arguments import SeedCollisionWarning
from harness.equivalence import max_relative_difference
from validation.candidates import reference, replica_seeds
from validation.results import CheckResult
from validation.steps.equivalence_checks import FLOAT32_RESOLUTION
from validation.steps.precision import floatx

# A floor over a hundred times float32's resolution (relative chi2) and ten times its own level so far
# means the reference's fit amplifies rounding: the records from there on are shown but not judged
# (``unstable_from``).
AMPLIFIED = 100 * FLOAT32_RESOLUTION
GROWTH = 10.0


@dataclass
class Trajectory:
    steps: list
    losses: np.ndarray  # (records, replicas) chi2 per data point
    weights: list  # [replica][layer] -> (kernel, bias), float64


class Trainer:
    """One compiled fit model, reset to new weights and a fresh optimizer state for every run."""

    def __init__(self, implementation, workload, clipnorm, dtype):
        self.implementation, self.workload, self.dtype = implementation, workload, dtype
        with floatx(dtype), warnings.catch_warnings():
            warnings.simplefilter("ignore", SeedCollisionWarning)
            self.network = implementation.build_network(replica_seeds(workload.replicas, 0))
            self.model = workload.fit_model(self.network, implementation=implementation,
                                            clipnorm=clipnorm)
        self.model.optimizer.build(self.model.trainable_variables)
        self.optimizer_start = [keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables]

    def run(self, weights, data, steps, record_every):
        self.implementation.set_replica_weights(self.network, weights)
        for variable, start in zip(self.model.optimizer.variables, self.optimizer_start, strict=True):
            variable.assign(start)
        grid, data = self.workload.xgrid.astype(self.dtype), data.astype(self.dtype)
        recorded, losses = [], []
        for step in range(steps + 1):
            if step % record_every == 0 or step == steps:
                prediction = keras.ops.convert_to_numpy(self.model(grid)).astype("float64")
                losses.append(np.mean(np.square(prediction - data), axis=-1)[0])
                recorded.append(step)
            if step < steps:
                self.model.train_on_batch(grid, data)
        final = [[tuple(np.asarray(a, "float64") for a in pair) for pair in stack]
                 for stack in self.implementation.get_replica_weights(self.network)]
        return Trajectory(recorded, np.stack(losses), final)


@functools.lru_cache(maxsize=32)
def trainer(implementation, workload, clipnorm, dtype="float32"):
    return Trainer(implementation, workload, clipnorm, dtype)


@dataclass
class TrainingSample:
    clipnorm: float | None
    perturbed_replica: int
    runs: dict  # reference_runs' keys, "candidate" and "perturbed" -> Trajectory
    parameters: dict


@functools.lru_cache(maxsize=4)
def reference_runs(settings, run_seed, clipnorm):
    """The reference in float32, in float64, with one replica's pseudo-data shifted, and
    ``settings.floor_copies`` times from weights and pseudo-data nudged by one ulp
    (``reference_nudged_<i>``)."""
    workload, truth = settings.workload, reference()
    start = truth.get_replica_weights(truth.build_network(replica_seeds(workload.replicas, run_seed)))
    plan = {"reference": ("float32", start, _pseudodata(settings, "reference")),
            "float64": ("float64", start, _pseudodata(settings, "float64")),
            "reference_perturbed": ("float32", start, _pseudodata(settings, "reference_perturbed"))}
    for copy in range(settings.floor_copies):
        rng = np.random.default_rng([run_seed, copy])
        nudged = [[tuple(nudge(a, rng) for a in pair) for pair in stack] for stack in start]
        plan[f"reference_nudged_{copy}"] = ("float32", nudged,
                                            nudge(_pseudodata(settings, "reference"), rng))
    runs = {key: trainer(truth, workload, clipnorm, dtype).run(
                weights, data, settings.training_steps, settings.record_every)
            for key, (dtype, weights, data) in plan.items()}
    return start, runs


def nudge(array, rng):
    """``array`` with every element moved by one ulp, up or down at random."""
    towards = np.where(rng.random(array.shape) < 0.5, np.inf, -np.inf).astype(array.dtype)
    return np.nextafter(array, towards)


def _pseudodata(settings, run):
    shift = {settings.perturbed_replica % settings.training_replicas: settings.perturbation}
    return settings.workload.pseudodata(replica_shift=shift if run.endswith("perturbed") else None)


def draw(candidate, settings, run_seed, clipnorm):
    """Train the reference (float32, float64, perturbed) and the candidate (unperturbed, perturbed)."""
    start, runs = reference_runs(settings, run_seed, clipnorm)
    runs = dict(runs)
    for key in ("candidate", "perturbed"):
        runs[key] = trainer(candidate, settings.workload, clipnorm).run(
            start, _pseudodata(settings, key), settings.training_steps, settings.record_every)
    workload = settings.workload
    parameters = {"replicas": workload.replicas, "points": workload.n_points,
                  "data_points": workload.n_data, "steps": settings.training_steps,
                  "optimizer": "Nadam (each implementation's make_optimizer)",
                  "learning_rate": keras.ops.convert_to_numpy(
                      trainer(candidate, workload, clipnorm).model.optimizer.learning_rate).item(),
                  "clipnorm": clipnorm,
                  "perturbed_replica": settings.perturbed_replica % workload.replicas,
                  "perturbation_sigma": settings.perturbation}
    return TrainingSample(clipnorm, parameters["perturbed_replica"], runs, parameters)


def loss_distance(a, b, replicas=slice(None)):
    """Per record, max over ``replicas`` of |loss_a - loss_b| / |loss_b|."""
    return np.max(np.abs(a.losses[:, replicas] - b.losses[:, replicas])
                  / np.abs(b.losses[:, replicas]), axis=1)


def weight_distance(a, b, replicas=None):
    replicas = range(len(b.weights)) if replicas is None else replicas
    flat = [[array for r in replicas for pair in t.weights[r] for array in pair] for t in (a, b)]
    return max_relative_difference(*flat)


NUDGED_LABEL = "reference vs reference from weights and pseudo-data nudged by 1 ulp (largest copy)"


def config_name(clipnorm):
    return "no_clipnorm" if clipnorm is None else "clipnorm"


def check_names(clipnorm):
    return tuple(f"{check.__name__}.{config_name(clipnorm)}" for check in CHECKS)


def unstable_from(floor_curves, amplified=AMPLIFIED, growth=GROWTH):
    """Index of the first record (from 3 on) where the floor curves' largest value exceeds both
    ``amplified`` and ``growth`` times its median over the records before (from record 1), or None.

    Rounding-level changes stay near their level while the fit is stable (near float32's resolution
    without clipnorm, about 1e-5 with NNPDF's). Through a training instability (a loss spike: Nadam
    overshoots and recovers) they grow about twofold per step, and how far depends on the exact
    rounding of every step, so no floor bounds them there.
    """
    floor = np.max(floor_curves, axis=0)
    for record in range(3, len(floor)):
        if floor[record] > max(amplified, growth * np.median(floor[1:record])):
            return record
    return None


def _trajectory_check(name, sample, settings, moved, floors, replicas):
    """Distance of the ``moved`` (label, run, fixed run) over ``replicas`` against k times the floor.

    The distance is the larger of the per-replica chi2 and the final-weight relative differences,
    each divided by its floor: the largest distance of the ``floors`` pairs (at least float32's eps).
    ``floors`` maps a label to a list of pairs (its curve and distances: the largest of theirs). The
    chi2 is judged on the records before ``unstable_from`` says the floors blew up.
    """
    others = None if isinstance(replicas, slice) else replicas
    pairs = {moved[0]: [moved[1:]], **floors}
    curves = {label: np.max([loss_distance(*pair, replicas) for pair in group], axis=0)
              for label, group in pairs.items()}
    unstable = unstable_from([curves[label] for label in floors])
    judged = slice(0, unstable)
    distances = {label: {"loss": float(curves[label][judged].max()),
                         "weights": max(weight_distance(*pair, others) for pair in group)}
                 for label, group in pairs.items()}
    floor = {measure: max(max(distances[label][measure] for label in floors), FLOAT32_RESOLUTION)
             for measure in ("loss", "weights")}
    ratios = {measure: distances[moved[0]][measure] / floor[measure] for measure in floor}
    unstable_step = None if unstable is None else moved[2].steps[unstable]
    curve = {"x_label": "training step", "y_label": "max relative difference of per-replica chi2",
             "steps": list(moved[2].steps), "unstable_from_step": unstable_step,
             "series": {label: values.tolist() for label, values in curves.items()}}
    return CheckResult(name, name.split(".")[0], sample.parameters, "distance / noise floor",
                       max(ratios.values()), settings.k_training, "<=", None,
                       {"distances": distances[moved[0]], "noise_floors": floor,
                        "noise_floor_runs": {label: distances[label] for label in floors},
                        "ratios": ratios, "k": settings.k_training,
                        "unstable_from_step": unstable_step,
                        "judged_steps": list(moved[2].steps[judged]),
                        "final_loss_candidate": sample.runs["candidate"].losses[-1].tolist(),
                        "final_loss_reference": sample.runs["reference"].losses[-1].tolist()},
                       curve=curve)


def training(sample, settings):
    """Candidate vs reference per-replica chi2 along training, and final weights.

    Floor: how far rounding-level changes carry the reference: the reference trained in float64, and
    in float32 from weights and pseudo-data nudged by one ulp (the largest of its copies), each
    against the float32 reference.
    """
    runs = sample.runs
    nudged = [(runs[key], runs["reference"]) for key in runs if key.startswith("reference_nudged_")]
    floors = {"reference float32 vs float64": [(runs["float64"], runs["reference"])]}
    if nudged:
        floors[NUDGED_LABEL] = nudged
    return _trajectory_check(f"training.{config_name(sample.clipnorm)}", sample, settings,
                             ("candidate vs reference", runs["candidate"], runs["reference"]), floors,
                             slice(None))


def isolation(sample, settings):
    """Perturbing one replica's pseudo-data must leave every other replica's trajectory unchanged.

    Floor: the same perturbation applied to the reference (whose replicas are separate variables).
    """
    runs = sample.runs
    others = [r for r in range(len(runs["candidate"].weights)) if r != sample.perturbed_replica]
    moved = ("candidate, other replicas: perturbed vs unperturbed", runs["perturbed"], runs["candidate"])
    floors = {"reference, other replicas: perturbed vs unperturbed": [(runs["reference_perturbed"],
                                                                       runs["reference"])]}
    return _trajectory_check(f"isolation.{config_name(sample.clipnorm)}", sample, settings, moved,
                             floors, others)


CHECKS = (training, isolation)
