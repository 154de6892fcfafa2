"""The report and the asv site in headless Chromium, served on localhost with no network.

Skips only when no Chromium is installed and CI is not set; under CI a missing browser fails.
"""

import pytest

from tests.reports.chromium import browser, find_chromium, must_have_browser, serve

ALL_IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture(scope="module")
def chromium():
    executable = find_chromium()
    if executable is None:
        if must_have_browser():
            pytest.fail("CI is set but no chromium is installed (apt-get install -y chromium)")
        pytest.skip("no chromium installed")
    with browser(executable) as instance:
        yield instance


@pytest.fixture(scope="module")
def site(built_report):
    with serve(built_report) as base:
        yield base


def test_the_report_page_renders_with_every_plot_and_no_console_error(chromium, site):
    chromium.load(site + "index.html")
    assert chromium.evaluate("document.title").startswith("Fused multi-replica")
    assert chromium.evaluate("document.images.length") >= 8
    assert chromium.evaluate(ALL_IMAGES_LOADED)
    assert chromium.evaluate("document.querySelectorAll('#verdicts tr').length") == 5
    assert chromium.evaluate("document.querySelector('#verdicts').getBoundingClientRect().height") > 0
    assert chromium.problems() == []
    assert all(url.startswith(site) or url.startswith("data:") for url in chromium.requested_urls())


def test_the_asv_index_renders_its_graphs_offline(chromium, site):
    chromium.load(site + "asv/index.html", settle_seconds=3)
    chromium.wait_for("document.querySelectorAll('canvas.flot-base').length > 0")
    assert chromium.evaluate("document.body.innerText").count("TrainStep.time_train_step") >= 1
    assert chromium.problems() == []
    assert all(url.startswith(site) for url in chromium.requested_urls())


def test_an_asv_benchmark_graph_renders(chromium, site):
    chromium.load(site + "asv/index.html#bench_fixture.TrainStep.time_train_step", settle_seconds=3)
    chromium.wait_for("document.querySelector('#main-graph canvas.flot-base') !== null")
    assert chromium.evaluate("document.querySelector('#main-graph canvas.flot-base').width") > 100
    assert chromium.problems() == []


def test_the_checks_catch_a_page_that_needs_the_network(chromium, site, built_report):
    """The same checks fail on asv's page as published (CDN assets, unreachable here)."""
    from pathlib import Path

    import asv

    original = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    (built_report / "asv" / "cdn-index.html").write_text(original)
    try:
        chromium.load(site + "asv/cdn-index.html", settle_seconds=3)
        assert chromium.problems() != []
        assert chromium.evaluate("document.querySelectorAll('canvas.flot-base').length") == 0
    finally:
        (built_report / "asv" / "cdn-index.html").unlink()
