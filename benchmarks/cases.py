"""The fit cases every suite times, built from the registry and the shared workload."""

import contextlib
import functools
import importlib
import random
import statistics
from dataclasses import dataclass

import keras

import harness.workload
from benchmarks.device import synchronize, timed
from benchmarks.profiles import CLIPNORMS
from harness.registry import REFERENCE, implementation_names, load_implementation
from harness.workload import FitWorkload, make_optimizer

LAYER_CLASSES = {"reference": "PerReplicaDense", "multidense": "MultiDense",
                 "benchmarks.twin_reference": "PerReplicaDense"}


LOWERING_SEPARATOR = "@"  # "multidense@broadcast": the implementation with one lowering pinned
AUTO = "auto"


def with_lowering(implementation, lowering):
    """The case name of ``implementation`` computing with ``lowering`` (``auto``: the name itself)."""
    return implementation if lowering in (None, AUTO) else f"{implementation}{LOWERING_SEPARATOR}{lowering}"


def split_lowering(implementation):
    """``(implementation, lowering or None)`` of a case name."""
    name, _, lowering = implementation.partition(LOWERING_SEPARATOR)
    return name, lowering or None


def lowered_case(implementation, replicas, lowering):
    """The case name for an asv parameter set; NotImplementedError (asv: skipped) where the lowering
    does not apply: the reference computes one way only, ``single`` computes one replica."""
    if lowering in (None, AUTO):
        return implementation
    if split_lowering(implementation)[0] == REFERENCE:
        raise NotImplementedError("the reference has no lowerings: measured at lowering=auto only")
    if lowering == "single" and replicas > 1:
        raise NotImplementedError("the single lowering computes one replica only")
    return with_lowering(implementation, lowering)


def implementation_module(implementation):
    """The module behind a case name (its lowering suffix removed)."""
    return load_implementation(split_lowering(implementation)[0])


@contextlib.contextmanager
def lowering_pinned(implementation):
    """Layers built inside compute with the case name's lowering. NotImplementedError (a skip) when the
    implementation has no ``lowerings.pinned`` (the reference; a commit from before lowerings) or
    the lowering does not apply."""
    name, lowering = split_lowering(implementation)
    if lowering is None:
        yield
        return
    module = implementation_module(implementation)
    try:
        pinned = importlib.import_module(f"{module.__name__}.lowerings").pinned
    except (ImportError, AttributeError):
        raise NotImplementedError(f"implementation {name!r} has no lowerings to pin") from None
    try:
        context = pinned(lowering)
        context.__enter__()
    except ValueError as error:
        raise NotImplementedError(f"{implementation}: {error}") from None
    try:
        yield
    finally:
        context.__exit__(None, None, None)


def replica_seeds(replicas):
    """Spaced seeds: seed + layer never collides between replicas."""
    return [7 + 10 * replica for replica in range(replicas)]


def build_network(implementation, replicas):
    """The implementation's network of ``replicas`` replicas (its lowering pinned, for ``name@lowering``)."""
    if replicas > 1 and split_lowering(implementation)[1] == "single":
        raise NotImplementedError(f"{implementation}: the single lowering computes one replica only")
    with lowering_pinned(implementation):
        return implementation_module(implementation).build_network(replica_seeds(replicas))


def layer_class(implementation):
    """The implementation's layer-level class; NotImplementedError (a skip) when it has none."""
    name = LAYER_CLASSES.get(split_lowering(implementation)[0])
    layer = getattr(implementation_module(implementation), name or "", None)
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
    return own_optimizer(implementation_module(implementation), clipnorm=clipnorm)


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
    (``timed_in_turn``) so that load on the machine hits all alike."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    cases = {name: warmed(new_fit_case(name, replicas, clipnorm)) for name in implementations}
    samples = timed_in_turn({name: case.step for name, case in cases.items()}, steps, random.Random(0))
    return {name: statistics.median(seconds) for name, seconds in samples.items()}


def timed_in_turn(functions, rounds, order_rng):
    """``{name: [seconds per call]}``: ``rounds`` rounds of one call of each of ``functions``, every
    round in a fresh random order from ``order_rng``. Call by call, so that load on the machine hits
    all alike (runs of one model's calls made the first-built of two identical TensorFlow models
    x1.09 slower), and in a fresh order, so that no call always has the same predecessor."""
    samples = {name: [] for name in functions}
    for _ in range(rounds):
        for name in order_rng.sample(list(functions), len(functions)):
            samples[name].append(timed(functions[name])[0])
    return samples


def first_step_seconds(implementation, replicas):
    """The first train step (trace + step) of a fresh model, in a process already warmed up."""
    warm_process(implementation)
    return timed(new_fit_case(implementation, replicas).step)[0]


def build_seconds(implementation, replicas):
    """One fresh build of the network (its weights created and on the device)."""
    keras.backend.clear_session()

    def build():
        return synchronize([weight.value for weight in build_network(implementation, replicas).weights])

    return timed(build)[0]


ONE_SHOT_SUITES = {"build": build_seconds, "first_step": first_step_seconds}


@dataclass
class OneShotCase:
    """A one-shot cell (a fresh build, a fresh first step): ``sample()`` times one new occurrence."""

    suite: str
    implementation: str
    replicas: int

    def sample(self):
        return ONE_SHOT_SUITES[self.suite](self.implementation, self.replicas)


def new_one_shot_case(suite, implementation, replicas):
    """A one-shot case whose one-off costs (imports, a lowering measured once, the backend's start-up)
    are paid here, untimed."""
    if suite not in ONE_SHOT_SUITES:
        raise ValueError(f"suite must be one of {sorted(ONE_SHOT_SUITES)}, got {suite!r}")
    case = OneShotCase(suite, implementation, replicas)
    warm_process(implementation)
    case.sample()
    return case


@dataclass
class CallCase:
    """A warmed, compiled call: ``step()`` runs it once more with the same shapes."""

    function: object
    args: tuple

    def step(self):
        return self.function(*self.args)


def new_forward_case(implementation, replicas):
    """The network's compiled forward pass (``predict_on_batch``) on the x-grid, traced."""
    keras.backend.clear_session()
    network = build_network(implementation, replicas)
    case = CallCase(network.predict_on_batch, (FitWorkload(replicas).xgrid,))
    synchronize(case.step())
    return case


warm_forward_case = functools.lru_cache(maxsize=1)(new_forward_case)


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
    with lowering_pinned(implementation):
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
