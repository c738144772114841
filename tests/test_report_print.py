"""The demo's HTML report printed on A4: headless Chromium lays a copy out at A4 width (794
px, the print styles applied, 14 mm margins) and nothing is wider than the page, even with
words longer than a line. Skipped when no Chromium is installed, unless
``TRANSITION_REQUIRE_CHROMIUM=1`` (set by ``.ci/run`` once it has installed Chromium), where a
missing browser fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from transition import reports
from transition.demo import load_demo
from transition.services import raid, systems
from transition.services.common import get_engagement

A4_PX = 794  # 210 mm at 96 px per inch
MARGIN_PX = 53  # 14 mm, the report's @page margin

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
if CHROMIUM is None and os.environ.get("TRANSITION_REQUIRE_CHROMIUM") == "1":
    raise RuntimeError("TRANSITION_REQUIRE_CHROMIUM=1 but no Chromium is installed")

#: Lists every element whose box reaches past the printable width (SVG innards aside:
#: the SVG itself is checked), into a <pre id="overflow"> the dumped DOM carries.
PROBE = """<script>
(function () {
  var limit = document.body.getBoundingClientRect().right + 0.5;
  var bad = [];
  document.querySelectorAll("body *").forEach(function (el) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") return;
    var r = el.getBoundingClientRect();
    if (r.width && r.right > limit) {
      bad.push(el.tagName.toLowerCase() + "." + el.className + " right=" + Math.round(r.right)
        + " " + (el.textContent || "").trim().slice(0, 60));
    }
  });
  if (document.documentElement.scrollWidth > window.innerWidth) {
    bad.push("page scrolls: " + document.documentElement.scrollWidth);
  }
  var out = document.createElement("pre");
  out.id = "overflow";
  out.textContent = JSON.stringify({limit: limit, bad: bad});
  document.body.appendChild(out);
})();
</script>"""


def printable_copy(html: str) -> str:
    """The report as print lays it out: print rules for every medium, the page margins."""
    forced = html.replace("@media print", "@media all")
    margins = f"<style>html {{ padding: 0 {MARGIN_PX}px; }}</style>"
    return forced.replace("</head>", margins + "</head>", 1).replace(
        "</body>", PROBE + "</body>", 1
    )


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_demo_html_report_fits_an_a4_page(session_scope, clock, tmp_path: Path) -> None:
    clock.pin(today="2026-11-23")
    with session_scope() as session:
        load_demo(session, today=date(2026, 11, 23), runbook_dir=tmp_path / "rb")
        eng = get_engagement(session, "northwind-service-desk")
        # One unbroken word longer than the page, as a pasted URL or path would be.
        raid.add(session, eng, kind="risk", title="x" * 150, probability=5, impact=5)
        systems.add(session, eng, "Warehouse_" + "scanner_relay_" * 12, tier=2)
    with session_scope() as session:
        eng = get_engagement(session, "northwind-service-desk")
        html = reports.render(reports.report_data(session, eng, audit=True), "html")
    page = tmp_path / "print.html"
    page.write_text(printable_copy(html), encoding="utf-8")
    assert CHROMIUM is not None
    dumped = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={A4_PX},1123",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = dumped.split('<pre id="overflow">', 1)[1].split("</pre>", 1)[0]
    result = json.loads(found.replace("&quot;", '"').replace("&amp;", "&"))
    assert result["limit"] <= A4_PX - MARGIN_PX + 1
    assert result["bad"] == []
