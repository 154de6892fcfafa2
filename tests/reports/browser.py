"""The system's headless Chromium driven by Playwright (no browser download), and a local HTTP server.

A `Tab` records console errors, uncaught exceptions, failed requests and every requested URL.
"""

import contextlib
import functools
import http.server
import os
import shutil
import threading

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic"]
BROKEN_IMAGES = "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"


def find_chromium():
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def must_have_browser():
    """Under CI a missing browser is a failure, elsewhere a skip (the caller decides)."""
    return bool(os.environ.get("CI"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on localhost; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(executable):
    """A headless Playwright browser on the Chromium at ``executable``."""
    from playwright.sync_api import sync_playwright  # imported here: only the browser test needs it

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class Tab:
    """One page of ``browser`` in a fresh context, recording what went wrong while it loads."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.problems, self.requested_urls = [], []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.failure} {r.url}"))
        self.page.on("response", self._response)
        self.page.on("request", lambda request: self.requested_urls.append(request.url))

    def _console(self, message):
        if message.type in ("error", "assert"):
            self.problems.append(f"console.{message.type}: {message.text} {message.location.get('url', '')}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def load(self, url, settle_seconds=0.5, timeout=30):
        """Navigate to ``url``; wait for the load event, an idle network and ``settle_seconds`` more."""
        self.page.goto(url, wait_until="load", timeout=timeout * 1000)
        self.page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        self.page.wait_for_timeout(settle_seconds * 1000)

    def evaluate(self, expression):
        return self.page.evaluate(expression)

    def wait_for(self, expression, timeout=30):
        self.page.wait_for_function(expression, timeout=timeout * 1000)

    def broken_images(self):
        """The ``src`` of every image that did not load and decode (``naturalWidth`` 0)."""
        return self.evaluate(BROKEN_IMAGES)

    def open_all_details(self):
        """Click the ``<summary>`` of each closed ``<details>`` (outer ones first); return how many."""
        summaries = self.page.locator("details > summary")
        for index in range(summaries.count()):
            summary = summaries.nth(index)
            if not summary.evaluate("s => s.parentElement.open"):
                summary.click()
        return summaries.count()

    def close(self):
        self.context.close()
