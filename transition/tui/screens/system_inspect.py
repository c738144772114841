"""How the system inspector (``screens.inspector.SystemInspector``) names a person."""

from __future__ import annotations

from transition.services.views.owners import Holding

ROLE_NAMES = {"owner": "owner", "sme": "SME", "backup": "backup"}


def person_line(h: Holding) -> str:
    """``owner · Uma Old (incumbent, leaving 2027-01-29)``."""
    leaving = f", leaving {h.release_date}" if h.release_date and h.side == "incumbent" else ""
    return f"{ROLE_NAMES.get(h.role, h.role)} · {h.person} ({h.side}{leaving})"
