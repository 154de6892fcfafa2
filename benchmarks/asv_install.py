"""asv's install step: the project's wheel with the Keras backend this machine should be benchmarked on.

``python benchmarks/asv_install.py WHEEL`` (asv.conf.json's ``install_command``, run with the environment's
Python). The backend is ``MRH_ASV_BACKEND`` (tensorflow, jax or torch), else ``KERAS_BACKEND``, else
tensorflow; its GPU build is chosen when an NVIDIA GPU answers ``nvidia-smi``. The versions are the
ranges of the project's extras (pyproject.toml: ``tf``, ``tf-gpu``, ``jax``, ``jax-gpu``, ``torch``).
"""

import os
import shutil
import subprocess
import sys

BACKEND_VARIABLE = "MRH_ASV_BACKEND"
EXTRAS = {("tensorflow", False): "tf", ("tensorflow", True): "tf-gpu", ("jax", False): "jax",
          ("jax", True): "jax-gpu", ("torch", False): "torch", ("torch", True): "torch"}


def nvidia_gpu():
    """True when ``nvidia-smi`` lists a GPU."""
    command = shutil.which("nvidia-smi")
    if command is None:
        return False
    listed = subprocess.run([command, "-L"], capture_output=True, text=True, check=False)
    return listed.returncode == 0 and "GPU" in listed.stdout


def chosen_backend(environ=None):
    """The backend asked for (``MRH_ASV_BACKEND``, else ``KERAS_BACKEND``, else tensorflow)."""
    environ = os.environ if environ is None else environ
    backend = environ.get(BACKEND_VARIABLE) or environ.get("KERAS_BACKEND") or "tensorflow"
    if backend not in {name for name, _ in EXTRAS}:
        raise SystemExit(f"{BACKEND_VARIABLE} (or KERAS_BACKEND) must be tensorflow, jax or torch, "
                         f"got {backend!r}")
    return backend


def requirement(wheel, environ=None, gpu=None):
    """``WHEEL[extra]`` for the chosen backend on this machine."""
    gpu = nvidia_gpu() if gpu is None else gpu
    return f"{wheel}[{EXTRAS[chosen_backend(environ), gpu]}]"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python benchmarks/asv_install.py WHEEL")
    wanted = requirement(argv[0])
    print(f"asv_install: {wanted}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", wanted], check=True)


if __name__ == "__main__":
    main()
