"""The demo's HTML report printed on A4, nothing wider than the page, even with words
longer than a line. WeasyPrint (a test dependency, on the system's Pango) lays it out as
print does, pages from its own ``@page`` rule, and every box of every page is checked
against the page's printable width; headless Chromium, when one is installed, lays a copy
out at A4 width (794 px, the print styles applied, 14 mm margins) as a browser does. The
Chromium check is skipped when no Chromium is installed, unless ``TRANSITION_REQUIRE_CHROMIUM=1``
(set by ``.ci/run`` once it has installed Chromium), where a missing browser fails instead."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
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


def demo_report(session_scope, clock, folder: Path) -> str:
    """The demo's HTML report with the raw audit, a word longer than a line in a risk and
    a system name longer than a line."""
    clock.pin(today="2026-11-23")
    with session_scope() as session:
        load_demo(session, today=date(2026, 11, 23), runbook_dir=folder / "rb")
        eng = get_engagement(session, "northwind-service-desk")
        # One unbroken word longer than the page, as a pasted URL or path would be.
        raid.add(session, eng, kind="risk", title="x" * 150, probability=5, impact=5)
        systems.add(session, eng, "Warehouse_" + "scanner_relay_" * 12, tier=2)
    with session_scope() as session:
        eng = get_engagement(session, "northwind-service-desk")
        return reports.render(reports.report_data(session, eng, audit=True), "html")


def weasyprint_or_skip():
    """WeasyPrint, or a skip where the system has no Pango for it (never in CI, where a
    missing library is a failure)."""
    try:
        import weasyprint
    except OSError as exc:  # the Pango, HarfBuzz or fontconfig library is missing
        if os.environ.get("CI"):
            raise
        pytest.skip(f"WeasyPrint cannot load its system libraries: {exc}")
    return weasyprint


def _boxes(box) -> Iterator:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def overflowing(html: str) -> tuple[list[float], list[str]]:
    """Every page's width, and every box that reaches outside its page's printable width
    (``page._page_box``: WeasyPrint's laid-out page, the one way to its boxes)."""
    weasyprint = weasyprint_or_skip()
    document = weasyprint.HTML(string=html).render()
    widths, bad = [], []
    for number, page in enumerate(document.pages, 1):
        widths.append(page.width)
        root = page._page_box
        left = root.content_box_x()
        right = left + root.width
        for box in _boxes(root):
            if box is root or not box.margin_width():
                continue
            start, end = box.position_x, box.position_x + box.margin_width()
            if start < left - 0.5 or end > right + 0.5:
                text = (getattr(box, "text", "") or "")[:60]
                bad.append(
                    f"page {number}: {type(box).__name__} <{box.element_tag}> "
                    f"{start:.0f}..{end:.0f} outside {left:.0f}..{right:.0f} {text}"
                )
    return widths, bad


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the layout, not the backend
def test_demo_html_report_prints_on_a4_without_overflow(session_scope, clock, tmp_path) -> None:
    widths, bad = overflowing(demo_report(session_scope, clock, tmp_path))
    assert len(widths) > 1 and all(abs(w - A4_PX) < 1 for w in widths), widths
    assert bad == []


def test_the_print_check_sees_what_overflows() -> None:
    """The check itself: a block wider than the page, an unbreakable word and an SVG that
    keeps its width are each found; the same page without them is clean."""
    page = "<html><head><style>@page {{ size: A4; margin: 14mm; }}</style></head><body>{}</body>"
    assert overflowing(page.format("<p>fits</p>"))[1] == []
    for body in (
        '<div style="width: 900px">wide</div>',
        "<p>" + "y" * 300 + "</p>",
        '<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="20"></svg>',
    ):
        assert overflowing(page.format(body))[1], body


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_html_report_fits_an_a4_page_in_chromium(session_scope, clock, tmp_path) -> None:
    html = demo_report(session_scope, clock, tmp_path)
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
