"""Property: whatever sequence of grant / revoke / add system / remove system / sync runs,
the derived handover items stay in step with their sources after every step, a sync
finds nothing to do, and every change to an item has its audit event."""

from __future__ import annotations

import uuid
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from transition.errors import TransitionError
from transition.models import AccessGrant, AuditEvent, HandoverItem, System
from transition.playbooks import resolve_playbook
from transition.services import access, audit, engagements, handover, people, systems
from transition.services.common import get_engagement

PLAYBOOK, RAW, _ = resolve_playbook("managed-service-onboarding")
SYSTEMS = ("CRM", "Payroll", "Billing")
PEOPLE = ("Ann", "Bob")
ROLES = ("reader", "operator")
ZERO = {"added": 0, "resolved": 0, "retired": 0, "reopened": 0}

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("grant"),
            st.sampled_from(PEOPLE),
            st.sampled_from(SYSTEMS),
            st.sampled_from(ROLES),
        ),
        st.tuples(st.just("revoke"), st.integers(min_value=0, max_value=7)),
        st.tuples(st.just("add_system"), st.sampled_from(SYSTEMS)),
        st.tuples(st.just("remove_system"), st.sampled_from(SYSTEMS)),
        st.tuples(st.just("sync")),
    ),
    min_size=1,
    max_size=14,
)


def _new_engagement(session_scope) -> str:
    with session_scope() as s:
        eng = engagements.create(
            s, name=f"Prop {uuid.uuid4().hex[:10]}", playbook=PLAYBOOK, raw=RAW
        )
        for name in PEOPLE:
            people.add(s, eng, name, side="provider")
        systems.add(s, eng, SYSTEMS[0])
        return eng.slug


def _apply(session_scope, slug: str, op: tuple) -> dict[str, int] | None:
    with session_scope() as s:
        eng = get_engagement(s, slug)
        kind = op[0]
        if kind == "grant":
            access.grant(s, eng, person=op[1], system=op[2], role=op[3])
        elif kind == "revoke":
            ids = (
                s.execute(
                    select(AccessGrant.id)
                    .where(AccessGrant.engagement_id == eng.id)
                    .order_by(AccessGrant.id)
                )
                .scalars()
                .all()
            )
            if not ids:
                return None
            access.revoke(s, eng, ids[op[1] % len(ids)])
        elif kind == "add_system":
            systems.add(s, eng, op[1])
        elif kind == "remove_system":
            systems.remove(s, eng, op[1])
        else:
            return handover.reconcile(s, eng)
    return None


def _check(session_scope, slug: str) -> None:
    with session_scope(write=False) as s:
        eng = get_engagement(s, slug)
        removed = {
            sid: removed_at is not None
            for sid, removed_at in s.execute(
                select(System.id, System.removed_at).where(System.engagement_id == eng.id)
            )
        }
        grants = s.execute(
            select(AccessGrant.id, AccessGrant.system_id, AccessGrant.revoked_at).where(
                AccessGrant.engagement_id == eng.id
            )
        ).all()
        items = s.execute(
            select(HandoverItem.id, HandoverItem.key, HandoverItem.status).where(
                HandoverItem.engagement_id == eng.id, HandoverItem.source == "derived"
            )
        ).all()
        last_status: dict[int, str] = {}
        created: set[int] = set()
        per_item: dict[int, int] = defaultdict(int)
        for entity_id, action, field, after in s.execute(
            select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.field, AuditEvent.after)
            .where(AuditEvent.engagement_id == eng.id, AuditEvent.entity == "handover_item")
            .order_by(AuditEvent.id)
        ):
            if field == "status":
                last_status[entity_id] = after
                per_item[entity_id] += 1
            if action == "derive":
                created.add(entity_id)

    by_key: dict[str, list] = defaultdict(list)
    for item in items:
        by_key[item.key].append(item)
    assert all(len(v) == 1 for v in by_key.values()), "one item per derived key"
    open_revoke = {i.key for i in items if i.key.startswith("grant:") and i.status == "open"}
    active = {
        handover.derived_key("grant", gid)
        for gid, sid, revoked_at in grants
        if revoked_at is None and not removed[sid]
    }
    assert open_revoke == active, "exactly one open revoke item per active grant"
    for gid, sid, revoked_at in grants:
        [item] = by_key[handover.derived_key("grant", gid)]
        if revoked_at is not None:
            assert item.status in ("resolved", "retired"), "no open item for a revoked grant"
        if removed[sid]:
            assert item.status == "retired"
    for sid, is_removed in removed.items():
        [item] = by_key[handover.derived_key("system", sid)]
        assert item.status == ("retired" if is_removed else "open")
    # Every derived item was created with an audit event and its current status is the
    # one its latest audit event recorded: no change went unrecorded.
    assert {i.id for i in items} == created
    for item in items:
        assert last_status[item.id] == item.status


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_derived_items_stay_in_step(session_scope, ops):
    slug = _new_engagement(session_scope)
    _check(session_scope, slug)
    for op in ops:
        with session_scope(write=False) as s:
            before = audit.count(s, get_engagement(s, slug).id)
        try:
            result = _apply(session_scope, slug, op)
        except TransitionError:
            # Refused (revoking twice, duplicate grant, removing a removed system…):
            # nothing at all was written.
            with session_scope(write=False) as s:
                assert audit.count(s, get_engagement(s, slug).id) == before
            result = None
        if op[0] == "sync":
            # Every mutation reconciled in its own transaction: sync has nothing to do.
            assert result == ZERO
        _check(session_scope, slug)
        with session_scope() as s:
            eng = get_engagement(s, slug)
            assert handover.reconcile(s, eng) == ZERO, "sync is idempotent"
            assert audit.count(s, eng.id) >= before
