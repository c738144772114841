"""``transition report ENG [--format md|html] [-o FILE] [--since DATE] [--templates DIR]
[--audit] [--appendix FILE]``."""

from __future__ import annotations

import sys

import typer

from transition.cli.options import Engagement, Output, Since
from transition.cli.output import say
from transition.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        ctx: typer.Context,
        engagement: Engagement,
        fmt: str = typer.Option("md", "--format", metavar="md|html", help="Markdown or HTML."),
        output: Output = None,
        since: Since = None,
        templates: str | None = typer.Option(
            None,
            "--templates",
            metavar="DIR",
            envvar="TRANSITION_TEMPLATES",
            help="Folder with report.md.j2 / report.html.j2 overriding the shipped ones.",
        ),
        raw_audit: bool = typer.Option(
            False, "--audit", help="Also list the raw audit rows of the changes."
        ),
        appendix: str | None = typer.Option(
            None,
            "--appendix",
            metavar="FILE",
            help="Also write every row of the report's long lists (overdue tasks, access "
            "findings, systems, runbooks, the next 14 days, open handover items) to FILE.",
        ),
    ) -> None:
        """The weekly status report for a steering committee (Markdown or one HTML file):
        summaries, and the first rows of each long list."""
        from transition import report_render, reports
        from transition.dates import parse_date
        from transition.errors import BadInput
        from transition.services.common import get_engagement

        fmt = fmt.strip().lower()
        if fmt not in report_render.FORMATS:
            raise BadInput(f"invalid report format {fmt!r}: choose md or html", field="fmt")
        since_date = parse_date(since, "--since date") if since else None
        folder = report_render.template_dir(templates)
        from transition.services.readiness import keep_today

        with state(ctx).session() as session:
            eng = get_engagement(session, engagement)
            # Without an appendix only the first rows of each long list are read.
            top = None if appendix else reports.TOP
            data = reports.report_data(session, eng, since_date, audit=raw_audit, top=top)
        text = reports.render(data, fmt, templates=folder, appendix=appendix)
        from transition.files import write_private

        extra = write_private(appendix, reports.render_appendix(data, fmt)) if appendix else None
        if output is None:
            sys.stdout.write(text)
        else:
            path = write_private(output, text)
        # The day's readiness figure is kept once the report is made.
        with state(ctx).session(write=True) as session:
            keep_today(session, engagement, score=data["readiness"]["score"])
        if output is None or path is None:
            return
        say(f"wrote {fmt} report for {data['engagement'].slug} to {path}")
        if extra is not None:
            say(f"wrote its appendix to {extra}")
