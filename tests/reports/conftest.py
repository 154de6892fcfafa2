"""Fixtures of the report tests: a genuine asv project (run with asv) and hand-written validation results."""

import os
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from tests.reports.asv_project import build_history

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """The report tests read fixtures, run tiny asv projects or the nightly job on jax: no TensorFlow
    kernel runs, so the oneDNN state cannot change them (``make test`` runs them once)."""
    for item in items:
        if REPORT_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.tensorflow_kernel_free)


def built_once(tmp_path_factory, name, build):
    """The folder ``name`` that ``build(folder)`` fills once per test session: pytest-xdist workers
    share it (the first builds it under a file lock, the others wait and read it)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    folder, done = root / name, root / f"{name}.built"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def _build_asv_project(project):
    build_history(project, slowdowns=(1.0, 3.0), failing_last=True)
    validation_dir = project / "results" / "validation"
    validation_dir.mkdir(parents=True)
    for name in ("validation.json", "power.json"):
        shutil.copy(FIXTURES / name, validation_dir / name)


@pytest.fixture(scope="session")
def asv_project(tmp_path_factory):
    """A tiny asv project with two measured commits: the second 3x slower and with one broken benchmark.

    Its validation results (hand-written, schema of `python -m validation`) are in results/validation/.
    """
    return built_once(tmp_path_factory, "asv-project", _build_asv_project)


@pytest.fixture(scope="session")
def built_report(asv_project, tmp_path_factory):
    """The report of ``asv_project`` built once into a temporary folder."""
    from reports.page.build import build_report

    def build(folder):
        build_report(asv_project, folder / "html", progress=lambda message: None)

    return built_once(tmp_path_factory, "report", build) / "html"
