"""Forms of the RAID tab: add an entry, close one with a resolution."""

from __future__ import annotations

from typing import Any

from transition.services.views.raid import PARTIES, RAID_KINDS
from transition.tui.forms.base import Field, FormScreen, arguments, choices

SCALE = [(str(n), str(n)) for n in range(1, 6)]


def add_raid_form(backend: Any, slug: str, people: list[tuple[str, str]]) -> FormScreen:
    """Closes with the readable id of the entry added (``R-3``)."""
    from transition.services import raid

    fields = [
        Field("kind", "Type", "select", choices(list(RAID_KINDS)), value="risk", required=True),
        Field("title", "Title", required=True, placeholder="e.g. Key engineer leaves early"),
        Field("owner", "Owner", "select", people),
        Field("party", "Party", "select", choices(PARTIES)),
        Field("probability", "Probability (risks)", "select", SCALE),
        Field("impact", "Impact (risks)", "select", SCALE),
        Field("due", "Due", placeholder="YYYY-MM-DD"),
        Field("mitigation", "Mitigation"),
    ]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(raid.add, slug, **arguments(fields, values)).ref

    return FormScreen("Add a RAID entry", fields, submit, form_id="add-raid")


def close_raid_form(backend: Any, slug: str, ref: str, title: str) -> FormScreen:
    """Closes with the readable id of the entry closed."""
    from transition.services import raid

    fields = [Field("resolution", "Resolution", required=True, placeholder="what settled it")]

    def submit(values: dict[str, Any]) -> str:
        return backend.write(raid.close, slug, ref, resolution=values["resolution"]).item.ref

    return FormScreen(f"Close {ref}: {title}", fields, submit, form_id="close-raid")
