"""Read models: people."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import View
from transition.services.views.engagements import FieldChange


class PersonView(View):
    id: int
    name: str
    slug: str
    side: str
    email: str | None
    role: str | None
    release_date: date | None
    timezone: str | None = None
    version: int


class PersonChange(View):
    """What ``person set`` and ``person remove`` left: the person and the fields changed."""

    person: PersonView
    changes: list[FieldChange]
    #: Worth a second look (a side change or a release with access still held).
    warnings: list[str] = []
