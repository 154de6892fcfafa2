"""harness.fit: early stopping keeps each replica's best weights; bad input names the parameter."""

import numpy as np
import pytest

from harness.fit import FitOptions, FitRun, Fitter, run_fit
from harness.registry import load_implementation
from harness.workload import FitWorkload
from tests.conftest import spaced_seeds

TINY = FitWorkload(2, n_points=30, n_datasets=3, data_per_dataset=8)


@pytest.mark.backend_matrix
def test_early_stopping_keeps_each_replicas_best_validation_weights():
    """Overfit on purpose (large learning rate): the result must be the minimum of the validation
    chi2 along the run, which is not the last step's, at the step where it was reached."""
    options = FitOptions(max_steps=60, patience=4, learning_rate=0.05)
    fitter = Fitter(load_implementation("multidense"), TINY, learning_rate=options.learning_rate)
    fitter._load(tuple(spaced_seeds(2)), options)
    run = FitRun(fitter, options)
    history = [fitter.evaluate()]
    while run.step < options.max_steps and not run.stopped():
        run.step_and_monitor()
        history.append(fitter.evaluate())
    validation = np.stack(history)[:, :, 1]  # (steps + 1, R)
    result = run.result()
    assert np.allclose(result.validation_chi2, validation.min(axis=0), rtol=1e-5)
    assert np.array_equal(result.stopping_step, validation.argmin(axis=0))
    assert np.any(validation[-1] > validation.min(axis=0) * 1.01)  # keeping the last weights would fail
    assert run.stopped() or result.steps_run == options.max_steps
    assert result.pdf.shape == (2, TINY.n_points, 8)


class _ConstantFitter:
    class workload:
        replicas = 2

    def evaluate(self):
        return np.zeros((2, 3))


def test_training_goes_on_until_every_replica_has_waited_patience_steps():
    run = FitRun(_ConstantFitter(), FitOptions(patience=3))
    run.best_step[:] = [5, 8]
    run.step = 10
    assert not run.stopped()  # replica 1 improved 2 steps ago
    run.step = 11
    assert run.stopped()
    assert not FitRun(_ConstantFitter(), FitOptions(patience=None)).stopped()


def test_without_patience_every_replica_runs_max_steps():
    result = run_fit(load_implementation("multidense"), TINY, spaced_seeds(2),
                     FitOptions(max_steps=5, patience=None))
    assert result.steps_run == 5 and result.seconds >= result.setup_seconds > 0


@pytest.mark.parametrize(("field", "value"), [
    ("validation_fraction", 0.0), ("validation_fraction", 1.0), ("validation_fraction", -0.2),
    ("patience", 0), ("max_steps", 0), ("dropout_rate", 1.0), ("clipnorm", 0.0), ("learning_rate", -1.0),
])
def test_bad_options_name_the_field(field, value):
    with pytest.raises((ValueError, TypeError), match=field):
        FitOptions(**{field: value})


@pytest.mark.parametrize(("seeds", "match"), [([], "replica_seeds"), ([7], r"replica_seeds.*\(2\)"),
                                              ([7, 17, 27], r"replica_seeds.*\(2\)")])
def test_bad_seed_counts_name_replica_seeds(seeds, match):
    with pytest.raises(ValueError, match=match):
        run_fit(load_implementation("multidense"), TINY, seeds)


def test_zero_replicas_names_replicas():
    with pytest.raises(ValueError, match="replicas"):
        FitWorkload(0)


def test_a_split_without_validation_points_names_the_fraction():
    with pytest.raises(ValueError, match="validation_fraction"):
        run_fit(load_implementation("multidense"), TINY, spaced_seeds(2),
                FitOptions(validation_fraction=0.01))
