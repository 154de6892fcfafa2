"""An NNPDF-style fit with per-replica early stopping, shared by every implementation.

Per replica: a seeded training/validation split of the data points (a mask in the loss, so shapes stay
fixed), training on the training chi2, the validation chi2 monitored after every step, and the weights
of its best validation step kept. As in n3fit, every replica trains until all have stopped (no
validation improvement for ``patience`` steps) or ``max_steps`` is reached; each keeps its own best.

The best weights stay on the device (``harness.best_weights``); the host sees only (R, 3) chi2s.
"""

import numbers
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from harness.arguments import check_dropout_rate, check_int, check_replica_seeds
from harness.best_weights import BestWeights, replica_owners
from harness.nnpdf import LEARNING_RATE
from harness.workload import implementation_optimizer

MONITORED = ("training", "validation", "central")  # the chi2 columns of the monitor model


@dataclass(frozen=True)
class FitOptions:
    """What one fit does; every field is checked on construction (errors name the field)."""

    max_steps: int = 1000
    patience: int | None = 100  # None: no early stopping, every replica runs max_steps
    validation_fraction: float = 0.25  # NNPDF: 75 % training / 25 % validation, per replica
    dropout_rate: float = 0.0
    clipnorm: float | None = None
    split_seed: int = 0  # seeds each replica's training/validation split
    data_seed: int | None = None  # None: workload.pseudodata(); else fluctuations seeded [seed, data_seed, r]
    learning_rate: float = LEARNING_RATE  # compiled in, like dropout_rate and clipnorm

    def __post_init__(self):
        check_int(self.max_steps, "max_steps", minimum=1)
        if self.patience is not None:
            check_int(self.patience, "patience", minimum=1)
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {fraction!r}")
        check_dropout_rate(self.dropout_rate)
        if self.clipnorm is not None and (isinstance(self.clipnorm, bool)
                                          or not isinstance(self.clipnorm, numbers.Real)
                                          or not self.clipnorm > 0):
            raise ValueError(f"clipnorm must be None or a number > 0, got {self.clipnorm!r}")
        check_int(self.split_seed, "split_seed")
        if self.data_seed is not None:
            check_int(self.data_seed, "data_seed")
        if isinstance(self.learning_rate, bool) or not isinstance(self.learning_rate, numbers.Real) \
                or not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be a number > 0, got {self.learning_rate!r}")


@dataclass
class FitResult:
    replicas: int
    steps_run: int  # steps actually taken (all replicas train until all stopped)
    stopping_step: np.ndarray  # (R,) each replica's best-validation step (0: the initial weights)
    training_chi2: np.ndarray  # (R,) at the best weights
    validation_chi2: np.ndarray  # (R,)
    central_chi2: np.ndarray  # (R,) against the noise-free central data
    pdf: np.ndarray  # (R, N, 8) network output on the x-grid at the best weights
    seconds: float  # wall time of run_fit (build + trace + steps)
    setup_seconds: float = 0.0  # build, compile and the first (tracing) step's evaluation
    loop_seconds: float = 0.0  # the training steps with their bookkeeping
    options: dict = field(default_factory=dict)


def run_fit(implementation, workload, replica_seeds, options=FitOptions()):
    """Build ``implementation.build_network(replica_seeds, dropout_rate=...)``, compile it on
    ``workload`` (harness.workload.FitWorkload) with the implementation's optimizer, train, and return
    a FitResult at each replica's best-validation weights."""
    start = time.perf_counter()
    check_fit_arguments(workload, replica_seeds, options)
    fitter = Fitter(implementation, workload, options.dropout_rate, options.clipnorm, replica_seeds,
                    options.learning_rate)
    return fitter.fit(replica_seeds, options, started=start)


def check_fit_arguments(workload, replica_seeds, options):
    """The seeds (one per workload replica) and options, checked before any backend work."""
    if not isinstance(options, FitOptions):
        raise TypeError(f"options must be a FitOptions, got {type(options).__name__}")
    return check_seeds(workload, replica_seeds)


