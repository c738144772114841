"""Random sequences of renames, removals, re-adds and grants: names stay unique, every
derived checklist item names its source as it is now, and the log replays to the rows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from transition.models import Engagement, Person
from transition.services import engagements, people, systems

# ------------------------------------------------------------------ random edit sequences

NAMES = ("Ann", "Bob", "Cy", "ann", "Dee Dee")
SYSTEM_NAMES = ("CRM", "Payroll", "crm", "Mail")

edit_ops = st.lists(
    st.one_of(
        st.tuples(st.just("rename_person"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
        st.tuples(st.just("remove_person"), st.sampled_from(NAMES)),
        st.tuples(st.just("add_person"), st.sampled_from(NAMES)),
        st.tuples(
            st.just("rename_system"), st.sampled_from(SYSTEM_NAMES), st.sampled_from(SYSTEM_NAMES)
        ),
        st.tuples(st.just("tier"), st.sampled_from(SYSTEM_NAMES), st.sampled_from((1, 2, 3))),
        st.tuples(st.just("grant"), st.sampled_from(NAMES), st.sampled_from(SYSTEM_NAMES)),
        st.tuples(
            st.just("revoke_all"),
        ),
    ),
    min_size=1,
    max_size=8,
)


def _edit(s, eng, op: tuple) -> None:
    from transition.services import access

    kind = op[0]
    if kind == "rename_person":
        people.update(s, eng, op[1], new_name=op[2])
    elif kind == "remove_person":
        people.remove(s, eng, op[1])
    elif kind == "add_person":
        people.add(s, eng, op[1], side="provider")
    elif kind == "rename_system":
        systems.update(s, eng, op[1], new_name=op[2])
    elif kind == "tier":
        systems.update(s, eng, op[1], tier=op[2])
    elif kind == "grant":
        access.grant(s, eng, person=op[1], system=op[2], role="reader")
    else:
        for g in access.list_grants(s, eng):
            if g.revoked_at is None:
                access.revoke(s, eng, g.id, reason="done")


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=edit_ops)
def test_random_edits_keep_names_unique_the_checklist_named_and_the_log_true(session_scope, ops):
    """Whatever edits succeed or are refused: slugs stay unique among people and systems,
    every derived item names its source's current name, and the log replays to the rows."""
    import uuid

    from transition.errors import TransitionError
    from transition.models import AccessGrant, HandoverItem, System
    from transition.playbooks import resolve_playbook
    from transition.services import audit_verify

    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with session_scope() as s:
        eng = engagements.create(s, name=f"Ed {uuid.uuid4().hex[:10]}", playbook=playbook, raw=raw)
        slug = eng.slug
        for name in ("Ann", "Bob"):
            people.add(s, eng, name, side="incumbent")
        for name in ("CRM", "Payroll"):
            systems.add(s, eng, name)
    for op in ops:
        try:
            with session_scope() as s:
                _edit(s, slug, op)
        except TransitionError:
            pass
    with session_scope(write=False) as s:
        eid = s.execute(select(Engagement.id).where(Engagement.slug == slug)).scalar_one()
        person_slugs = s.execute(select(Person.slug).where(Person.engagement_id == eid)).scalars()
        person_slugs = list(person_slugs)
        assert len(person_slugs) == len(set(person_slugs))
        rows = s.execute(
            select(AccessGrant.id, AccessGrant.role, Person.name, System.name)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(System, System.id == AccessGrant.system_id)
            .where(AccessGrant.engagement_id == eid)
        ).all()
        titles = dict(
            s.execute(
                select(HandoverItem.source_id, HandoverItem.title).where(
                    HandoverItem.engagement_id == eid, HandoverItem.source_kind == "grant"
                )
            ).all()
        )
        for gid, role, person, system in rows:
            assert titles[gid] == f"Revoke {role} access to {system} for {person}"
        for sid, name in s.execute(
            select(System.id, System.name).where(System.engagement_id == eid)
        ).all():
            item = s.execute(
                select(HandoverItem.title).where(
                    HandoverItem.engagement_id == eid,
                    HandoverItem.source_kind == "system",
                    HandoverItem.source_id == sid,
                )
            ).scalar_one()
            assert item == f"Reverse KT of {name} to the successor"
        result = audit_verify.verify(s, slug)
        assert result.intact, result.problems
