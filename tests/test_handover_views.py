"""The handover and audit verbs through their public interface: they take the engagement
by name, return read models, and name the argument an error is about."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from sqlalchemy import delete

from transition.errors import BadInput, NotFound, Refused
from transition.models import AccessGrant, Person
from transition.services import access, audit, handover, rows
from transition.services.common import get_engagement
from transition.services.views.audit import AuditEventView, AuditVerification, RecentChanges
from transition.services.views.handover import (
    ChecklistImport,
    ChecklistRef,
    GrantRef,
    HandoverItemView,
    HandoverSync,
)

ENG = "acme-helpdesk"


@pytest.fixture
def team(acme, cli):
    for args in (
        ("system", "add", acme, "CRM"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    return acme


def test_show_sync_and_tick_take_the_name_and_return_views(team, session_scope):
    with session_scope() as s:
        access.grant(s, get_engagement(s, ENG), person="Bob New", system="CRM", role="admin")
    with session_scope(write=False) as s:
        items = handover.show(s, ENG)
    assert items and all(isinstance(i, HandoverItemView) for i in items)
    [grant_item] = [i for i in items if i.source_kind == "grant"]
    assert grant_item.derived and isinstance(grant_item.source_ref, GrantRef)
    assert grant_item.source_ref.model_dump() == {
        "grant_id": grant_item.source_id,
        "person": "Bob New",
        "system": "CRM",
        "role": "admin",
    }
    static = next(i for i in items if not i.derived)
    assert static.source_ref == ChecklistRef(checklist="standard-exit")

    with session_scope() as s:
        ticked = handover.set_item_status(s, ENG, static.key, "done", note="signed")
    assert isinstance(ticked, HandoverItemView)
    assert (ticked.id, ticked.status, ticked.note, ticked.version) == (
        static.id,
        "done",
        "signed",
        static.version + 1,
    )
    assert ticked.resolved_by == "tester" and ticked.resolved_at is not None

    with session_scope() as s:
        result = handover.sync(s, ENG)
    assert result == HandoverSync() and not result.changed and result.describe() == ""


def test_an_item_whose_source_row_is_gone_names_its_id_alone(team, session_scope):
    with session_scope() as s:
        row = access.grant(s, get_engagement(s, ENG), person="Bob New", system="CRM", role="admin")
        gid = row.id
    with session_scope() as s:  # behind the tool's back: the item stays until a sync
        s.execute(delete(AccessGrant).where(AccessGrant.id == gid))
    with session_scope(write=False) as s:
        [item] = [i for i in handover.show(s, ENG) if i.source_kind == "grant"]
    assert item.model_dump(mode="json")["source_ref"] == {"grant_id": gid}
    with session_scope() as s:
        result = handover.sync(s, ENG)
    assert result == HandoverSync(retired=1) and result.describe() == "1 retired"


@pytest.mark.parametrize(
    ("item", "status", "note", "error", "field"),
    [
        ("first", "finished", None, BadInput, "status"),
        ("derived", "done", None, Refused, "status"),
        ("no-such-item", "done", None, NotFound, "item"),
        ("99999", "done", None, NotFound, "item"),
        ("first", "done", "password=hunter2hunter2", BadInput, "note"),
    ],
)
def test_ticking_errors_name_their_argument(team, session_scope, item, status, note, error, field):
    with session_scope() as s:
        access.grant(s, get_engagement(s, ENG), person="Bob New", system="CRM", role="admin")
    with session_scope(write=False) as s:
        items = handover.show(s, ENG)
    ident = {
        "first": items[0].key,
        "derived": next(i.key for i in items if i.derived),
    }.get(item, item)
    with pytest.raises(error) as caught, session_scope() as s:
        handover.set_item_status(s, ENG, ident, status, note=note)
    assert caught.value.field == field


def test_ticking_twice_is_refused_on_the_status(team, session_scope):
    with session_scope(write=False) as s:
        key = handover.show(s, ENG)[0].key
    with session_scope() as s:
        handover.set_item_status(s, ENG, key, "done")
    with pytest.raises(Refused) as caught, session_scope() as s:
        handover.set_item_status(s, ENG, key, "done")
    assert caught.value.field == "status"


def test_import_returns_what_it_added_and_errors_name_the_path(team, session_scope, tmp_path):
    with session_scope(write=False) as s:
        text = handover.export_checklist(s, ENG, name="mine")
    path = tmp_path / "mine.yaml"
    data = yaml.safe_load(text)
    data["sections"][0]["items"][0]["key"] = "x-new"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with session_scope() as s:
        result = handover.import_checklist(s, ENG, path)
    assert isinstance(result, ChecklistImport)
    assert (result.checklist, result.added, len(result.keys)) == ("mine", 1, 1)
    assert result.skipped > 0 and result.keys == ["x-new"]
    with pytest.raises(BadInput) as caught, session_scope() as s:
        handover.import_checklist(s, ENG, tmp_path / "missing.yaml")
    assert caught.value.field == "path"
    with pytest.raises(BadInput) as caught, session_scope(write=False) as s:
        handover.export_checklist(s, ENG, name="☃")
    assert caught.value.field == "name"


def test_audit_events_changes_and_verify_are_views(team, session_scope, clock):
    with session_scope(write=False) as s:
        events = audit.events(s, ENG)
        newest = audit.events(s, ENG, limit=2, newest_first=True)
        changes = audit.changes_since(s, ENG, date(2000, 1, 1), shown=3)
        checked = audit.verify(s, ENG)
        everything = audit.verify(s)
    assert events and all(isinstance(e, AuditEventView) for e in events)
    assert not any(e.imported for e in events)
    assert [e.id for e in newest] == [e.id for e in events[::-1][:2]]
    assert isinstance(changes, RecentChanges)
    assert changes.count == len(events) and sum(changes.by_kind.values()) == len(events)
    assert [(e.action, e.entity, e.field) for e in changes.events] == [
        (e.action, e.entity, e.field) for e in events[::-1][:3]
    ]
    with session_scope(write=False) as s:
        later = audit.changes_since(s, ENG, date(2999, 1, 1), shown=3)
    assert (later.count, later.by_kind, later.events) == (0, {}, [])
    assert checked == AuditVerification(events=len(events), intact=True, problems=[])
    assert everything.intact and everything.events >= len(events)
    with pytest.raises(NotFound), session_scope(write=False) as s:
        audit.events(s, "no such engagement")


def test_bulk_insert_returns_the_ids_in_row_order(team, session_scope):
    with session_scope() as s:
        eid = get_engagement(s, ENG).id
        values = [
            {"engagement_id": eid, "name": f"P{n}", "slug": f"p{n}", "side": "client"}
            for n in range(3)
        ]
        ids = rows.bulk_insert(s, Person, values)
        one = rows.bulk_insert(s, Person, [{**values[0], "name": "Q", "slug": "q"}])
        assert rows.bulk_insert(s, Person, []) == []
        names = {i: s.get(Person, i).name for i in ids + one}
    assert [names[i] for i in ids + one] == ["P0", "P1", "P2", "Q"]