def check_seeds(workload, replica_seeds):
    """``replica_seeds`` as a tuple: distinct non-negative ints, one per workload replica."""
    seeds = check_replica_seeds(replica_seeds)
    if len(seeds) != workload.replicas:
        raise ValueError(f"replica_seeds must hold one seed per workload replica ({workload.replicas}), "
                         f"got {len(seeds)}")
    return seeds


def validation_masks(workload, fraction, split_seed):
    """``(R, ndata)`` bool, True on validation points: per replica and dataset, round(fraction * n)
    points drawn with ``default_rng([split_seed, replica])`` (NNPDF splits each dataset)."""
    per_dataset = workload.data_per_dataset
    chosen = int(round(fraction * per_dataset))
    if not 0 < chosen < per_dataset:
        raise ValueError(f"validation_fraction {fraction} leaves {chosen} of {per_dataset} points per "
                         f"dataset for validation; it needs at least one training and one validation point")
    masks = np.zeros((workload.replicas, workload.n_datasets, per_dataset), bool)
    for replica in range(workload.replicas):
        rng = np.random.default_rng([split_seed, replica])
        for dataset in range(workload.n_datasets):
            masks[replica, dataset, rng.choice(per_dataset, chosen, replace=False)] = True
    return masks.reshape(workload.replicas, -1)


def fit_pseudodata(workload, data_seed):
    """``(1, R, ndata)``: the workload's pseudo-data, or fresh fluctuations when ``data_seed`` is set."""
    if data_seed is None:
        return workload.pseudodata()
    noise = np.stack([np.random.default_rng([workload.seed, data_seed, r]).standard_normal(workload.n_data)
                      for r in range(workload.replicas)])
    return (workload.central_data + noise).astype("float32")[None]


def masked_chi2(y_true, y_pred):
    """The training loss: ``y_true`` is ``[data, point weights]`` on the last axis (the weights, each
    replica's training mask over its count, are data, so one compiled step serves every split)."""
    data, weights = keras.ops.split(y_true, 2, axis=-1)
    return keras.ops.sum(weights * keras.ops.square(y_pred - data), axis=(-2, -1))


class MonitorChi2(keras.layers.Layer):
    """``(b, R, ndata) -> (b, R, 3)``: training, validation and central chi2 per replica.

    Targets and point weights ``(3, R, ndata)`` are non-trainable variables, loaded by ``load``.
    """

    def __init__(self, replicas, n_data, **kwargs):
        super().__init__(trainable=False, **kwargs)
        shape = (len(MONITORED), replicas, n_data)
        self.targets = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="targets")
        self.point_weights = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                             name="point_weights")

    def load(self, targets, point_weights):
        self.targets.assign(targets.astype("float32"))
        self.point_weights.assign(point_weights.astype("float32"))

    def call(self, predictions):
        residuals = keras.ops.square(keras.ops.expand_dims(predictions, 1) - self.targets)
        return keras.ops.moveaxis(keras.ops.sum(self.point_weights * residuals, axis=-1), 1, -1)


