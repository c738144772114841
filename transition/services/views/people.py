"""Read models: people."""

from __future__ import annotations

from datetime import date

from transition.services.views.base import View


class PersonView(View):
    id: int
    name: str
    slug: str
    side: str
    email: str | None
    role: str | None
    release_date: date | None
    version: int
