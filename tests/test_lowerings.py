"""The lowering MultiDense computes with: requests and pinning, the measured choice (``auto``), its
no-flapping rule, the per-machine cache, and the check that a lowering computes the einsum."""

import json
import math

import keras
import numpy as np
import pytest

import multidense_impl
from harness import autotune
from harness.device import gpu_available
from harness.timing_rule import MIN_EFFECT
from multidense_impl import MultiDense, lowerings
from tests.conftest import spaced_seeds

pytestmark = pytest.mark.backend_matrix


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty tuning cache (file and memory), and the default request (auto)."""
    path = tmp_path / "tuning.json"
    monkeypatch.setenv(autotune.CACHE_VARIABLE, str(path))
    monkeypatch.delenv(lowerings.LOWERING_VARIABLE, raising=False)
    autotune.forget_memory()
    yield path
    autotune.forget_memory()


def test_a_request_names_its_parameter_when_unknown(monkeypatch):
    with pytest.raises(ValueError, match="lowering must be one of"):
        MultiDense(4, [1, 2], lowering="einsum")
    monkeypatch.setenv(lowerings.LOWERING_VARIABLE, "fastest")
    with pytest.raises(ValueError, match=lowerings.LOWERING_VARIABLE):
        lowerings.requested_lowering()


def test_auto_is_the_default(monkeypatch):
    monkeypatch.delenv(lowerings.LOWERING_VARIABLE, raising=False)
    assert lowerings.requested_lowering() == lowerings.AUTO
    assert lowerings.requested_lowering(environ={}) == lowerings.AUTO


def test_argument_beats_pinned_beats_environment(monkeypatch):
    monkeypatch.setenv(lowerings.LOWERING_VARIABLE, "broadcast")
    assert lowerings.requested_lowering() == "broadcast"
    with lowerings.pinned("per_replica"):
        assert lowerings.requested_lowering() == "per_replica"
        assert lowerings.requested_lowering("replica_leading") == "replica_leading"
    monkeypatch.delenv(lowerings.LOWERING_VARIABLE)
    assert lowerings.requested_lowering() == lowerings.AUTO


def test_single_is_refused_for_several_replicas():
    layer = MultiDense(4, spaced_seeds(3), lowering="single")
    with pytest.raises(ValueError, match="one replica only"):
        layer.build((1, 3, 10, 5))


@pytest.mark.parametrize("lowering", [*lowerings.candidates(3), lowerings.PRIOR])
def test_a_pinned_network_builds_without_measuring(cache, lowering):
    with lowerings.pinned(lowering):
        network = multidense_impl.build_network(spaced_seeds(3))
    used = set(lowerings.lowerings_of(network).values())
    assert used <= set(lowerings.candidates(3)) and len(lowerings.lowerings_of(network)) == 3
    if lowering != lowerings.PRIOR:
        assert used == {lowering}
    assert not cache.exists()


def test_build_network_takes_one_lowering_per_layer(cache):
    mix = ("broadcast", "per_replica", "replica_leading")
    network = multidense_impl.build_network(spaced_seeds(3), lowering=mix)
    assert tuple(lowerings.lowerings_of(network).values()) == mix and not cache.exists()
    with pytest.raises(ValueError, match="lowering must name one lowering or one per layer"):
        multidense_impl.build_network(spaced_seeds(3), lowering=mix[:2])
    with pytest.raises(ValueError, match="lowering must be one of"):
        multidense_impl.build_network(spaced_seeds(3), lowering=("broadcast", "fast", "broadcast"))


def test_prior_follows_the_backend_and_device():
    assert lowerings.prior_lowering(1, True, "jax", gpu=False) == "single"
    assert lowerings.prior_lowering(5, False, "tensorflow", gpu=False) == "per_replica"
    assert lowerings.prior_lowering(5, True, "tensorflow", gpu=True) == "broadcast"
    assert lowerings.prior_lowering(5, False, "tensorflow", gpu=True) == "replica_leading"
    assert lowerings.prior_lowering(5, True, "jax", gpu=False) == "replica_leading"
    assert lowerings.prior_lowering(5, True, "torch", gpu=False) == "broadcast"


def test_auto_measures_once_per_machine_and_shape_and_records_it(cache, capsys):
    seeds = spaced_seeds(2)
    network = multidense_impl.build_network(seeds, nodes=(6, 3), activations=("tanh", "linear"))
    chosen = lowerings.lowerings_of(network)
    assert set(chosen.values()) <= set(lowerings.candidates(2))
    entries = json.loads(cache.read_text())["entries"]
    assert len(entries) == 2  # the first and the hidden layer
    for entry in entries.values():
        assert entry["key"]["backend"] == keras.backend.backend()
        assert entry["key"]["replicas"] == "2-3" and entry["seconds"] > 0
        assert set(entry["median_seconds"]) == set(lowerings.candidates(2))
        if keras.backend.backend() == "tensorflow":
            assert entry["key"]["onednn"] in ("True", "False")
    assert capsys.readouterr().err.count("[autotune] tuned") == 2
    autotune.forget_memory()  # a new process: the file answers, nothing is measured again
    again = multidense_impl.build_network(spaced_seeds(3), nodes=(6, 3), activations=("tanh", "linear"))
    assert lowerings.lowerings_of(again) == chosen
    assert "[autotune] tuned" not in capsys.readouterr().err


def test_a_choice_is_keyed_by_the_cpus_vector_set(vector_set):
    """One model name, two vector sets (a VM's "AMD EPYC" with and without AVX-512): two cache keys."""
    from types import SimpleNamespace

    layer = SimpleNamespace(is_first_layer=True, replicas=10, input_features=2, units=25, use_bias=True)
    keys = {}
    for name in ("avx512", "avx2"):
        vector_set(name)
        keys[name] = lowerings.tuning_key(layer, 1024, 1)
    if gpu_available():
        assert keys["avx512"] == keys["avx2"]  # a GPU's kernels do not follow the host's vector set
    else:
        assert keys["avx512"]["vector_set"] == "avx512" and keys["avx512"] != keys["avx2"]


def fake_samples(ratios, blocks=12, noise=0.0, seed=0):
    """Block medians for a prior ``p`` and candidates ``ratios[name]`` times faster than it."""
    rng = np.random.default_rng(seed)
    base = 1e-3 * np.exp(rng.normal(0, 0.02, blocks))  # drift shared by the block
    samples = {"p": list(base * np.exp(rng.normal(0, noise, blocks)))}
    for name, ratio in ratios.items():
        samples[name] = list(base / ratio * np.exp(rng.normal(0, noise, blocks)))
    return samples


def test_the_prior_stays_unless_a_candidate_beats_it_by_the_margin():
    assert autotune.choose("p", fake_samples({"a": 1.3, "b": 1.5}, noise=0.01))[0] == "b"
    assert autotune.choose("p", fake_samples({"a": 1.02}, noise=0.001))[0] == "p"  # below the margin
    assert autotune.choose("p", fake_samples({"a": 0.7}, noise=0.01))[0] == "p"  # slower


def test_noise_alone_never_switches_the_choice():
    switched = sum(autotune.choose("p", fake_samples({"a": 1.0, "b": 1.0}, noise=0.05, seed=seed))[0] != "p"
                   for seed in range(200))
    assert switched <= 2  # the rule's 99 % interval and 5 % margin, over 200 noisy A/A tunings


def test_decided_asks_for_more_blocks_only_while_a_win_is_possible():
    decided = {"verdict_for_prior": "slower", "high": 2.0}
    ruled_out = {"verdict_for_prior": "no detectable change", "high": MIN_EFFECT * 0.99}
    open_question = {"verdict_for_prior": "no detectable change", "high": MIN_EFFECT * 1.2}
    assert autotune.decided({"a": decided, "b": ruled_out})
    assert not autotune.decided({"a": decided, "b": open_question})


def test_autotune_keeps_its_answer_and_never_overwrites_a_foreign_file(cache, monkeypatch):
    clock = iter(range(10**6))
    monkeypatch.setattr(autotune, "timed", lambda step: (step() * (1 + 1e-3 * (next(clock) % 3)), None))
    built = []

    def build():
        built.append(1)
        return {"p": lambda: 2e-3, "fast": lambda: 1e-3}

    key = {"shape": [1, 2]}
    assert autotune.autotune(key, "p", build, report=lambda message: None) == "fast"
    assert autotune.autotune(key, "p", build) == "fast" and len(built) == 1
    entry = autotune.read_cache(cache)[autotune.key_string(key)]
    assert entry["choice"] == "fast" and math.isclose(entry["comparisons"]["fast"]["prior_over_candidate"], 2,
                                                      rel_tol=0.01)
    cache.write_text("{not json")
    autotune.forget_memory()
    with pytest.raises(autotune.TuningCacheError, match=autotune.CACHE_VARIABLE):
        autotune.autotune({"other": 1}, "p", build)
    assert cache.read_text() == "{not json"


def test_a_lowering_that_miscomputes_is_not_a_candidate():
    reference = np.arange(12.0).reshape(3, 4)
    outputs = {"right": reference + 1e-7, "wrong": reference * 1.01, "nan": reference * np.nan,
               "shape": reference[:2]}
    assert lowerings.disagreeing(outputs, reference) == ["wrong", "nan", "shape"]


@pytest.mark.parametrize("is_first_layer", [True, False])
def test_the_einsum_reference_is_the_layer_at_every_lowering(is_first_layer):
    x = np.random.default_rng(0).normal(size=(2, 7, 5) if is_first_layer else (2, 3, 7, 5)).astype("float32")
    for lowering in lowerings.candidates(3):
        layer = MultiDense(4, spaced_seeds(3), is_first_layer=is_first_layer, activation="tanh",
                           bias_initializer="random_normal", lowering=lowering)
        outputs = keras.ops.convert_to_numpy(layer(x))
        tolerance = lowerings.agreement_tolerance(layer, x)  # what autotune allows on this device
        assert tolerance <= 0.05
        expected = lowerings.einsum_reference(layer, x)
        assert lowerings.disagreeing({lowering: outputs}, expected, tolerance) == []


def test_the_agreement_tolerance_follows_the_devices_own_matmul_precision(monkeypatch):
    x = np.random.default_rng(0).normal(size=(1, 7, 5)).astype("float32")
    layer = MultiDense(4, spaced_seeds(3), is_first_layer=True, lowering="broadcast")
    layer(x)
    if not gpu_available():  # float32 computed as float32: ~1e-7 (a GPU may run TF32)
        assert lowerings.agreement_tolerance(layer, x) == lowerings.AGREEMENT
    monkeypatch.setattr(lowerings, "contraction_error", lambda: 2e-3)  # the device's GEMMs in TF32
    assert lowerings.agreement_tolerance(layer, x) == pytest.approx(2e-2)
    monkeypatch.setattr(lowerings, "contraction_error", lambda: 0.0)
    matmul = keras.ops.matmul
    monkeypatch.setattr(keras.ops, "matmul", lambda a, b: matmul(a, b) * (1 + 1e-3))  # and the layer's own
    assert lowerings.agreement_tolerance(layer, x) == pytest.approx(1e-2, rel=0.01)
