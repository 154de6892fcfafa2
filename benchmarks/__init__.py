"""asv benchmark suites of the fused (MultiDense) and per-replica reference implementations.

Without ``KERAS_BACKEND`` the suites use the backend installed here (tensorflow, else jax, else torch),
so an asv environment built for this machine (``benchmarks/asv_install.py``) needs no setting.
"""

import importlib.util
import os

if not os.environ.get("KERAS_BACKEND"):
    for _backend in ("tensorflow", "jax", "torch"):
        if importlib.util.find_spec(_backend) is not None:
            os.environ["KERAS_BACKEND"] = _backend
            break
