"""Forward/gradient equivalence, training and isolation checks: pass on the fix, fail on the defects."""

import dataclasses

import numpy as np
import pytest

from harness.nnpdf import NNPDF_CLIPNORM
from multidense_impl.lowerings import lowerings_of
from validation.candidates import load_candidate, mixed_lowering_candidate
from validation.settings import QUICK
from validation.steps import equivalence_checks, training_checks

SMALL = dataclasses.replace(QUICK, mode="test", equivalence_replicas=4, equivalence_points=200,
                            training_replicas=3, training_points=60, training_datasets=3,
                            training_data_per_dataset=10, training_steps=40)


def _results(module, name, **kwargs):
    sample = module.draw(load_candidate(name), SMALL, 2, **kwargs)
    return {check.__name__: check(sample, SMALL) for check in module.CHECKS}


@pytest.mark.parametrize("name,passes", [
    pytest.param("multidense", True, marks=pytest.mark.backend_matrix),
    ("reference", True),
    ("validation.defects.mixing_einsum", False),
    pytest.param("validation.defects.shared_bias", False, marks=pytest.mark.backend_matrix)])
def test_forward_and_gradients_against_the_noise_floor(name, passes):
    results = _results(equivalence_checks, name)
    assert [r.passed for r in results.values()] == [passes] * 2
    assert all(r.details["noise_floor"] > 0 for r in results.values())


@pytest.mark.parametrize("clipnorm", [None, NNPDF_CLIPNORM])
def test_fused_layer_with_per_replica_clipping_trains_like_the_reference(clipnorm):
    results = _results(training_checks, "multidense", clipnorm=clipnorm)
    assert results["training"].passed and results["isolation"].passed
    assert results["isolation"].details["distances"]["loss"] == 0.0


def test_coupled_clipping_fails_training_and_isolation():
    results = _results(training_checks, "validation.defects.clipnorm_coupling", clipnorm=NNPDF_CLIPNORM)
    assert not results["training"].passed and not results["isolation"].passed


@pytest.mark.parametrize("defect", ["mixing_einsum", "shared_bias"])
def test_replica_mixing_fails_isolation(defect):
    results = _results(training_checks, f"validation.defects.{defect}", clipnorm=None)
    assert not results["isolation"].passed and not results["training"].passed


def test_training_curve_has_the_candidate_and_the_noise_floors():
    curve = _results(training_checks, "multidense", clipnorm=None)["training"].curve
    assert curve["steps"][0] == 0 and curve["steps"][-1] == SMALL.training_steps
    assert set(curve["series"]) == {"candidate vs reference", "reference float32 vs float64",
                                    training_checks.NUDGED_LABEL}
    assert all(len(values) == len(curve["steps"]) for values in curve["series"].values())
    assert max(curve["series"]["reference float32 vs float64"]) > 0


def test_the_floor_takes_every_nudged_copy_and_they_differ():
    _, runs = training_checks.reference_runs(SMALL, 2, None)
    copies = [runs[f"reference_nudged_{c}"] for c in range(SMALL.floor_copies)]
    assert len(copies) == SMALL.floor_copies >= 2
    assert not np.array_equal(copies[0].weights[0][0][0], copies[1].weights[0][0][0])


def test_unstable_from_is_the_first_record_where_the_floor_blows_up():
    quiet = np.array([1e-7, 1e-6, 2e-6, 1e-6, 1e-6, 2e-6])
    assert training_checks.unstable_from([quiet, quiet / 2]) is None
    spiking = quiet.copy()
    spiking[4:] = 1e-3
    assert training_checks.unstable_from([quiet, spiking]) == 4
    # a floor that sits high from the start (clipnorm's ~1e-5) is its level, not an instability
    assert training_checks.unstable_from([np.full(6, 1e-4)]) is None
    # tenfold growth that stays within a hundred ulps is rounding, not an instability
    assert training_checks.unstable_from([np.array([0, 1e-7, 1e-7, 1e-7, 1e-5, 1e-5])]) is None
    # records 0-2 are always judged: clipnorm's floor climbs from record 1 to its level by record 2
    assert training_checks.unstable_from([np.array([0, 1e-6, 1e-4, 1e-4, 1e-4])]) is None


def _synthetic_sample(candidate_error, floor_error, steps=(0, 10, 20, 30)):
    """A training sample of 2 replicas whose chi2 is 1 and whose runs differ by the given relative
    errors per record (the candidate's, and every floor run's)."""
    weights = [[(np.ones((2, 3)), np.zeros(3))] for _ in range(2)]

    def run(error):
        return training_checks.Trajectory(list(steps), 1.0 + np.outer(error, np.ones(2)), weights)

    floor_error = np.asarray(floor_error)
    runs = {"reference": run(np.zeros(len(steps))), "float64": run(floor_error),
            "reference_nudged_0": run(floor_error / 2), "candidate": run(np.asarray(candidate_error))}
    return training_checks.TrainingSample(None, 1, runs, {})


def test_training_check_judges_the_records_before_the_reference_turns_unstable():
    spike = [1e-6, 1e-6, 1e-6, 1e-2]  # the reference's own rounding runs blow up at step 30
    late = training_checks.training(_synthetic_sample([0, 1e-6, 1e-6, 5e-1], spike), SMALL)
    assert late.passed and late.details["unstable_from_step"] == 30
    assert late.details["judged_steps"] == [0, 10, 20]
    early = training_checks.training(_synthetic_sample([0, 1e-3, 1e-3, 5e-1], spike), SMALL)
    assert not early.passed and early.statistic > SMALL.k_training
    stable = training_checks.training(_synthetic_sample([0, 1e-6, 1e-6, 5e-1], [1e-6] * 4), SMALL)
    assert not stable.passed and stable.details["unstable_from_step"] is None


def test_a_correct_mix_of_lowerings_passes_the_quick_training_check():
    """Stop 65: with oneDNN on, the autotuner's (broadcast, broadcast, per_replica) at R = 4 met a loss
    spike at the quick fit's last record and failed training.no_clipnorm at 27x the floor."""
    candidate = mixed_lowering_candidate(("broadcast", "broadcast", "per_replica"))
    sample = training_checks.draw(candidate, QUICK, 0, None)
    network = training_checks.trainer(candidate, QUICK.workload, None).network
    assert tuple(lowerings_of(network).values()) == ("broadcast", "broadcast", "per_replica")
    result = training_checks.training(sample, QUICK)
    assert result.passed, result.details
