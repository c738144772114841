"""Forms to schedule and sign off knowledge-transfer sessions. What the user types goes to
the services as typed; their errors come back beside the field they are about."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transition.tui.forms.base import Field, FormScreen, arguments, choices

if TYPE_CHECKING:
    from transition.services.views.kt import KTSessionView

CONFIDENCE = ((1, "low"), (2, "shaky"), (3, "fair"), (4, "good"), (5, "high"))


def kt_schedule_form(
    backend: Any,
    slug: str,
    people: list,
    systems: list,
    zone: str = "UTC",
    topics: dict[str, list[str]] | None = None,
) -> FormScreen:
    """``zone``: the engagement's time zone, which the start is read in; ``topics``: each
    system's topics by its name, offered as the topics the session covers once the system
    is chosen."""
    by_system = topics or {}
    from transition.playbooks import KT_KINDS
    from transition.services import kt

    fields = [
        Field("system", "System", "select", systems, required=True),
        Field("topic", "Topic", required=True),
        Field(
            "covers",
            "Covers topics",
            "multi",
            options_from=("system", lambda name: [(t, t) for t in by_system.get(name, [])]),
        ),
        Field("kind", "Kind", "select", choices(KT_KINDS), value="walkthrough"),
        Field("presenter", "Presenter", "select", people, required=True, argument="presenters"),
        Field("attendees", "Attendees", placeholder="names, comma-separated"),
        Field(
            "at",
            f"When ({zone})",
            required=True,
            placeholder=f"YYYY-MM-DDTHH:MM in {zone}, or with an offset (+01:00)",
        ),
        Field("minutes", "Minutes", value="60"),
    ]

    def submit(values: dict[str, Any]) -> int:
        return backend.write(kt.schedule, slug, **arguments(fields, values)).id

    return FormScreen("Schedule a KT session", fields, submit, form_id="kt-schedule")


def kt_signoff_form(backend: Any, slug: str, row: KTSessionView, attendees: list) -> FormScreen:
    from transition.services import kt

    fields = [
        Field("by", "Signed by", "select", attendees, required=True),
        Field(
            "confidence", "Confidence", "select", [(f"{n} · {w}", str(n)) for n, w in CONFIDENCE]
        ),
        Field("follow_ups", "Follow-ups"),
    ]

    def submit(values: dict[str, Any]) -> int:
        given = arguments(fields, values)
        return backend.write(kt.signoff, slug, row.id, expected_version=row.version, **given).id

    return FormScreen(
        f"Sign off KT session {row.id}",
        fields,
        submit,
        intro=f"{row.system} · {row.kind} · {row.topic}",
        form_id="kt-signoff",
    )


def kt_hold_form(backend: Any, slug: str, row: KTSessionView) -> FormScreen:
    """Record ``row`` as held, with anyone else who attended; a session whose start is
    still ahead asks for a second save, as a confirmation. Closes with the session."""
    from transition.dates import utcnow
    from transition.services import kt

    fields = [
        Field(
            "attendees",
            "Also attended",
            placeholder="optional: names not invited, comma-separated",
        )
    ]
    early = row.starts_at > utcnow()
    preview = None
    if early:
        minutes = int((row.starts_at - utcnow()).total_seconds() // 60)
        ahead = f"{minutes // 1440}d" if minutes >= 1440 else f"{minutes // 60}h{minutes % 60:02d}"

        def preview(values: dict[str, Any]) -> str:
            return (
                f"This session starts {row.starts_local}, {ahead} from now. Held before its "
                "start cannot be taken back: save again to record it as held."
            )

    def submit(values: dict[str, Any]) -> KTSessionView:
        return backend.write(
            kt.hold, slug, row.id, expected_version=row.version, **arguments(fields, values)
        )

    when = "not started yet · " if early else ""
    return FormScreen(
        f"KT session {row.id} held",
        fields,
        submit,
        intro=f"{when}{row.system} · {row.kind} · {row.topic} · {row.starts_local}",
        preview=preview,
        form_id="kt-hold",
    )
