"""Removing a system never drops live access off the exit checklist: a system with active
grants is refused, unless ``--revoke-access REASON`` revokes them in the same change."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety import refused_unwritten
from sqlalchemy import select

from transition.errors import Refused, TransitionError
from transition.models import AccessGrant, AuditEvent, HandoverItem, System
from transition.playbooks import resolve_playbook
from transition.services import access, audit, engagements, handover, people, systems
from transition.services.common import get_engagement

PLAYBOOK, RAW, _ = resolve_playbook("managed-service-onboarding")
SYSTEMS = ("CRM", "Payroll")
PEOPLE = ("Ann", "Bob")

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("grant"),
            st.sampled_from(PEOPLE),
            st.sampled_from(SYSTEMS),
            st.sampled_from(("reader", "admin")),
        ),
        st.tuples(st.just("revoke"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("add"), st.sampled_from(SYSTEMS)),
        st.tuples(st.just("remove"), st.sampled_from(SYSTEMS), st.booleans()),
    ),
    min_size=1,
    max_size=10,
)


def _apply(s, eng, op: tuple) -> None:
    if op[0] == "grant":
        access.grant(s, eng, person=op[1], system=op[2], role=op[3])
    elif op[0] == "revoke":
        ids = s.execute(select(AccessGrant.id).where(AccessGrant.engagement_id == eng.id)).scalars()
        ids = sorted(ids)
        if ids:
            access.revoke(s, eng, ids[op[1] % len(ids)])
    elif op[0] == "add":
        systems.add(s, eng, op[1])
    else:
        systems.remove(s, eng, op[1], revoke_access="out of scope" if op[2] else None)


def _check_invariant(s, eng) -> None:
    rows = s.execute(
        select(AccessGrant.id, AccessGrant.revoked_at, System.removed_at, HandoverItem.status)
        .join(System, System.id == AccessGrant.system_id)
        .join(
            HandoverItem,
            (HandoverItem.engagement_id == eng.id)
            & (HandoverItem.source_kind == "grant")
            & (HandoverItem.source_id == AccessGrant.id),
        )
        .where(AccessGrant.engagement_id == eng.id)
    ).all()
    for gid, revoked_at, removed_at, status in rows:
        if revoked_at is None:
            assert status == "open", f"active grant {gid} has a {status} revoke item"
            assert removed_at is None, f"active grant {gid} on a removed system"


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_removed_systems_never_hide_live_access(session_scope, ops):
    with session_scope() as s:
        eng = engagements.create(s, name=f"Rm {uuid.uuid4().hex[:10]}", playbook=PLAYBOOK, raw=RAW)
        for name in PEOPLE:
            people.add(s, eng, name, side="provider")
        for name in SYSTEMS:
            systems.add(s, eng, name)
        slug = eng.slug
    for op in ops:
        with session_scope(write=False) as s:
            before = audit.count(s, get_engagement(s, slug).id)
        try:
            with session_scope() as s:
                _apply(s, get_engagement(s, slug), op)
        except TransitionError:
            with session_scope(write=False) as s:
                assert audit.count(s, get_engagement(s, slug).id) == before
        with session_scope(write=False) as s:
            _check_invariant(s, get_engagement(s, slug))
        with session_scope() as s:
            eng = get_engagement(s, slug)
            assert handover.reconcile(s, eng) == {
                "added": 0, "resolved": 0, "retired": 0, "reopened": 0
            }  # fmt: skip


def test_remove_is_refused_while_access_is_live(session_scope):
    with session_scope() as s:
        eng = engagements.create(s, name="Rm Refused", playbook=PLAYBOOK, raw=RAW)
        people.add(s, eng, "Ann", side="provider")
        people.add(s, eng, "Bob", side="provider")
        systems.add(s, eng, "CRM")
        g1 = access.grant(s, eng, person="Ann", system="CRM", role="admin").id
        g2 = access.grant(s, eng, person="Bob", system="CRM", role="reader").id
        access.revoke(s, eng, g2)
    with session_scope() as s:
        eng = get_engagement(s, "Rm Refused")
        try:
            systems.remove(s, eng, "CRM")
        except Refused as exc:
            assert f"grant {g1} (Ann, admin)" in exc.message
            assert f"grant {g2}" not in exc.message
            assert "--revoke-access" in exc.message
        else:
            raise AssertionError("removal with live access was not refused")


def test_revoke_access_revokes_each_grant_audited(cli, session_scope):
    eng = "Rm Cli"
    assert cli("engagement", "new", eng, "--playbook", "managed-service-onboarding").exit_code == 0
    for person in PEOPLE:
        assert cli("person", "add", eng, person, "--side", "provider").exit_code == 0
    assert cli("system", "add", eng, "CRM").exit_code == 0
    for person in PEOPLE:
        args = ["access", "grant", eng, "--person", person, "--system", "CRM", "--role", "ops"]
        assert cli(*args).exit_code == 0
    refused = cli("system", "remove", eng, "CRM")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: system crm still has 2 active grant(s)")
    assert "grant 1 (Ann, ops), grant 2 (Bob, ops)" in refused.stderr
    done = cli("system", "remove", eng, "CRM", "--revoke-access", "contract ended")
    assert done.exit_code == 0, done.stderr
    with session_scope(write=False) as s:
        e = get_engagement(s, eng)
        grants = s.execute(select(AccessGrant).where(AccessGrant.engagement_id == e.id))
        for grant in grants.scalars():
            assert grant.revoked_at is not None and grant.revoke_reason == "contract ended"
        reasons = s.execute(
            select(AuditEvent.entity_id).where(
                AuditEvent.engagement_id == e.id,
                AuditEvent.entity == "access_grant",
                AuditEvent.field == "revoke_reason",
                AuditEvent.after == "contract ended",
            )
        ).scalars()
        assert sorted(reasons) == [1, 2]
        resolves = s.execute(
            select(AuditEvent.entity_id).where(
                AuditEvent.engagement_id == e.id,
                AuditEvent.entity == "handover_item",
                AuditEvent.action == "resolve",
            )
        ).all()
        assert len(resolves) == 2  # each revoke item resolved by its revocation
        _check_invariant(s, e)


def test_remove_is_refused_while_a_kt_session_on_it_is_planned(cli, engine, acme):
    for person, side in (("Ann Old", "incumbent"), ("Bob New", "provider")):
        assert cli("person", "add", acme, person, "--side", side).exit_code == 0
    assert cli("system", "add", acme, "CRM").exit_code == 0
    kt = ("kt", "schedule", acme, "--system", "CRM", "--topic", "Batch jobs",
          "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-12-01T15:00")  # fmt: skip
    assert cli(*kt).exit_code == 0
    for args in ((), ("--revoke-access", "out of scope")):
        error = refused_unwritten(cli, engine, "system", "remove", acme, "CRM", *args)
        assert error == (
            "error: system crm still has 1 planned KT session(s): KT session 1 (Batch jobs); "
            "cancel or hold them first\n"
        )
    assert cli("kt", "cancel", acme, "1", "--reason", "CRM leaves the scope").exit_code == 0
    assert cli("system", "remove", acme, "CRM").exit_code == 0
