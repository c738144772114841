"""The dependency map drawn as text, Graphviz DOT or SVG (built here: no Graphviz needed).

The SVG lays the systems out in columns by layer (left: systems that depend on nothing;
each system one column right of the deepest system it depends on), an arrow from each
system to the systems it depends on. User text is escaped everywhere.
"""

from __future__ import annotations

from html import escape

from transition.services.views.raid import SystemMap
from transition.text import fit_cells

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 190, 34, 70, 16, 12
NAME_CHARS = 24
KT_NOTE = "KT: a system it depends on has no KT signed off"


def render_text(graph: SystemMap) -> str:
    """One line per system: its layer, what it depends on (and how), and its KT flag;
    then the cutover order, numbered (each system after the systems it depends on)."""
    if not graph.systems:
        return "no systems yet: add one with `transition system add`"
    needs: dict[str, list[str]] = {}
    for edge in graph.edges:
        needs.setdefault(edge.system, []).append(f"{edge.depends_on} ({edge.kind})")
    lines = []
    for number, layer in enumerate(graph.layers):
        lines.append(f"layer {number}")
        for name in layer:
            on = ", ".join(needs.get(name, [])) or "nothing"
            lines.append(f"  {name} → {on}")
            if name in graph.kt_flagged:
                lines.append(
                    f"    ! KT flagged: no KT signed off for {', '.join(graph.kt_flagged[name])}"
                )
    lines.append("cutover order")
    lines.extend(f"  {n}. {name}" for n, name in enumerate(graph.cutover_order, 1))
    return "\n".join(lines)


def _dot_id(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render_dot(graph: SystemMap) -> str:
    """Graphviz DOT: an edge from each system to what it depends on, labelled by kind."""
    lines = ["digraph dependencies {", "  rankdir=RL;", "  node [shape=box];"]
    for name in graph.systems:
        extra = ", color=orange" if name in graph.kt_flagged else ""
        lines.append(f"  {_dot_id(name)} [label={_dot_id(name)}{extra}];")
    for edge in graph.edges:
        lines.append(
            f"  {_dot_id(edge.system)} -> {_dot_id(edge.depends_on)} [label={_dot_id(edge.kind)}];"
        )
    lines.append("}")
    return "\n".join(lines)


def _short(name: str) -> str:
    """The name as it fits in a box (``NAME_CHARS`` Latin letters' room, a wide character
    taking two), cut with …"""
    return fit_cells(name, NAME_CHARS)


def render_svg(graph: SystemMap) -> str:
    """A standalone SVG (also inlined in the HTML report), scaled to its container."""
    where: dict[str, tuple[int, int]] = {}
    for col, layer in enumerate(graph.layers):
        for row, name in enumerate(layer):
            where[name] = (PAD + col * (BOX_W + GAP_X), PAD + row * (BOX_H + GAP_Y))
    rows = max((len(layer) for layer in graph.layers), default=0)
    width = PAD * 2 + max(len(graph.layers), 1) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + max(rows, 1) * (BOX_H + GAP_Y) - GAP_Y + 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dependency-map" viewBox="0 0 {width} '
        f'{height}" width="100%" style="max-width:{width}px" role="img" '
        'aria-label="System dependency map">',
        '<defs><marker id="dep-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for edge in graph.edges:
        if edge.system not in where or edge.depends_on not in where:
            continue
        (x1, y1), (x2, y2) = where[edge.system], where[edge.depends_on]
        sx, sy = x1, y1 + BOX_H // 2
        ex, ey = x2 + BOX_W, y2 + BOX_H // 2
        if x1 <= x2:  # not expected in a layered map; drawn plainly all the same
            sx, ex = x1 + BOX_W, x2
        out.append(
            f'<line x1="{sx}" y1="{sy}" x2="{ex}" y2="{ey}" stroke="#555" stroke-width="1.2" '
            f'marker-end="url(#dep-arrow)"><title>{escape(edge.system)} depends on '
            f"{escape(edge.depends_on)} ({escape(edge.kind)})</title></line>"
        )
    for name, (x, y) in where.items():
        flagged = name in graph.kt_flagged
        fill, stroke = ("#fff4e5", "#d9822b") if flagged else ("#eef3fb", "#4a6fa5")
        note = f" ({KT_NOTE})" if flagged else ""
        out.append(
            f'<g><title>{escape(name)}{escape(note)}</title><rect x="{x}" y="{y}" '
            f'width="{BOX_W}" height="{BOX_H}" rx="5" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + BOX_W // 2}" y="{y + BOX_H // 2 + 4}" text-anchor="middle" '
            f'font-family="sans-serif" font-size="12">{escape(_short(name))}'
            f"{' ⚠' if flagged else ''}</text></g>"
        )
    if graph.kt_flagged:
        out.append(
            f'<text x="{PAD}" y="{height - 6}" font-family="sans-serif" font-size="11" '
            f'fill="#a0561b">⚠ {escape(KT_NOTE)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
