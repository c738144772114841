"""The exit-handover checklist (filled in by the handover work): reconciliation entry point."""

from __future__ import annotations

from sqlmodel import Session

from transition.models import Engagement


def reconcile(session: Session, engagement: Engagement, **scope: object) -> None:
    return None
