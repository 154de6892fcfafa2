"""The report and the asv site in the system's headless Chromium (Playwright), served on localhost.

Nothing is downloaded: Playwright drives the installed Chromium. Skips only when no Chromium is installed
and CI is not set; under CI a missing browser fails.
"""

import re
from pathlib import Path

import pytest

from tests.reports.browser import Tab, chromium, find_chromium, must_have_browser, serve

SCREENSHOTS = Path(__file__).parents[2] / "results" / "browser"
# Not a PNG beyond its signature: served with status 200, so only the decoding check can catch it.
CORRUPT_PNG = b"\x89PNG\r\n\x1a\n" + b"not an image" * 20


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if must_have_browser():
            pytest.fail("CI is set but no chromium is installed (apt-get install -y chromium)")
        pytest.skip("no chromium installed")
    with chromium(executable) as instance:
        yield instance


@pytest.fixture
def tab(browser):
    instance = Tab(browser)
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def site(built_report):
    with serve(built_report) as base:
        yield base


def test_the_report_page_renders_with_every_plot_and_no_console_error(tab, site):
    tab.load(site + "index.html")
    assert tab.evaluate("document.title").startswith("Fused multi-replica")
    assert tab.evaluate("document.images.length") >= 8
    assert tab.broken_images() == []
    assert tab.evaluate("document.querySelectorAll('#verdicts tr').length") == 5
    assert tab.evaluate("document.querySelector('#verdicts').getBoundingClientRect().height") > 0
    assert tab.problems == []
    assert all(url.startswith(site) or url.startswith("data:") for url in tab.requested_urls)


def test_the_report_page_with_every_details_opened(tab, site):
    """Every <details> opened by a real click on its <summary>; then a full-page screenshot to look at."""
    tab.load(site + "index.html")
    opened = tab.open_all_details()
    assert opened >= 1, "no <details> on the page (the timing power table: docs/timing-power/tensorflow.json)"
    assert opened == tab.evaluate("document.querySelectorAll('details').length")
    assert tab.evaluate("Array.from(document.querySelectorAll('details')).every(d => d.open)")
    details = tab.page.locator("details")
    for index in range(opened):
        assert details.nth(index).locator(":scope > :not(summary)").first.is_visible(), index
    tab.page.wait_for_load_state("networkidle")
    assert tab.broken_images() == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=SCREENSHOTS / "report.png", full_page=True)
    assert tab.problems == []
    assert all(url.startswith(site) or url.startswith("data:") for url in tab.requested_urls)


def test_the_asv_index_renders_its_graphs_offline(tab, site):
    tab.load(site + "asv/index.html", settle_seconds=1)
    tab.wait_for("document.querySelectorAll('canvas.flot-base').length > 0")
    assert tab.evaluate("document.body.innerText").count("TrainStep.time_train_step") >= 1
    assert tab.problems == []
    assert all(url.startswith(site) for url in tab.requested_urls)


def test_an_asv_benchmark_graph_renders(tab, site):
    tab.load(site + "asv/index.html#bench_fixture.TrainStep.time_train_step", settle_seconds=1)
    tab.wait_for("document.querySelector('#main-graph canvas.flot-base') !== null")
    assert tab.evaluate("document.querySelector('#main-graph canvas.flot-base').width") > 100
    assert tab.problems == []


def test_the_checks_catch_a_page_that_needs_the_network(tab, site, built_report):
    """The same checks fail on asv's page as published (CDN assets, unreachable here)."""
    import asv

    original = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    (built_report / "asv" / "cdn-index.html").write_text(original)
    try:
        tab.load(site + "asv/cdn-index.html", settle_seconds=1)
        assert tab.problems != []
        assert tab.evaluate("document.querySelectorAll('canvas.flot-base').length") == 0
    finally:
        (built_report / "asv" / "cdn-index.html").unlink()


@pytest.mark.parametrize("breakage", ["missing", "corrupt"])
def test_the_checks_catch_a_broken_image(tab, site, built_report, breakage):
    """A copy of the report page with one image pointing to a missing file, or to a corrupt PNG."""
    page = (built_report / "index.html").read_text()
    first_image = re.search(r'<img src="([^"]+)"', page)
    assert first_image, "the report page has no <img src=...>"
    broken_name = f"broken-{breakage}.png"
    if breakage == "corrupt":
        (built_report / broken_name).write_bytes(CORRUPT_PNG)
    broken_page = page.replace(first_image.group(0), f'<img src="{broken_name}"', 1)
    (built_report / "broken-image.html").write_text(broken_page)
    try:
        tab.load(site + "broken-image.html")
        assert tab.broken_images() == [site + broken_name]
        if breakage == "missing":
            assert f"HTTP 404: {site}{broken_name}" in tab.problems
        else:  # served fine: the network checks see nothing, the decoding check does
            assert tab.problems == []
    finally:
        (built_report / "broken-image.html").unlink()
        (built_report / broken_name).unlink(missing_ok=True)
