"""The NNPDF-like fit step, defined once for benchmarks, validation and tests.

An x-grid of N points (x log-spaced in [1e-6, 1], features (x, log x)) feeds the network, whose
(R, N, 8) output is convolved with a fixed, seeded, block-sparse linear "FK table" into ~2000 data
points: the grid is split into datasets that each own N / n_datasets x-points, as real FK tables do.
Each replica fits its own Gaussian pseudo-data; the loss is the chi2 summed over replicas.
Data and FK rows are whitened by the experimental sigma, so chi2 = mean of squared residuals.
"""

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np

from harness.arguments import check_int
from harness.nnpdf import LEARNING_RATE

FLAVOURS = 8


def x_grid(n_points=1500):
    """A ``(1, N, 2)`` float32 array of (x, log x), x log-spaced in [1e-6, 1]."""
    x = np.logspace(-6.0, 0.0, check_int(n_points, "n_points", minimum=1))
    return np.stack([x, np.log(x)], axis=-1)[None].astype("float32")


@keras.saving.register_keras_serializable(package="harness")
class FKConvolution(keras.layers.Layer):
    """Fixed linear map ``(b, R, N, 8) -> (b, R, ndata)``: dataset k sees only its own x-points."""

    def __init__(self, fk_table, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.fk_table = np.asarray(fk_table, dtype="float32")
        self.n_datasets, self.data_per_dataset, self.points_per_dataset, _ = self.fk_table.shape

    def build(self, input_shape):
        self.fk = self.add_weight(name="fk", shape=self.fk_table.shape, trainable=False,
                                  initializer=keras.initializers.Constant(self.fk_table))

    def call(self, pdf):
        replicas = pdf.shape[1]
        blocks = keras.ops.reshape(
            pdf, (-1, replicas, self.n_datasets, self.points_per_dataset, FLAVOURS)
        )
        data = keras.ops.einsum("brkpf,kdpf->brkd", blocks, self.fk)
        return keras.ops.reshape(data, (-1, replicas, self.n_datasets * self.data_per_dataset))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.n_datasets * self.data_per_dataset)

    def get_config(self):
        return {**super().get_config(), "fk_table": self.fk_table.tolist()}


def chi2_per_replica(y_true, y_pred):
    """``(batch, R)``: each replica's chi2 per data point (whitened residuals)."""
    return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)


def chi2_loss(y_true, y_pred):
    """The fit loss: chi2 summed over replicas, so each replica's gradient is its own chi2's."""
    return keras.ops.sum(chi2_per_replica(y_true, y_pred), axis=-1)


def make_optimizer(clipnorm=None, learning_rate=LEARNING_RATE):
    """The default optimizer: Nadam as in NNPDF4.0, with an optional per-variable clipnorm."""
    return keras.optimizers.Nadam(learning_rate=learning_rate, clipnorm=clipnorm)


def implementation_optimizer(implementation=None, clipnorm=None, learning_rate=LEARNING_RATE):
    """``implementation.make_optimizer`` when the implementation provides one, else ``make_optimizer``."""
    factory = getattr(implementation, "make_optimizer", None) or make_optimizer
    return factory(clipnorm=clipnorm, learning_rate=learning_rate)


@dataclass(frozen=True)
class FitWorkload:
    """Grid, FK table and per-replica pseudo-data of one NNPDF-like fit with ``replicas`` replicas."""

    replicas: int
    n_points: int = 1500
    n_datasets: int = 30
    data_per_dataset: int = 67
    seed: int = 20240601
    noise: float = 0.05

    def __post_init__(self):
        check_int(self.replicas, "replicas", minimum=1)
        check_int(self.n_points, "n_points", minimum=1)
        check_int(self.n_datasets, "n_datasets", minimum=1)
        if self.n_points % self.n_datasets:
            raise ValueError(
                f"n_points ({self.n_points}) must be a multiple of n_datasets ({self.n_datasets})"
            )

    @property
    def n_data(self):
        return self.n_datasets * self.data_per_dataset

    @cached_property
    def xgrid(self):
        return x_grid(self.n_points)

    @cached_property
    def _tables(self):
        rng = np.random.default_rng(self.seed)
        points = self.n_points // self.n_datasets
        fk = rng.uniform(0.0, 1.0, (self.n_datasets, self.data_per_dataset, points, FLAVOURS))
        fk /= points * FLAVOURS
        x = self.xgrid[0, :, 0].reshape(self.n_datasets, points)
        strength = 1.0 + np.arange(FLAVOURS) / FLAVOURS
        truth = strength * (np.sqrt(x) * (1.0 - x) ** 3 + 0.1)[..., None]  # (k, p, f)
        central = np.einsum("kdpf,kpf->kd", fk, truth).reshape(-1)
        sigma = self.noise * np.abs(central) + 1e-3 * np.abs(central).mean()
        whitened_fk = fk / sigma.reshape(self.n_datasets, self.data_per_dataset, 1, 1)
        return whitened_fk.astype("float32"), (central / sigma).astype("float32")

    @property
    def fk_table(self):
        """``(n_datasets, data_per_dataset, points_per_dataset, 8)``, whitened by sigma."""
        return self._tables[0]

    @property
    def central_data(self):
        """``(ndata,)`` the whitened central values."""
        return self._tables[1]

    def predictions(self, pdf):
        """``(R, ndata)``: the whitened data each replica's ``(R, N, 8)`` PDF predicts (numpy FK
        convolution, the same map as FKConvolution); ``central_data`` is the truth's prediction."""
        pdf = np.asarray(pdf, dtype="float64")
        if pdf.ndim != 3 or pdf.shape[1:] != (self.n_points, FLAVOURS):
            raise ValueError(f"pdf must have shape (replicas, {self.n_points}, {FLAVOURS}), got {pdf.shape}")
        blocks = pdf.reshape(len(pdf), self.n_datasets, -1, FLAVOURS)
        return np.einsum("rkpf,kdpf->rkd", blocks, self.fk_table).reshape(len(pdf), self.n_data)

    def pseudodata(self, replica_shift=None):
        """``(1, R, ndata)``: central data plus one unit-Gaussian fluctuation per replica.

        ``replica_shift`` maps a replica index to an extra offset added to its pseudo-data
        (used to perturb one replica and check the others do not move).
        """
        data = np.stack([
            self.central_data
            + np.random.default_rng([self.seed, replica]).standard_normal(self.n_data)
            for replica in range(self.replicas)
        ]).astype("float32")
        for replica, shift in (replica_shift or {}).items():
            data[check_int(replica, "replica_shift key")] += np.float32(shift)
        return data[None]

    def fit_model(self, network, optimizer=None, implementation=None, clipnorm=None, loss=chi2_loss):
        """``network`` followed by the FK convolution, compiled with ``loss`` (the chi2 by default).

        Without ``optimizer``, the optimizer is ``implementation_optimizer(implementation, clipnorm)``:
        the implementation's own ``make_optimizer`` if it has one, else the default Nadam.
        """
        outputs = FKConvolution(self.fk_table, name="fk_convolution")(network.outputs[0])
        model = keras.Model(network.input, outputs, name=f"fit_{network.name}")
        model.compile(optimizer=optimizer or implementation_optimizer(implementation, clipnorm),
                      loss=loss)
        return model
