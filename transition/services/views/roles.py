"""Read models: playbook roles resolved to people, and a person's agenda."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import Timestamp, View


class RoleView(View):
    """One row of ``role list``: a role and a person holding it (``person`` None when
    tasks are owned by the role and nobody holds it yet)."""

    role: str
    person: str | None
    slug: str | None
    side: str | None
    #: Open tasks owned by the role with nobody assigned: the ones its people carry.
    open_tasks: int


class RoleChange(View):
    """What ``role assign`` (or ``--remove``) did."""

    role: str
    person: str
    assigned: bool
    #: Worth a second look (a role no task of the engagement is owned by).
    warnings: list[str] = []


class AgendaItem(View):
    """One thing a person must do: a task, a KT session, a sign-off, an expiring grant
    they approved, a release they are responsible for."""

    engagement: str
    kind: str  # task | kt | signoff | grant-expiry | release
    due: date | None
    at: Timestamp | None = None
    ref: str
    title: str
    #: Why it is theirs: ``assignee``, ``role transition-manager``, ``presenter``…
    via: str
    overdue: bool = False


class Agenda(View):
    """``transition agenda``: what a person must do across engagements."""

    person: str
    engagements: list[str]
    today: date
    until: date
    items: list[AgendaItem]