class Fitter:
    """The compiled models of one (implementation, workload, dropout rate, clipnorm), reusable for many
    fits: ``fit`` loads new initial weights, pseudo-data and split, and resets the optimizer."""

    def __init__(self, implementation, workload, dropout_rate=0.0, clipnorm=None, replica_seeds=None,
                 learning_rate=LEARNING_RATE):
        self.implementation, self.workload = implementation, workload
        self.compiled = (dropout_rate, clipnorm, learning_rate)
        self.dropout_rate, self.clipnorm = dropout_rate, clipnorm
        seeds = check_seeds(workload, range(7, 7 + 10 * workload.replicas, 10) if replica_seeds is None
                            else replica_seeds)
        check_dropout_rate(dropout_rate)
        self.network = implementation.build_network(list(seeds), dropout_rate=dropout_rate)
        self.built_with = tuple(seeds)
        optimizer = implementation_optimizer(implementation, clipnorm, learning_rate)
        self.model = workload.fit_model(self.network, optimizer=optimizer, loss=masked_chi2)
        self.monitor_layer = MonitorChi2(workload.replicas, workload.n_data)
        self.monitor = keras.Model(self.network.input, self.monitor_layer(self.model.outputs[0]))
        optimizer.build(self.model.trainable_variables)
        self.optimizer_start = [keras.ops.convert_to_numpy(v) for v in optimizer.variables]
        self.best_weights = BestWeights(self.network.trainable_variables,
                                        replica_owners(self.network, implementation))
        self.grid = workload.xgrid

    def fit(self, replica_seeds, options=FitOptions(), started=None):
        """One fit from ``replica_seeds``' initial weights; ``options`` must keep this fitter's dropout
        rate, clipnorm and learning rate."""
        started = time.perf_counter() if started is None else started
        seeds = check_fit_arguments(self.workload, replica_seeds, options)
        wanted = (options.dropout_rate, options.clipnorm, options.learning_rate)
        if wanted != self.compiled:
            raise ValueError(f"options: (dropout_rate, clipnorm, learning_rate) {wanted} differ from "
                             f"this fitter's {self.compiled} (they are compiled in)")
        self._load(seeds, options)
        run = FitRun(self, options)
        run.step_and_monitor()  # the first step traces the train and monitor functions
        setup = time.perf_counter() - started
        run.train()
        loop = time.perf_counter() - started - setup
        result = run.result()
        self.built_with = None  # the network now holds trained weights: the next fit reloads
        result.seconds = time.perf_counter() - started
        result.setup_seconds, result.loop_seconds = setup, loop
        return result

    def _load(self, seeds, options):
        if seeds != self.built_with:
            fresh = self.implementation.build_network(list(seeds), dropout_rate=self.dropout_rate)
            self.implementation.set_replica_weights(self.network,
                                                    self.implementation.get_replica_weights(fresh))
            self.built_with = seeds
        for variable, start in zip(self.model.optimizer.variables, self.optimizer_start, strict=True):
            variable.assign(start)
        validation = validation_masks(self.workload, options.validation_fraction, options.split_seed)
        training = ~validation
        self.point_weights = np.stack([training / training.sum(-1, keepdims=True),
                                       validation / validation.sum(-1, keepdims=True),
                                       np.full(training.shape, 1.0 / self.workload.n_data)])
        self.data = fit_pseudodata(self.workload, options.data_seed)
        self.monitor_layer.load(np.stack(np.broadcast_arrays(self.data[0], self.data[0],
                                                             self.workload.central_data)),
                                self.point_weights)
        self.targets = np.concatenate([self.data, self.point_weights[:1]], axis=-1).astype("float32")
        self.best_weights.reset()

    def evaluate(self):
        """``(R, 3)`` training, validation and central chi2 at the current weights (no dropout)."""
        return np.asarray(self.monitor.predict_on_batch(self.grid))[0].astype("float64")

    def train_step(self):
        self.model.train_on_batch(self.grid, self.targets)


class FitRun:
    """One fit's early-stopping state on a loaded Fitter."""

    def __init__(self, fitter, options):
        self.fitter, self.options = fitter, options
        self.step = 0
        self.chi2 = fitter.evaluate()  # (R, 3) at each replica's best weights
        self.best_step = np.zeros(fitter.workload.replicas, int)

    def step_and_monitor(self):
        """One training step, then the bookkeeping: returns the replicas whose validation improved."""
        self.fitter.train_step()
        self.step += 1
        chi2 = self.fitter.evaluate()
        improved = chi2[:, 1] < self.chi2[:, 1]
        if improved.any():
            self.fitter.best_weights.update(improved)
            self.chi2[improved] = chi2[improved]
            self.best_step[improved] = self.step
        return improved

    def stopped(self):
        patience = self.options.patience
        return patience is not None and bool(np.all(self.step - self.best_step >= patience))

    def train(self):
        while self.step < self.options.max_steps and not self.stopped():
            self.step_and_monitor()

    def result(self):
        fitter = self.fitter
        fitter.best_weights.restore()
        chi2 = fitter.evaluate()
        pdf = keras.ops.convert_to_numpy(fitter.network(fitter.grid, training=False))[0]
        return FitResult(replicas=fitter.workload.replicas, steps_run=self.step,
                         stopping_step=self.best_step.copy(), training_chi2=chi2[:, 0],
                         validation_chi2=chi2[:, 1], central_chi2=chi2[:, 2], pdf=pdf, seconds=0.0,
                         options=dict(vars(self.options)))
