"""Knowledge-transfer sessions (filled in by the KT work): the parts gates rely on."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from transition.models import Engagement


def key_person_risks(session: Session, engagement: Engagement) -> list[dict[str, Any]]:
    return []
