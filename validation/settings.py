"""Sizes, thresholds and the noise-floor factor k of each mode (quick, full, power; fit: also standard)."""

import dataclasses
from dataclasses import asdict, dataclass

from harness.nnpdf import NNPDF_CLIPNORM
from harness.workload import FitWorkload

ALPHA = 1e-3  # significance of every hypothesis test (after Bonferroni within the check)
# The fit verdict runs FIT_CHECKS tests (6 checks x 2 designs): each at 1 % / FIT_CHECKS, so a correct
# candidate fails a fit with probability <= 1 % (Bonferroni; measured by --fit-power).
FIT_FAMILY_ALPHA = 0.01
FIT_CHECKS = 12
FIT_ALPHA = FIT_FAMILY_ALPHA / FIT_CHECKS
K_EQUIVALENCE = 10.0  # fused-vs-reference distance <= k * reference float32-vs-float64 distance
K_TRAINING = 10.0  # same k for training trajectories and replica isolation
SCALE_TOLERANCE = 1e-5  # relative deviation of kept dropout units from 1 / (1 - rate)


@dataclass(frozen=True)
class Settings:
    """What one validation run draws and trains."""

    mode: str
    init_replicas: int = 10
    dropout_replicas: int = 8
    dropout_rate: float = 0.25
    dropout_points: int = 40
    dropout_units: int = 25
    dropout_passes: int = 10
    equivalence_replicas: int = 10
    equivalence_points: int = 1500
    training_replicas: int = 4
    training_points: int = 150
    training_datasets: int = 5
    training_data_per_dataset: int = 20
    training_steps: int = 200
    record_every: int = 10
    perturbed_replica: int = 1
    perturbation: float = 3.0  # added to every pseudo-data point of the perturbed replica (in sigma)
    floor_copies: int = 2  # reference runs from nudged weights and pseudo-data behind the training floor
    alpha: float = ALPHA
    k_equivalence: float = K_EQUIVALENCE
    k_training: float = K_TRAINING

    @property
    def workload(self):
        return FitWorkload(self.training_replicas, n_points=self.training_points,
                           n_datasets=self.training_datasets,
                           data_per_dataset=self.training_data_per_dataset)

    def as_json(self):
        return asdict(self)


QUICK = Settings(mode="quick")
FULL = Settings(mode="full", init_replicas=100, dropout_replicas=20, dropout_passes=20,
                equivalence_replicas=100, training_replicas=10, training_points=1500,
                training_datasets=30, training_data_per_dataset=67, training_steps=2000,
                record_every=50)
# Power: hundreds of runs in under five minutes, so the training checks use 2 replicas, a 60-point grid
# and 10 steps (stated in the power table).
POWER = Settings(mode="power", init_replicas=4, dropout_replicas=6, dropout_passes=4,
                 equivalence_replicas=2, equivalence_points=100, training_replicas=2,
                 training_points=60, training_datasets=3, training_data_per_dataset=10,
                 training_steps=10, record_every=10, perturbed_replica=1)

MODES = {"quick": QUICK, "full": FULL, "power": POWER}


@dataclass(frozen=True)
class FitSettings:
    """Sizes of one fit-level validation (``python -m validation --fit``): R replicas per fit."""

    mode: str
    replicas: int = 20
    points: int = 150
    datasets: int = 5
    data_per_dataset: int = 20
    max_steps: int = 300
    patience: int = 30
    learning_rate: float = 1e-2  # above NNPDF's 2.6e-3, so that early stopping ends within max_steps
    dropout_rate: float = 0.2  # the independent-seeds design; the matched design has dropout off
    clipnorm: float | None = None
    permutations: int = 1999
    alpha: float = FIT_ALPHA

    @property
    def workload(self):
        return FitWorkload(self.replicas, n_points=self.points, n_datasets=self.datasets,
                           data_per_dataset=self.data_per_dataset)

    def as_json(self):
        return asdict(self)


FIT_QUICK = FitSettings(mode="quick")
FIT_FULL = FitSettings(mode="full", replicas=100, points=1500, datasets=30, data_per_dataset=67,
                       max_steps=2000, patience=100, clipnorm=NNPDF_CLIPNORM)
# The default of ``--fit``, make report and the nightly: the cheapest size at which the whole fit check
# detected clipnorm coupling in >= 95 % of repetitions with <= 1 % false alarms, measured by
# ``python -m validation.fit.size`` (docs/fit-size.json), with NNPDF's clipnorm in both designs.
FIT_STANDARD = FitSettings(mode="standard", replicas=20, points=150, max_steps=150, patience=30,
                           clipnorm=NNPDF_CLIPNORM)
# Fit-level power (--fit-power): the default check's false alarms and planted-defect detections, at its size.
FIT_POWER = dataclasses.replace(FIT_STANDARD, mode="power")
FIT_MODES = {"quick": FIT_QUICK, "standard": FIT_STANDARD, "full": FIT_FULL, "power": FIT_POWER}
