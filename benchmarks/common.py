"""What every suite shares: profiles, device detection, a synchronising timer, the skip rule, the
fit cases built from the registry and the shared workload, and the Benchmark base.

The profile is chosen by the environment variable ``MRH_BENCH_PROFILE`` (quick, regular, full;
regular by default). It is read when the suites are imported, so asv's discovery and its runs see
the same parameters.
"""

import functools
import os
import statistics
import time
from dataclasses import dataclass

import keras

import harness.workload
from harness.registry import implementation_names, load_implementation
from harness.workload import NNPDF_CLIPNORM, FitWorkload, make_optimizer

PROFILE_VARIABLE = "MRH_BENCH_PROFILE"
DEFAULT_PROFILE = "regular"
GPU_REPLICAS = 100
CLIPNORMS = {"off": None, "nnpdf": NNPDF_CLIPNORM}
LAYER_CLASSES = {"reference": "PerReplicaDense", "multidense": "MultiDense"}


@dataclass(frozen=True)
class Profile:
    """How much a run measures: parameter grids and asv sampling attributes."""

    name: str
    replicas: tuple  # train step
    secondary_replicas: tuple  # network forward, layers, build
    first_step_replicas: tuple
    peakmem_replicas: tuple
    sweep_replicas: tuple
    gpu_sweep_extra: tuple  # added to the sweep where a GPU is present
    clipnorms: tuple
    repeat: object  # asv ``repeat``: an int or (min, max, max_seconds)
    first_step_repeat: int
    rounds: int
    sweep_steps: int  # train steps timed per point of the sweep
    timeout: float


PROFILES = {
    "quick": Profile("quick", replicas=(1, 10), secondary_replicas=(1, 10), first_step_replicas=(1, 10),
                     peakmem_replicas=(1,),
                     sweep_replicas=(1, 2, 5, 10), gpu_sweep_extra=(), clipnorms=("off",),
                     repeat=(6, 10, 2.0), first_step_repeat=1, rounds=1, sweep_steps=5, timeout=120),
    "regular": Profile("regular", replicas=(1, 10, 100), secondary_replicas=(1, 100),
                       first_step_replicas=(100,), peakmem_replicas=(10,),
                       sweep_replicas=(1, 2, 5, 10, 20),
                       gpu_sweep_extra=(), clipnorms=("off",), repeat=(6, 12, 2.0),
                       first_step_repeat=1, rounds=1, sweep_steps=10, timeout=300),
    "full": Profile("full", replicas=(1, 10, 100), secondary_replicas=(1, 10, 100),
                    first_step_replicas=(1, 10, 100),
                    peakmem_replicas=(1, 10, 100), sweep_replicas=(1, 2, 5, 10, 20, 50, 100, 200),
                    gpu_sweep_extra=(500, 1000), clipnorms=("off", "nnpdf"), repeat=(10, 50, 20.0),
                    first_step_repeat=3, rounds=2, sweep_steps=20, timeout=3600),
}


def active_profile(environ=None):
    """The profile named by ``MRH_BENCH_PROFILE`` (regular when unset)."""
    environ = os.environ if environ is None else environ
    name = environ.get(PROFILE_VARIABLE, "") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r} is not one of {sorted(PROFILES)}")
    return PROFILES[name]


PROFILE = active_profile()


# -- device ------------------------------------------------------------------------------------


@functools.cache
def gpu_available(backend=None):
    """True when the Keras backend (the active one by default) sees a GPU."""
    backend = backend or keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def skip_without_gpu(function):
    """asv skip decorator: without a GPU the benchmark is skipped at discovery, so no process is
    spawned for it (``require_gpu`` in setup still skips it wherever the decorator is bypassed)."""
    if gpu_available():
        return function
    try:
        from asv_runner.benchmarks.mark import skip_benchmark
    except ImportError:  # outside asv
        return function
    return skip_benchmark(function)


def require_gpu():
    """The skip rule: raise NotImplementedError (asv and tests/perf skip on it) without a GPU."""
    if not gpu_available():
        raise NotImplementedError(f"no GPU visible to the {keras.backend.backend()} backend")


def synchronize(result=None, backend=None):
    """Wait until the device has finished the work behind ``result`` (JAX) or all queued work."""
    backend = backend or keras.backend.backend()
    if backend == "jax":
        import jax

        leaves = jax.tree_util.tree_leaves(result)
        jax.block_until_ready([leaf for leaf in leaves if hasattr(leaf, "block_until_ready")])
    elif backend == "tensorflow" and gpu_available(backend):
        import tensorflow as tf

        tf.test.experimental.sync_devices()
    elif backend == "torch" and gpu_available(backend):
        import torch

        torch.cuda.synchronize()
    return result


def timed(function, *args, clock=time.perf_counter, sync=synchronize):
    """``(seconds, result)`` of ``function(*args)``; the device is synchronised before the clock stops."""
    start = clock()
    result = sync(function(*args))
    return clock() - start, result


# -- fit cases ---------------------------------------------------------------------------------


def replica_seeds(replicas):
    """Spaced seeds: seed + layer never collides between replicas."""
    return [7 + 10 * replica for replica in range(replicas)]


def build_network(implementation, replicas):
    return load_implementation(implementation).build_network(replica_seeds(replicas))


def layer_class(implementation):
    """The implementation's layer-level class; NotImplementedError (a skip) when it has none."""
    name = LAYER_CLASSES.get(implementation)
    layer = getattr(load_implementation(implementation), name or "", None)
    if layer is None:
        raise NotImplementedError(f"implementation {implementation!r} has no known layer class")
    return layer


