"""What undo cannot bring back to life: access held, or a KT session planned, by a person
removed since, or access to a system removed since. ``person remove`` and ``system
remove`` refuse while such things are live; an undo does not make them live again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import Conflict
from transition.models import AccessGrant, KTParticipant, KTSession, Person, System


def check_live(session: Session, plan: Any, when: str) -> None:
    """Refuse (nothing undone) when the plan revives a grant (its revocation put back) or
    a planned KT session (its cancellation, holding or sign-off put back, an attendee put
    back) that a removed person or system would then hold."""
    grants = {
        step.row.id
        for step in plan.fields
        if step.key.entity == "access_grant" and step.column == "revoked_at" and step.value is None
    }
    sessions = {
        step.row.id
        for step in plan.fields
        if step.key.entity == "kt_session" and step.column == "status" and step.value == "planned"
    }
    # The removals the undo itself puts back (or makes again): the last step of a row wins.
    removal: dict[tuple[str, int], Any] = {}
    for step in plan.fields:
        if step.key.entity in ("person", "system") and step.column == "removed_at":
            removal[(step.key.entity, step.row.id)] = step.value

    def removed(entity: str, row_id: int, now: Any) -> bool:
        return removal.get((entity, row_id), now) is not None

    if grants:
        for grant_id, pid, person, gone_p, sid, system, gone_s in session.execute(
            select(
                AccessGrant.id,
                Person.id,
                Person.name,
                Person.removed_at,
                System.id,
                System.name,
                System.removed_at,
            )
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.id.in_(sorted(grants)))
            .order_by(AccessGrant.id)
        ):
            gone = (
                f"person {person}" if removed("person", pid, gone_p) else None,
                f"system {system}" if removed("system", sid, gone_s) else None,
            )
            if any(gone):
                raise Conflict(
                    f"{when} cannot be undone: grant {grant_id} would be active again for "
                    f"{' and '.join(g for g in gone if g)}, removed since (nothing undone)"
                )
    if sessions:
        for session_id, pid, name, gone_p in session.execute(
            select(KTParticipant.session_id, Person.id, Person.name, Person.removed_at)
            .join(Person, Person.id == KTParticipant.person_id)
            .where(KTParticipant.session_id.in_(sorted(sessions)))
            .order_by(KTParticipant.session_id, Person.id)
        ):
            if not removed("person", pid, gone_p):
                continue
            raise Conflict(
                f"{when} cannot be undone: KT session {session_id} would be planned again with "
                f"{name}, removed since (nothing undone)"
            )
    for step in plan.participants:
        if not step.add:
            continue
        person = session.get(Person, step.person_id)
        kt = session.get(KTSession, step.key.row_id)
        planned = kt is not None and (kt.status == "planned" or kt.id in sessions)
        if planned and person is not None and removed("person", person.id, person.removed_at):
            raise Conflict(
                f"{when} cannot be undone: {step.name} would be {step.role} of planned "
                f"KT session {step.key.row_id} again, removed since (nothing undone)"
            )
