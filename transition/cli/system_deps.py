"""``transition system depends|map``: the dependency map (registered on ``system``)."""

from __future__ import annotations

import typer

from transition.cli.options import AsJson, Engagement
from transition.cli.output import emit_json, say
from transition.cli.state import call, change


def depends(
    ctx: typer.Context,
    engagement: Engagement,
    name: str = typer.Argument(..., metavar="SYSTEM"),
    on: str = typer.Option(..., "--on", metavar="OTHER", help="The system it depends on."),
    kind: str | None = typer.Option(None, "--kind", metavar="data|auth|network|batch"),
    remove: bool = typer.Option(False, "--remove", help="It no longer depends on OTHER."),
) -> None:
    """Record that SYSTEM depends on OTHER (default kind: data); a cycle is refused."""
    from transition.services import dependencies

    result = change(ctx, dependencies.depends, engagement, name, on=on, kind=kind, remove=remove)
    if result.removed:
        say(f"{result.system} no longer depends on {result.depends_on}")
    else:
        say(f"{result.system} depends on {result.depends_on} ({result.kind})")


def map_(
    ctx: typer.Context,
    engagement: Engagement,
    fmt: str = typer.Option("text", "--format", metavar="text|dot|svg"),
    as_json: AsJson = False,
) -> None:
    """The dependency map: by layer as text with the cutover order (each system after the
    systems it depends on), as Graphviz DOT, or as SVG; systems whose KT is flagged (a
    system they depend on has no KT signed off) are marked. ``--json``: the map, its
    cutover order included, for scripts."""
    from transition import map_render
    from transition.errors import BadInput
    from transition.services import dependencies

    renderers = {
        "text": map_render.render_text,
        "dot": map_render.render_dot,
        "svg": map_render.render_svg,
    }
    if fmt not in renderers:
        raise BadInput(f"invalid format {fmt!r}: choose text, dot or svg")
    graph = call(ctx, dependencies.system_map, engagement)
    if as_json:
        emit_json(graph)
        return
    say(renderers[fmt](graph))


def say_kt_flags(ctx: typer.Context, engagement: str) -> None:
    """``! KT flagged`` lines: systems depending on a system with no KT signed off."""
    from transition.services import dependencies

    for system, below in call(ctx, dependencies.kt_flagged, engagement).items():
        say(f"! KT flagged: {system} depends on {', '.join(below)}, with no KT signed off")


def register(app: typer.Typer) -> None:
    app.command("depends")(depends)
    app.command("map")(map_)