@dataclass
class FitCase:
    """A compiled fit model with its inputs: ``step()`` is one ``train_on_batch``."""

    model: keras.Model
    xgrid: object
    pseudodata: object

    def step(self):
        return self.model.train_on_batch(self.xgrid, self.pseudodata)


@functools.cache
def warm_process(implementation):
    """Run one R = 1 fit step once per process, so that a first-step timing does not also pay the
    backend's one-off start-up (thread pools, first graph optimisation), the same for every model."""
    synchronize(new_fit_case(implementation, 1).step())


def new_fit_case(implementation, replicas, clipnorm="off"):
    """A freshly built, compiled, untraced fit model (the Keras session is cleared first)."""
    if clipnorm not in CLIPNORMS:
        raise ValueError(f"clipnorm must be one of {sorted(CLIPNORMS)}, got {clipnorm!r}")
    keras.backend.clear_session()
    workload = FitWorkload(replicas)
    optimizer = fit_optimizer(implementation, CLIPNORMS[clipnorm])
    model = workload.fit_model(build_network(implementation, replicas), optimizer)
    return FitCase(model, workload.xgrid, workload.pseudodata())


def fit_optimizer(implementation, clipnorm):
    """The implementation's own optimizer where the harness knows of one (its
    ``implementation_optimizer``), else the workload's Nadam: asv also times older commits."""
    own_optimizer = getattr(harness.workload, "implementation_optimizer", None)
    if own_optimizer is None:
        return make_optimizer(clipnorm)
    return own_optimizer(load_implementation(implementation), clipnorm=clipnorm)


def warmed(case, steps=2):
    """``case`` after ``steps`` calls: traced, so that nothing retraces while timed."""
    for _ in range(steps):
        synchronize(case.step())
    return case


@functools.lru_cache(maxsize=1)
def warm_fit_case(implementation, replicas, clipnorm="off"):
    """A traced fit model, kept for the process: asv re-runs setup before each sample, the
    trace is paid once. Shapes never change, so nothing retraces while timed."""
    return warmed(new_fit_case(implementation, replicas, clipnorm))


def step_medians(implementations, replicas, steps, clipnorm="off"):
    """``{implementation: median seconds}`` of the train step at ``replicas``, timed interleaved
    (one step of each implementation in turn) so that load on the machine hits all alike."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    cases = {name: warmed(new_fit_case(name, replicas, clipnorm)) for name in implementations}
    samples = {name: [] for name in cases}
    for _ in range(steps):
        for name, case in cases.items():
            samples[name].append(timed(case.step)[0])
    return {name: statistics.median(seconds) for name, seconds in samples.items()}


def first_step_seconds(implementation, replicas):
    """The first train step (trace + step) of a fresh model, in a process already warmed up."""
    warm_process(implementation)
    return timed(new_fit_case(implementation, replicas).step)[0]


@dataclass
class CallCase:
    """A warmed, compiled call: ``step()`` runs it once more with the same shapes."""

    function: object
    args: tuple

    def step(self):
        return self.function(*self.args)


@functools.lru_cache(maxsize=1)
def warm_forward_case(implementation, replicas):
    """The network's compiled forward pass (``predict_on_batch``) on the x-grid, traced."""
    keras.backend.clear_session()
    network = build_network(implementation, replicas)
    case = CallCase(network.predict_on_batch, (FitWorkload(replicas).xgrid,))
    synchronize(case.step())
    return case


HIDDEN_LAYER = (25, 20)  # the middle layer of 2-25-20-8: (input features, units)


@functools.lru_cache(maxsize=1)
def warm_layer_case(implementation, replicas, backward):
    """The hidden layer (25 -> 20, tanh) alone, compiled: forward (``predict_on_batch``), or
    forward + backward (``train_on_batch`` on a squared loss, with one plain SGD update)."""
    keras.backend.clear_session()
    features, units = HIDDEN_LAYER
    layer = layer_class(implementation)(units, replica_seeds(replicas), base_seed=1, activation="tanh")
    n_points = FitWorkload(replicas).n_points
    inputs = keras.Input((replicas, n_points, features), batch_size=1)
    model = keras.Model(inputs, layer(inputs))
    x = keras.random.normal((1, replicas, n_points, features), seed=1)
    if backward:
        model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mean_squared_error")
        case = CallCase(model.train_on_batch, (x, keras.ops.zeros((1, replicas, n_points, units))))
    else:
        case = CallCase(model.predict_on_batch, (x,))
    synchronize(case.step())
    return case


def fitted_cost_models(replicas, steps, implementations=None):
    """``{implementation: CostModel}`` fitted to the median train step at each replica count."""
    from harness.cost_model import fit_cost_model

    implementations = list(implementations or implementation_names())
    medians = [step_medians(implementations, count, steps) for count in replicas]
    return {
        name: fit_cost_model(replicas, [at_count[name] for at_count in medians])
        for name in implementations
    }


# -- the asv base ------------------------------------------------------------------------------


class Benchmark:
    """Sampling attributes from the profile. Warm-up is done explicitly in setup, so asv's own
    warm-up is off; ``number = 1`` so every sample is one call (asv re-runs setup per sample)."""

    number = 1
    warmup_time = 0.0
    repeat = PROFILE.repeat
    rounds = PROFILE.rounds
    timeout = PROFILE.timeout
    param_names = ["implementation", "replicas"]

