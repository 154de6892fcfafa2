"""tests/perf is a pytest-benchmark layer over the asv workload, timers and registry.

It is not part of the default test run: it is collected only with ``--benchmark-only`` or with
``MRH_PERF=1`` in the environment.
"""

import os


def perf_enabled(config):
    return bool(config.getoption("benchmark_only", default=False)) or os.environ.get("MRH_PERF") == "1"


def pytest_ignore_collect(collection_path, config):
    if collection_path.name == "conftest.py":
        return None
    return None if perf_enabled(config) else True
