"""The dependency map in the HTML report: the SVG of ``map_render`` (every user text in it
escaped there), handed to the template as markup to inline."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from transition.map_render import render_svg
from transition.services.views.raid import SystemMap


def inline_map(graph: SystemMap | None) -> dict[str, Any]:
    """``svg``: the drawing (empty without dependencies); ``flagged``: system → the
    systems it depends on that have no KT signed off; ``order``: the cutover order (each
    system after the systems it depends on; empty without dependencies)."""
    if graph is None or not graph.edges:
        return {"svg": Markup(""), "flagged": {}, "order": []}
    return {
        "svg": Markup(render_svg(graph)),
        "flagged": graph.kt_flagged,
        "order": graph.cutover_order,
    }
