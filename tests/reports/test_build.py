"""Building reports/html/: content, escaping, offline assets, and never touching the results."""

import hashlib
import json
import re
import shutil
import subprocess
import sys

import pytest

from reports.errors import ReportInputError
from reports.page.asv_site import localize_html
from reports.page.build import build_report
from tests.reports.conftest import FIXTURES

EXTERNAL_RESOURCE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)


def page(built_report):
    return (built_report / "index.html").read_text()


def quiet(message):
    pass


def snapshot(folder):
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_page_has_a_fused_vs_reference_table_per_benchmark(built_report):
    html = page(built_report)
    for benchmark in ("time_train_step", "time_first_step", "peakmem_train_step", "track_gpu_memory_bytes"):
        assert f"bench_fixture.TrainStep.{benchmark}</a>" in html
    assert "ratio = reference / fused" in html
    assert "bootstrap interval" in html and "make compare" in html
    # asv's sequential ratios carry no verdict (their error rate was never measured): one verdict per
    # cell, the summary's interleaved speedup
    assert 'id="asv-ratios-note"' in html and "carry no verdict" in html
    table = html[html.index('<table class="comparison">'):]
    table = table[:table.index("</table>")]
    assert "<td" in table and "fused faster" not in table and "not comparable" not in table


def test_the_page_shows_validation_power_regressions_and_failures(built_report):
    html = page(built_report)
    assert 'id="verdicts"' in html and 'id="power"' in html
    assert html.count('<td class="fail">fail</td>') == 1
    assert "shared_clipnorm" in html
    assert '<tr class="fail"><td>bench_fixture.TrainStep.time_train_step' in html  # 3x slower commit
    assert "Failed benchmarks at this commit" in html and "time_broken" in html


def test_every_plot_exists(built_report):
    html = page(built_report)
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 8
    for image in images:
        assert (built_report / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("speedup", "first-step", "memory", "commits", "curve-training_trajectory"):
        assert any(name in image for image in images), name


def test_commit_messages_are_escaped(built_report):
    html = page(built_report)
    assert "&lt;b&gt;slowdown&lt;/b&gt; &amp; 3.0" in html
    assert "<b>slowdown" not in html
    assert "&lt;i&gt;fan-in&lt;/i&gt;" in html  # a validation parameter


def test_no_page_loads_anything_from_the_network(built_report):
    pages = [built_report / "index.html", *sorted((built_report / "asv").glob("*.html"))]
    assert len(pages) >= 2
    for html_page in pages:
        assert not EXTERNAL_RESOURCE.search(html_page.read_text()), html_page
    assert (built_report / "asv" / "vendor" / "jquery-3.3.1.min.js").exists()


def test_the_original_asv_page_would_load_from_cdns():
    """The check above can fail: asv's own index.html loads from CDNs, localize_html removes them."""
    from pathlib import Path

    import asv

    original = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    assert EXTERNAL_RESOURCE.search(original)
    assert not EXTERNAL_RESOURCE.search(localize_html(original))


def test_an_asset_that_is_not_vendored_is_an_error_naming_it():
    with pytest.raises(ReportInputError, match="https://cdn.example.org/new.js"):
        localize_html('<script src="https://cdn.example.org/new.js"></script>')


def test_the_results_are_never_rewritten(asv_project, tmp_path):
    before = snapshot(asv_project / ".asv" / "results"), snapshot(asv_project / "results")
    build_report(asv_project, tmp_path / "html", progress=quiet)
    assert (snapshot(asv_project / ".asv" / "results"), snapshot(asv_project / "results")) == before


def test_empty_results_give_a_page_that_says_so(tmp_path):
    (tmp_path / ".asv" / "results").mkdir(parents=True)
    index = build_report(tmp_path, tmp_path / "html", FIXTURES / "validation.json", progress=quiet)
    assert 'id="no-benchmarks"' in index.read_text()
    assert not (tmp_path / "html" / "asv").exists()


def test_a_missing_power_study_is_said(tmp_path, asv_project):
    index = build_report(asv_project, tmp_path / "html", power_path=tmp_path / "power.json", publish=False,
                         progress=quiet)
    assert 'id="no-power"' in index.read_text()


def test_the_cli_names_a_corrupt_file_and_exits_2(tmp_path, asv_project):
    shutil.copytree(asv_project / ".asv" / "results", tmp_path / ".asv" / "results")
    (tmp_path / "asv.conf.json").write_text(json.dumps({"version": 1, "repo": str(asv_project)}))
    victim = sorted((tmp_path / ".asv" / "results").glob("*/*-*.json"))[-1]
    victim.write_text("{")
    finished = subprocess.run(
        [sys.executable, "-m", "reports", "--root", str(tmp_path),
         "--validation", str(FIXTURES / "validation.json")],
        capture_output=True, text=True,
    )
    assert finished.returncode == 2
    assert f"corrupt results file {victim}" in finished.stderr


def test_building_the_page_starts_no_keras_backend(tmp_path, asv_project):
    """The page reads results files: a backend imported on the way cost every report and night 8 s."""
    argv = ["--root", str(asv_project), "--output", str(tmp_path / "html"), "--no-publish"]
    code = (f"import sys; from reports.__main__ import main; code = main({argv!r}); "
            "print([m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules], code)")
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == "[] 0", finished.stdout


def test_the_cli_prints_where_the_report_is_and_how_to_serve_it(tmp_path, asv_project):
    finished = subprocess.run([sys.executable, "-m", "reports", "--root", str(asv_project), "--output",
                               str(tmp_path / "html")], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert str(tmp_path / "html" / "index.html") in finished.stdout
    assert "python -m http.server" in finished.stdout


def test_a_validation_curve_marks_where_the_reference_turned_unstable(tmp_path):
    from reports.page.plots import validation_curve

    curve = {"steps": [0, 10, 20], "series": {"candidate vs reference": [0.0, 1e-6, 1e-3]}}
    marked = validation_curve(tmp_path / "a", "training.no_clipnorm", {**curve, "unstable_from_step": 20})
    plain = validation_curve(tmp_path / "b", "training.no_clipnorm", {**curve, "unstable_from_step": None})
    assert (tmp_path / "a" / marked.path).read_bytes() != (tmp_path / "b" / plain.path).read_bytes()
