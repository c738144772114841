"""Forms of the Meetings tab: mark held (attendees, minutes), cancel (a reason), add an
action (a task given to a person). Each carries the version the meeting was read at."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen

if TYPE_CHECKING:
    from transition.services.views.meetings import MeetingView


def _intro(row: MeetingView) -> str:
    return f"{row.title} · {row.starts_local}"


def held_form(backend: Any, slug: str, row: MeetingView) -> FormScreen:
    from transition.services import meeting_edit

    fields = [
        Field(
            "attendees",
            "Attendees",
            value=", ".join(row.attendees),
            placeholder="names separated by commas",
        ),
        Field("minutes", "Minutes", value=row.notes, placeholder="what was agreed"),
    ]

    def submit(values: dict[str, Any]) -> int:
        names = [n.strip() for n in str(values.get("attendees") or "").split(",") if n.strip()]
        minutes = str(values.get("minutes") or "")
        return backend.write(
            meeting_edit.held,
            slug,
            row.number,
            attendees=names,
            minutes=minutes or None,
            expected_version=row.version,
        ).number

    return FormScreen(
        f"Meeting {row.number} held", fields, submit, intro=_intro(row), form_id="meeting-held"
    )


def cancel_form(backend: Any, slug: str, row: MeetingView) -> FormScreen:
    from transition.services import meeting_edit

    fields = [Field("reason", "Reason", required=True, placeholder="why it will not happen")]

    def submit(values: dict[str, Any]) -> int:
        return backend.write(
            meeting_edit.cancel,
            slug,
            row.number,
            reason=str(values.get("reason") or ""),
            expected_version=row.version,
        ).number

    return FormScreen(
        f"Cancel meeting {row.number}", fields, submit, intro=_intro(row), form_id="meeting-cancel"
    )


def action_form(backend: Any, slug: str, row: MeetingView) -> FormScreen:
    from transition.services import meeting_edit

    fields = [
        Field("title", "Action", required=True, placeholder="what is to be done"),
        Field("owner", "Owner", required=True, placeholder="a person of the engagement"),
        Field("due", "Due", required=True, placeholder="YYYY-MM-DD"),
    ]

    def submit(values: dict[str, Any]) -> int:
        return backend.write(
            meeting_edit.action,
            slug,
            row.number,
            title=str(values.get("title") or ""),
            owner=str(values.get("owner") or ""),
            due=str(values.get("due") or ""),
        ).number

    return FormScreen(
        f"Action from meeting {row.number}",
        fields,
        submit,
        intro=_intro(row),
        form_id="meeting-action",
    )
