"""Forms to schedule and sign off knowledge-transfer sessions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from transition.tui.forms.base import (
    Field,
    FormScreen,
    check_datetime,
    check_int,
    check_text,
    choices,
)


def kt_schedule_form(backend: Any, slug: str, people: list, systems: list) -> FormScreen:
    from transition.playbooks import KT_KINDS

    return FormScreen(
        "Schedule a KT session",
        [
            Field("system", "System", "select", systems, required=True),
            Field("topic", "Topic", required=True, check=check_text("the topic")),
            Field("kind", "Kind", "select", choices(KT_KINDS), value="walkthrough"),
            Field("presenter", "Presenter", "select", people, required=True),
            Field("attendees", "Attendees", placeholder="names, comma-separated"),
            Field(
                "at",
                "When (UTC)",
                required=True,
                placeholder="YYYY-MM-DDTHH:MM in UTC, or with an offset (+01:00)",
                check=check_datetime("session time"),
            ),
            Field(
                "minutes",
                "Minutes",
                value="60",
                check=check_int("minutes", 5, 600),
            ),
        ],
        partial(backend.kt_schedule, slug),
        form_id="kt-schedule",
    )


def kt_signoff_form(backend: Any, slug: str, row: dict[str, Any], attendees: list) -> FormScreen:
    def submit(values: dict[str, Any]) -> int:
        backend.kt_signoff(slug, row["id"], {**values, "version": row["version"]})
        return row["id"]

    return FormScreen(
        f"Sign off KT session {row['id']}",
        [
            Field("by", "Signed by", "select", attendees, required=True),
            Field(
                "confidence",
                "Confidence",
                "select",
                [
                    (f"{n} · {w}", str(n))
                    for n, w in ((1, "low"), (2, "shaky"), (3, "fair"), (4, "good"), (5, "high"))
                ],
            ),
            Field("follow_ups", "Follow-ups", check=check_text("the follow-ups")),
        ],
        submit,
        intro=f"{row['system']} · {row['kind']} · {row['topic']}",
        form_id="kt-signoff",
    )
