"""The demo's leavers and movers: a release refused while readiness is unmet, then
overridden with a reason; an incumbent re-badged to the provider side."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from transition.demo import _at
from transition.errors import Refused
from transition.models import Engagement, KTSession
from transition.services import access, backdate, kt, people, release


def leavers(session: Session, eng: Engagement, today: date) -> None:
    """Lucas leaves today with his KT not signed off: refused, then overridden with a
    reason; Omar moves to the provider side with his access."""
    people.add(
        session, eng, "Lucas Moreau", side="incumbent", role="Backend engineer", release_date=today
    )
    for person, role, days, why in (
        ("Lucas Moreau", "deployer", 30, "Runs the release pipeline until the handover"),
        ("Omar Haddad", "developer", 60, "Tech lead: reviews every change to the API"),
    ):
        access.grant(
            session,
            eng,
            person=person,
            system="Mobile backend API",
            role=role,
            expires=(today + timedelta(days=days)).isoformat(),
            justification=why,
        )
    walkthrough = kt.schedule(
        session,
        eng,
        system="Mobile backend API",
        topic="Release pipeline",
        presenters=["Lucas Moreau", "Omar Haddad"],
        attendees=["Nina Petrova"],
        at=_at(today - timedelta(days=3), 14),
        minutes=90,
    )
    kt.hold(session, eng, walkthrough.id)
    held = {"held_at": _at(today - timedelta(days=3), 16)}
    backdate.backdate(session, eng.id, KTSession, "kt_session", held, id=walkthrough.id)
    try:
        release.release(session, eng, "Lucas Moreau")
    except Refused:
        pass  # not ready: the walkthrough is held, not signed off
    else:  # pragma: no cover - the story needs the refusal
        raise AssertionError("the demo's release should have been refused")
    release.release(
        session,
        eng,
        "Lucas Moreau",
        override="Contract ended early; the pipeline walkthrough was recorded for the team",
    )
    release.move(session, eng, "Omar Haddad", to="provider", role="Tech lead")
