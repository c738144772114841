"""Read models: an exit engagement started from a running one."""

from __future__ import annotations

from transition.services.views.base import View


class ExitStart(View):
    """``engagement new --exit-of``: the exit engagement and what it carried over."""

    slug: str
    name: str
    exit_of: str
    playbook: str
    outgoing: str
    incoming: str
    people: int
    systems: int
    topics: int
    owners: int
    grant_items: int
    runbook_items: int
