"""Forms that write one engagement's documents to a file, as the CLI's ``-o`` does: the
status report (Markdown or HTML), a calendar (.ics: the KT sessions, or everything with a
date) and the exit checklist as a reusable YAML. Each is read in a read-only unit of work
and written atomically, readable by its owner only; each form closes with the path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from transition.tui.forms.base import Field, FormScreen

REPLACE = Field(
    "replace",
    "If it exists",
    kind="select",
    options=[("keep it: refuse", "no"), ("replace it", "yes")],
    value="no",
)


def target_of(path_text: str, *, replace: bool) -> Path:
    """The file ``path_text`` names (a leading ``~`` is the home folder), checked before
    anything is read: an existing file is refused unless it is to be replaced, and so is
    a folder, a link or a missing folder."""
    from transition.errors import Refused
    from transition.files import check_target

    target = Path(path_text).expanduser()
    if check_target(target) is not None and not replace:
        raise Refused(f"{target} already exists: choose another name, or replace it", field="path")
    return target


def write_to(path_text: str, data: str | bytes, *, replace: bool) -> Path:
    """``data`` written to ``path_text``; an existing file is replaced only when asked.
    Returns the absolute path written."""
    from transition.files import PRIVATE, write_file

    target = target_of(path_text, replace=replace)
    return write_file(target, data, mode=PRIVATE, replace=replace).resolve()


def _form(
    title: str,
    fields: list[Field],
    produce: Callable[[dict[str, Any]], str | bytes],
    *,
    intro: str,
    form_id: str,
    path_of: Callable[[dict[str, Any]], str] = lambda values: values["path"],
) -> FormScreen:
    def submit(values: dict[str, Any]) -> Path:
        path, replace = path_of(values), values.get("replace") == "yes"
        target_of(path, replace=replace)  # a refused file costs no reading
        return write_to(path, produce(values), replace=replace)

    return FormScreen(title, [*fields, REPLACE], submit, intro=intro, form_id=form_id)


def path_field(default: str) -> Field:
    return Field("path", "File", required=True, value=default, placeholder="a file name or path")


def report_form(backend: Any, slug: str, today: date) -> FormScreen:
    """The weekly status report; the day's readiness figure is kept once it is written,
    as ``transition report`` keeps it."""
    from transition import report_render, reports
    from transition.services.common import get_engagement
    from transition.services.readiness import keep_today

    def produce(values: dict[str, Any]) -> str:
        fmt = values["format"] or "md"
        folder = report_render.template_dir(None)

        def read(session: Any) -> Any:
            return reports.report_data(session, get_engagement(session, slug))

        text = reports.render(backend.read(read), fmt, templates=folder)
        backend.write(keep_today, slug)
        return text

    fields = [
        Field(
            "format",
            "Format",
            kind="select",
            options=[("Markdown", "md"), ("HTML (one file)", "html")],
            value="md",
        ),
        path_field(f"{slug}-report-{today.isoformat()}.md"),
    ]
    default = fields[1].value

    def path_of(values: dict[str, Any]) -> str:
        """The default name follows the format chosen; a name typed is kept as typed."""
        if values["path"] == default and values["format"] == "html":
            return default.removesuffix(".md") + ".html"
        return values["path"]

    return _form(
        "Write the status report",
        fields,
        produce,
        intro="The weekly report for the steering committee (transition report).",
        form_id="export-report",
        path_of=path_of,
    )


def calendar_form(backend: Any, slug: str) -> FormScreen:
    """The KT sessions (``transition kt ics``) or everything with a date (``transition
    calendar``) as one iCalendar file; importing it again updates the entries."""
    from transition.services import calendar, kt_calendar

    def produce(values: dict[str, Any]) -> bytes:
        if values["what"] == "all":
            return backend.read(calendar.ics, slug, None)
        return backend.read(kt_calendar.ics, slug)

    fields = [
        Field(
            "what",
            "What",
            kind="select",
            options=[
                ("KT sessions", "kt"),
                ("Everything with a date: KT, meetings, milestones, tasks, expiries", "all"),
            ],
            value="kt",
        ),
        path_field(f"{slug}.ics"),
    ]
    return _form(
        "Export a calendar (.ics)",
        fields,
        produce,
        intro="Re-importing the file updates the entries it added before.",
        form_id="export-calendar",
    )


def checklist_form(backend: Any, slug: str) -> FormScreen:
    """The exit checklist's own items as a reusable checklist (``handover export``)."""
    from transition.services import handover

    def produce(values: dict[str, Any]) -> str:
        return backend.read(handover.export_checklist, slug, name=values["name"] or None)

    fields = [
        path_field(f"{slug}-checklist.yaml"),
        Field(
            "name",
            "Checklist name",
            placeholder="optional (default: the engagement's name, then -exit)",
        ),
    ]
    return _form(
        "Export the exit checklist",
        fields,
        produce,
        intro="A YAML checklist another engagement (or a playbook's handover:) can start from.",
        form_id="export-checklist",
    )
