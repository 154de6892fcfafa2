"""The asv site: ``asv publish`` into the report folder, then pointed at the vendored assets.

asv's index.html loads jQuery, flot, bootstrap, stupidtable and md5 from CDNs; the copy under
``<output>/asv/`` loads the files in ``reports/page/vendor/`` instead, so it renders offline.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from reports.errors import ReportInputError

VENDOR_DIR = Path(__file__).parent / "vendor"
VENDOR_SUBFOLDER = "vendor"
CDN_TO_VENDORED = {
    "https://code.jquery.com/jquery-3.3.1.min.js": "jquery-3.3.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": "jquery.flot-0.8.3.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": "jquery.flot.time-0.8.3.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js":
        "jquery.flot.selection-0.8.3.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js":
        "jquery.flot.categories-0.8.3.js",
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        "jquery.flot.orderBars-1.0.0.js",
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": "stupidtable-1.1.3.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": "md5-2.19.0.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": "bootstrap-3.1.1.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": "bootstrap-3.1.1.min.css",
}
# <script ... src="https://..."> and <link ... href="https://..."> resources (not <a href> links).
EXTERNAL_RESOURCE = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>")
SRI_ATTRIBUTES = re.compile(r"\s+(integrity|crossorigin|referrerpolicy)=\"[^\"]*\"")


def publish(config, html_dir, progress=print):
    """``asv publish`` of the results named by ``config`` into ``html_dir`` (replaced by asv)."""
    progress(f"publishing the asv site into {html_dir} (asv publish)")
    command = [sys.executable, "-m", "asv", "publish", "--no-pull", "--config", str(config),
               "--html-dir", str(html_dir)]
    finished = subprocess.run(command, cwd=Path(config).parent, capture_output=True, text=True)
    if finished.returncode != 0:
        raise ReportInputError(
            f"asv publish failed (config {config}, exit {finished.returncode}):\n"
            f"{finished.stdout}{finished.stderr}"
        )
    localize(html_dir)


def localize(html_dir):
    """Copy the vendored assets into ``html_dir`` and point every asv html page at them."""
    html_dir = Path(html_dir)
    shutil.copytree(VENDOR_DIR, html_dir / VENDOR_SUBFOLDER, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.md"))
    for page in html_dir.glob("*.html"):
        page.write_text(localize_html(page.read_text(), page))


def localize_html(html, source="asv page"):
    """``html`` with each CDN script/stylesheet replaced by its vendored copy (SRI attributes dropped)."""

    def replace(match):
        url = match.group(2)
        if url not in CDN_TO_VENDORED:
            raise ReportInputError(
                f"{source} loads {url}, which is not vendored in {VENDOR_DIR} (new asv version?): "
                f"add it there and to CDN_TO_VENDORED in {__name__}"
            )
        tag = match.group(0).replace(url, f"{VENDOR_SUBFOLDER}/{CDN_TO_VENDORED[url]}")
        return SRI_ATTRIBUTES.sub("", tag)

    return EXTERNAL_RESOURCE.sub(replace, html)
