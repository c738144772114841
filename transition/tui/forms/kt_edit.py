"""Forms to reschedule, cancel and edit a planned KT session, prefilled from the row and
carrying the version it was read at: a session changed meanwhile is refused, naming who
changed it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.errors import TransitionError
from transition.tui.forms.base import Field, FormScreen, arguments

if TYPE_CHECKING:
    from transition.services.views.kt import KTSessionView


def _intro(row: KTSessionView) -> str:
    return f"{row.system} · {row.kind} · {row.topic}"


def kt_reschedule_form(backend: Any, slug: str, row: KTSessionView) -> FormScreen:
    from transition.services import kt_edit
    from transition.services.kt_times import form_value

    zone = row.timezone
    fields = [
        Field(
            "at",
            f"When ({zone})",
            required=True,
            value=form_value(row.starts_at, None if zone == "UTC" else zone),
            placeholder=f"YYYY-MM-DDTHH:MM in {zone}, or with an offset (+01:00)",
        ),
        Field("minutes", "Minutes", value=str(row.minutes)),
    ]

    def submit(values: dict[str, Any]) -> int:
        given = arguments(fields, values)
        return backend.write(
            kt_edit.reschedule, slug, row.id, expected_version=row.version, **given
        ).id

    return FormScreen(
        f"Reschedule KT session {row.id}",
        fields,
        submit,
        intro=_intro(row),
        form_id="kt-reschedule",
    )


def kt_cancel_form(backend: Any, slug: str, row: KTSessionView) -> FormScreen:
    from transition.services import kt_edit

    fields = [Field("reason", "Reason", required=True, placeholder="why it will not happen")]

    def submit(values: dict[str, Any]) -> int:
        given = arguments(fields, values)
        return backend.write(kt_edit.cancel, slug, row.id, expected_version=row.version, **given).id

    return FormScreen(
        f"Cancel KT session {row.id}", fields, submit, intro=_intro(row), form_id="kt-cancel"
    )


def kt_edit_form(
    backend: Any, slug: str, row: KTSessionView, topics: list[str] | None = None
) -> FormScreen:
    """Topic and attendees (names, comma-separated) as they are; what was added to or
    taken from the list is passed on as attendees to add and to remove. ``topics``: the
    system's topics, offered ticked where the session covers them; a changed choice
    replaces what it covers. A held or signed-off session changes only what it covers."""
    from transition.services import kt_edit
    from transition.text import slugify

    planned = row.status == "planned"
    covers = Field(
        "covers",
        "Covers topics",
        "multi",
        [(t, t) for t in dict.fromkeys([*(topics or []), *row.covers])],
        selected=list(row.covers),
    )
    fields = [
        *(
            [
                Field("topic", "Topic", required=True, value=row.topic),
                Field(
                    "attendees",
                    "Attendees",
                    value=", ".join(row.attendees),
                    placeholder="names, comma-separated",
                ),
            ]
            if planned
            else []
        ),
        covers,
    ]

    def submit(values: dict[str, Any]) -> int:
        wanted = [n.strip() for n in values.get("attendees", "").split(",") if n.strip()]
        have = {slugify(a): a for a in row.attendees} if planned else {}
        want = {slugify(n): n for n in wanted}
        topic = values.get("topic", row.topic)
        chosen = values["covers"]
        try:
            return backend.write(
                kt_edit.update,
                slug,
                row.id,
                topic=None if topic == row.topic else topic,
                add_attendees=[n for s, n in want.items() if s not in have],
                remove_attendees=[a for s, a in have.items() if s not in want],
                covers=None if set(chosen) == set(row.covers) else chosen,
                expected_version=row.version,
            ).id
        except TransitionError as exc:
            if exc.field in ("add_attendees", "remove_attendees"):
                exc.field = "attendees"
            raise

    return FormScreen(
        f"Edit KT session {row.id}", fields, submit, intro=_intro(row), form_id="kt-edit"
    )
