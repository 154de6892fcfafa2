"""Fixtures of the report tests: a genuine asv project (run with asv) and hand-written validation results."""

import shutil
from pathlib import Path

import pytest

from tests.reports.asv_project import build_history

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """The report tests read fixtures, run tiny asv projects or the nightly job on jax: no TensorFlow
    kernel runs, so the oneDNN state cannot change them (``make test`` runs them once)."""
    for item in items:
        if REPORT_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.tensorflow_kernel_free)


@pytest.fixture(scope="session")
def asv_project(tmp_path_factory):
    """A tiny asv project with two measured commits: the second 3x slower and with one broken benchmark.

    Its validation results (hand-written, schema of `python -m validation`) are in results/validation/.
    """
    project = tmp_path_factory.mktemp("asv-project")
    build_history(project, slowdowns=(1.0, 3.0), failing_last=True)
    validation_dir = project / "results" / "validation"
    validation_dir.mkdir(parents=True)
    for name in ("validation.json", "power.json"):
        shutil.copy(FIXTURES / name, validation_dir / name)
    return project


@pytest.fixture(scope="session")
def built_report(asv_project, tmp_path_factory):
    """The report of ``asv_project`` built once into a temporary folder."""
    from reports.page.build import build_report

    output = tmp_path_factory.mktemp("report") / "html"
    build_report(asv_project, output, progress=lambda message: None)
    return output
