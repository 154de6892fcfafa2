"""The host machine, read without importing any Keras backend: the CPU (model, threads, widest vector
set), whether a GPU device is present, and whether TensorFlow will run its oneDNN kernels here. Files
that must not pay a backend's import (the report, which power table a comparison reads) describe a
CPU-only host from these; ``harness.device`` asks the backend itself."""

import glob
import importlib.util
import os
import platform

# widest first: (cpuinfo flag, name). A virtual machine may show one model name ("AMD EPYC") for CPUs
# with and without AVX-512, whose kernels (Eigen, oneDNN, XLA's code) differ: the set tells them apart.
VECTOR_SETS = (("amx_tile", "amx"), ("avx512f", "avx512"), ("avx2", "avx2"), ("avx", "avx"),
               ("sve", "sve"), ("asimd", "neon"))
# TensorFlow's DefaultOneDnnPolicy on Linux x86: oneDNN on by default where the CPU has one of these
# (tensorflow/core/util/port.cc), unless TF_ENABLE_ONEDNN_OPTS says otherwise.
ONEDNN_DEFAULT_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16")
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
GPU_DEVICE_NODES = ("/dev/nvidia[0-9]*", "/dev/kfd", "/dev/dxg")  # NVIDIA, AMD ROCm, WSL
BACKENDS = ("tensorflow", "jax", "torch")  # each imported under its own name


def _cpuinfo_field(*names):
    """The first ``/proc/cpuinfo`` value of a field among ``names`` (lower case); None without one."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip().lower() in names:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_flags():
    """The CPU's feature flags (x86 ``flags`` or Arm ``Features`` of ``/proc/cpuinfo``); [] elsewhere."""
    return (_cpuinfo_field("flags", "features") or "").split()


def cpu_model():
    """The CPU's model name (``/proc/cpuinfo``, else ``platform.processor()``)."""
    return _cpuinfo_field("model name") or platform.processor() or platform.machine()


def cpu_vector_set(flags=None):
    """The widest vector instruction set the CPU offers (``cpu_flags()`` or the given ``flags``):
    ``amx``, ``avx512``, ``avx2``, ``avx``, ``sve``, ``neon``, or ``unknown``."""
    flags = set(cpu_flags() if flags is None else flags)
    return next((name for flag, name in VECTOR_SETS if flag in flags), "unknown")


def cpu_threads():
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_fields():
    """The CPU as a device description's fields: ``device`` ("CPU <model> x<threads>") and
    ``vector_set``."""
    return {"device": f"CPU {cpu_model()} x{cpu_threads()}", "vector_set": cpu_vector_set()}


def onednn_default(flags=None, environ=None, system=None, machine=None):
    """Whether TensorFlow runs its oneDNN kernels on this host, decided as TensorFlow decides it:
    ``TF_ENABLE_ONEDNN_OPTS`` ("0"/"false" or "1"/"true", any case) if set to one of those, else on
    for Linux x86 CPUs with a flag of ``ONEDNN_DEFAULT_FLAGS``. None where the rule is not known
    (another system or architecture): ask TensorFlow (``harness.device.onednn_enabled``)."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    if system != "Linux" or machine not in ("x86_64", "amd64"):
        return None
    value = (os.environ if environ is None else environ).get(ONEDNN_VARIABLE)
    if value is not None and value.lower() in ("0", "false", "1", "true"):
        return value.lower() in ("1", "true")
    flags = set(cpu_flags() if flags is None else flags)
    return any(flag in flags for flag in ONEDNN_DEFAULT_FLAGS)


def gpu_device_present(patterns=GPU_DEVICE_NODES):
    """True when the host has a GPU device node (a backend may then compute on a GPU)."""
    return any(glob.glob(pattern) for pattern in patterns)


def cpu_host_fields(backend):
    """The fields that decide ``backend``'s kernels (``device``, ``vector_set`` and, on TensorFlow,
    ``onednn``) as ``harness.device.device_description`` gives them, read without importing the
    backend: {} where the backend is not installed; None where only the backend can tell (a GPU
    device is present, or TensorFlow's oneDNN rule is not known here)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if importlib.util.find_spec(backend) is None:
        return {}
    if gpu_device_present():
        return None
    fields = cpu_fields()
    if backend == "tensorflow":
        onednn = onednn_default()
        if onednn is None:
            return None
        fields["onednn"] = str(onednn)
    return fields
