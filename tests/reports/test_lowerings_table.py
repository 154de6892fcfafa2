"""The report's lowering table, from a file in the layout ``python -m benchmarks.lowerings`` writes."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.lowerings import PRODUCER, lowering_row
from harness.result_files import write_produced_json as write_json
from reports.page.build import build_report
from reports.page.lowerings_table import (
    GPU_LOWERINGS_FOLDER,
    LOWERINGS_FILE,
    committed_lowerings,
    lowerings_context,
)

REPOSITORY = Path(__file__).resolve().parents[2]


def lowerings_file(path):
    """Blocks where the replica-leading lowering is 1.5x faster than the others and auto picked it."""
    rng = np.random.default_rng(0)
    drift = np.exp(rng.normal(0, 0.05, 12))
    samples = {"reference": list(0.02 * drift), "multidense": list(0.01 * drift),
               "multidense@per_replica": list(0.015 * drift),
               "multidense@replica_leading": list(0.01 * drift),
               "multidense@broadcast": list(0.015 * drift)}
    row = lowering_row(100, samples, ["per_replica", "replica_leading", "broadcast"])
    row["auto_choice"] = {"multi_dense_0": "replica_leading"}
    write_json(path, {"machine": {"backend": "tensorflow", "onednn": "True"}, "rows": [row],
                      "command": "python -m benchmarks.lowerings"}, PRODUCER)
    return row


def test_the_context_reads_every_lowering_and_the_verdict_on_auto(tmp_path):
    row = lowerings_file(tmp_path / "lowerings.json")
    assert row["best_pinned"] == "replica_leading"
    assert row["lowerings"]["per_replica"]["auto_verdict"] == "faster"
    context = lowerings_context(tmp_path / "lowerings.json")
    by_lowering = {r["lowering"]: r for r in context["rows"]}
    assert set(by_lowering) == {"auto", "per_replica", "replica_leading", "broadcast"}
    assert by_lowering["auto"]["ratio"] == pytest.approx(2.0)
    assert by_lowering["replica_leading"]["best"]
    assert by_lowering["replica_leading"]["auto_ratio"] == pytest.approx(1)
    assert context["machine"]["onednn"] == "True"


def test_a_foreign_file_is_named_and_a_missing_one_is_said(tmp_path):
    assert not lowerings_context(tmp_path / "none.json")["available"]
    (tmp_path / "bad.json").write_text(json.dumps({"rows": [{"replicas": 1}]}))
    with pytest.raises(ValueError, match="bad.json"):
        lowerings_context(tmp_path / "bad.json")


def test_the_page_shows_the_table(asv_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(asv_project, project, symlinks=True)
    lowerings_file(project / LOWERINGS_FILE)
    page = build_report(project, tmp_path / "html", publish=False, progress=lambda message: None).read_text()
    table = page[page.index('id="lowerings-table"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 5 and "(fastest pinned)" in table
    assert "multi_dense_0: replica_leading" in table
    assert "faster" in table


def test_the_committed_gpu_tables_are_lowering_tables_measured_on_a_gpu():
    tables = committed_lowerings(REPOSITORY)
    assert tables, "docs/gpu-lowerings/ holds no measured table"
    for table in tables:
        assert table["available"] and table["machine"]["device"].startswith("GPU"), table["path"]
        assert table["path"].startswith("docs/gpu-lowerings/")  # relative: the page is published
        assert table["machine"]["backend"] in table["path"]  # named after the backend it measured
        assert {row["lowering"] for row in table["rows"]} >= {"auto", "replica_leading", "broadcast"}


def test_the_page_shows_each_committed_gpu_table_and_names_a_corrupt_one(asv_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(asv_project, project, symlinks=True)
    shutil.rmtree(project / GPU_LOWERINGS_FOLDER, ignore_errors=True)
    lowerings_file(project / GPU_LOWERINGS_FOLDER / "jax-gpu.json")
    page = build_report(project, tmp_path / "html", publish=False, progress=lambda message: None).read_text()
    assert 'id="gpu-lowerings-table-1"' in page and 'id="gpu-lowerings-table-2"' not in page
    table = page[page.index('id="gpu-lowerings-table-1"'):]
    assert table[:table.index("</table>")].count("<tr>") == 5
    section = page[page.index('id="gpu-lowerings"'):]
    section = section[:section.index("</section>")]
    assert "<code>docs/gpu-lowerings/jax-gpu.json</code>" in section and str(project) not in section
    (project / GPU_LOWERINGS_FOLDER / "torch-gpu.json").write_text("{not json")
    with pytest.raises(ValueError, match="torch-gpu.json"):
        committed_lowerings(project)
