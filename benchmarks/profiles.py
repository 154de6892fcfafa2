"""Benchmark profiles: how much a run measures, chosen by ``MRH_BENCH_PROFILE`` (quick, regular,
full; regular by default). Read when the suites are imported, so asv's discovery and its runs see
the same parameters."""

import os
from dataclasses import dataclass

from harness.nnpdf import NNPDF_CLIPNORM

PROFILE_VARIABLE = "MRH_BENCH_PROFILE"
DEFAULT_PROFILE = "regular"
GPU_REPLICAS = 100
CLIPNORMS = {"off": None, "nnpdf": NNPDF_CLIPNORM}
# The fused layer's lowerings, an asv parameter of the train-step, layer and GPU suites: "auto" is what
# users get (measured per machine); the others are pinned (multidense_impl.lowerings). The reference
# runs at "auto" only; "single" only at R = 1.
LOWERINGS = ("auto", "per_replica", "replica_leading", "broadcast", "single")


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
    whole_fit_replicas: tuple  # whole fit on the CPU (bench_whole_fit.WholeFit)
    whole_fit_steps: int  # fit steps K of a whole fit (early stopping off)
    whole_fit_repeat: int  # whole fits (samples) per parameter set, each in full


PROFILES = {
    "quick": Profile("quick", replicas=(1, 10), secondary_replicas=(1, 10), first_step_replicas=(1, 10),
                     peakmem_replicas=(1,),
                     sweep_replicas=(1, 2, 5, 10), gpu_sweep_extra=(), clipnorms=("off",),
                     repeat=(6, 10, 2.0), first_step_repeat=1, rounds=1, sweep_steps=5, timeout=120,
                     whole_fit_replicas=(1,), whole_fit_steps=20, whole_fit_repeat=2),
    "regular": Profile("regular", replicas=(1, 10, 100), secondary_replicas=(1, 100),
                       first_step_replicas=(100,), peakmem_replicas=(10,),
                       sweep_replicas=(1, 2, 5, 10, 20),
                       gpu_sweep_extra=(), clipnorms=("off",), repeat=(6, 12, 2.0),
                       first_step_repeat=1, rounds=1, sweep_steps=10, timeout=300,
                       whole_fit_replicas=(1, 10), whole_fit_steps=100, whole_fit_repeat=3),
    "full": Profile("full", replicas=(1, 10, 100), secondary_replicas=(1, 10, 100),
                    first_step_replicas=(1, 10, 100),
                    peakmem_replicas=(1, 10, 100), sweep_replicas=(1, 2, 5, 10, 20, 50, 100, 200),
                    gpu_sweep_extra=(500, 1000), clipnorms=("off", "nnpdf"), repeat=(10, 50, 20.0),
                    first_step_repeat=3, rounds=2, sweep_steps=20, timeout=3600,
                    whole_fit_replicas=(1, 10, 100), whole_fit_steps=200, whole_fit_repeat=3),
}


def active_profile(environ=None):
    """The profile named by ``MRH_BENCH_PROFILE`` (regular when unset)."""
    environ = os.environ if environ is None else environ
    name = environ.get(PROFILE_VARIABLE, "") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r} is not one of {sorted(PROFILES)}")
    return PROFILES[name]


PROFILE = active_profile()
