"""Forward/gradient equivalence, training and isolation checks: pass on the fix, fail on the defects."""

import dataclasses

import pytest

from harness.nnpdf import NNPDF_CLIPNORM
from validation.candidates import load_candidate
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
                                    "reference vs reference from weights nudged by 1 ulp"}
    assert all(len(values) == len(curve["steps"]) for values in curve["series"].values())
    assert max(curve["series"]["reference float32 vs float64"]) > 0
