"""Random sequences of edits, each made as a user makes it (through the CLI), then undone
one by one in reverse order with ``transition undo ENG``, leave the engagement's export
exactly as it was before the edits: byte for byte once audit events and the rows'
``version`` columns are left out.

Versions differ by design: ``version`` is the optimistic lock, bumped on every UPDATE, so
a form read before the edit and saved after the undo is still refused as stale (the row
*was* changed twice in between). Audit events differ by design too: the log keeps the
edits and their undos.

To cover a new edit, add a function ``(cli, slug, data) -> None`` that performs it to
``EDITS`` (``data`` is hypothesis's ``st.data()`` for its arguments). An edit may be
refused (exit 1 or 2): a refusal writes nothing, so it is not a change to undo.
"""

from __future__ import annotations

import itertools
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import distinct, func, select

from transition import db
from transition.cli.output import to_json
from transition.models import AuditEvent, Engagement
from transition.services import transfer
from transition.services.common import get_engagement

#: ``TRANSITION_UNDO_EXAMPLES`` raises the number of random sequences (default 5).
EXAMPLES = int(os.environ.get("TRANSITION_UNDO_EXAMPLES", "5"))
_names = itertools.count(1)
_SET_UP: dict[str, str] = {}
_ADDED: list[str] = []

TASKS = ("kickoff-workshop", "stakeholder-map", "contract-sla-baseline", "access-matrix")
PEOPLE = ("Ann Old", "Bob New", "Priya Shah")


def _ok(result) -> None:
    assert result.exit_code == 0, result.stderr


def _setup(cli, where) -> str:
    """A fresh engagement with people, systems, grants, a KT session and a runbook."""
    name = f"Undo {next(_names)}"
    _ok(
        cli(
            "engagement",
            "new",
            name,
            "--playbook",
            "managed-service-onboarding",
            "--start",
            "2026-11-02",
        )
    )
    slug = name.lower().replace(" ", "-")
    _ok(cli("person", "add", slug, "Ann Old", "--side", "incumbent"))
    _ok(cli("person", "add", slug, "Bob New", "--side", "provider"))
    _ok(cli("person", "add", slug, "Priya Shah", "--side", "provider"))
    _ok(cli("system", "add", slug, "CRM", "--tier", "1"))
    _ok(cli("system", "add", slug, "Legacy", "--tier", "3"))
    for system, role in (("CRM", "operator"), ("CRM", "admin")):
        _ok(cli("access", "grant", slug, "--person", "Bob New", "--system", system, "--role", role))
    _ok(
        cli(
            "kt",
            "schedule",
            slug,
            "--system",
            "CRM",
            "--topic",
            "Batch jobs",
            "--presenter",
            "Ann Old",
            "--attendee",
            "Bob New",
            "--at",
            "2026-12-01T15:00",
        )
    )
    _ok(
        cli(
            "runbook",
            "new",
            slug,
            "--system",
            "CRM",
            "--template",
            "incident-response",
            "--out",
            str(where / slug),
        )
    )
    return slug


# --------------------------------------------------------------------------- the edits


def task_status(cli, slug, data):
    task = data.draw(st.sampled_from(TASKS))
    status = data.draw(st.sampled_from(("todo", "in_progress", "blocked", "done", "skipped")))
    note = data.draw(st.sampled_from((None, "checked")))
    cli("task", "set", slug, task, "--status", status, *(("--note", note) if note else ()))


def task_assign(cli, slug, data):
    task = data.draw(st.sampled_from(TASKS))
    cli("task", "assign", slug, task, data.draw(st.sampled_from(PEOPLE)))


def person_add(cli, slug, data):
    side = data.draw(st.sampled_from(("client", "incumbent", "provider")))
    cli("person", "add", slug, f"Extra {next(_names)}", "--side", side)


def system_add(cli, slug, data):
    tier = data.draw(st.sampled_from(("1", "2", "3")))
    cli("system", "add", slug, f"Sys {next(_names)}", "--tier", tier)


def system_remove(cli, slug, data):
    cli("system", "remove", slug, "Legacy")


def grant_revoke(cli, slug, data):
    grant = data.draw(st.sampled_from(("1", "2")))
    cli("access", "revoke", slug, grant, "--reason", "not needed")


def runbook_status(cli, slug, data):
    status = data.draw(st.sampled_from(("reviewed", "validated", "accepted", "drafted")))
    cli("runbook", "status", slug, "1", status, "--force", "--reason", "review done")


def handover_tick(cli, slug, data):
    verb = data.draw(st.sampled_from(("done", "reopen")))
    cli("handover", verb, slug, "data-export-open-formats", "--note", "ok")


def kt_hold(cli, slug, data):
    extra = data.draw(st.sampled_from((None, "Priya Shah")))
    cli("kt", "hold", slug, "1", *(("--attendee", extra) if extra else ()))


def engagement_set(cli, slug, data):
    option = data.draw(
        st.sampled_from(
            (
                ("--client", "Globex"),
                ("--provider", "Initech"),
                ("--model", "project"),
                ("--location", "offshore"),
                ("--name", f"Renamed {next(_names)}"),
                ("--calendar", "GB-ENG"),
                ("--calendar", "DE-BY"),
                ("--calendar", "none"),
                ("--timezone", "Europe/Berlin"),
                ("--timezone", "Asia/Kolkata"),
                ("--workweek", "sun-thu"),
            )
        )
    )
    cli("engagement", "set", slug, *option)


def engagement_archive(cli, slug, data):
    cli("engagement", data.draw(st.sampled_from(("archive", "unarchive"))), slug)


def person_set(cli, slug, data):
    who = data.draw(st.sampled_from(PEOPLE))
    option = data.draw(
        st.sampled_from(
            (
                ("--role", "Service manager"),
                ("--role", ""),
                ("--email", "someone@example.com"),
                ("--side", "client"),
                ("--release", "2027-01-15"),
                ("--release", "none"),
                ("--timezone", "America/New_York"),
                ("--name", f"{who} Jr"),
            )
        )
    )
    cli("person", "set", slug, who, *option)


def person_remove(cli, slug, data):
    cli("person", "remove", slug, data.draw(st.sampled_from(PEOPLE)))


def person_readd(cli, slug, data):
    # Brings a removed person back (with another side and role); refused while they are on.
    who = data.draw(st.sampled_from(PEOPLE))
    side = data.draw(st.sampled_from(("client", "incumbent", "provider")))
    cli("person", "add", slug, who.upper(), "--side", side, "--role", "Returning")


def system_set(cli, slug, data):
    system = data.draw(st.sampled_from(("CRM", "Legacy")))
    option = data.draw(
        st.sampled_from(
            (
                ("--tier", "2"),
                ("--description", "Customer records"),
                ("--name", f"{system} Two"),
            )
        )
    )
    cli("system", "set", slug, system, *option)


def task_add(cli, slug, data):
    phase = data.draw(st.sampled_from(("discovery", "ramp-up", "cutover")))
    due = data.draw(st.sampled_from(((), ("--due", "+3bd"), ("--due", "2026-12-24"))))
    after = data.draw(st.sampled_from(((), ("--depends-on", "kickoff-workshop"))))
    key = f"adhoc-{next(_names)}"
    _ADDED.append(key)
    cli("task", "add", slug, "--phase", phase, "--key", key, "--title", "Extra work", *due, *after)


def task_set(cli, slug, data):
    task = data.draw(st.sampled_from(TASKS))
    option = data.draw(
        st.sampled_from(
            (
                ("--title", "Retitled"),
                ("--due", "+4bd"),
                ("--due", "2027-01-04"),
                ("--due", "none"),
                ("--description", "More detail"),
                ("--owner", "service-manager"),
            )
        )
    )
    cli("task", "set", slug, task, *option)


def task_remove(cli, slug, data):
    # Playbook tasks (started or not, depended on or not) and the ad-hoc ones added so far.
    choices = (*TASKS, "known-problems-register", "draft-exit-checklist", *_ADDED[-3:])
    cli("task", "remove", slug, data.draw(st.sampled_from(choices)), "--reason", "not needed")


def task_note(cli, slug, data):
    cli("task", "note", slug, data.draw(st.sampled_from(TASKS)), "Spoke to the client")


def kt_reschedule(cli, slug, data):
    at = data.draw(st.sampled_from(("2026-12-02T10:00", "2026-12-03T09:30+01:00")))
    minutes = data.draw(st.sampled_from(((), ("--minutes", "90"))))
    cli("kt", "reschedule", slug, "1", "--at", at, *minutes)


def kt_cancel(cli, slug, data):
    cli("kt", "cancel", slug, "1", "--reason", "presenter ill")


def kt_set(cli, slug, data):
    option = data.draw(
        st.sampled_from(
            (
                ("--topic", "Nightly batch"),
                ("--add-attendee", "Priya Shah"),
                ("--remove-attendee", "Bob New"),
            )
        )
    )
    cli("kt", "set", slug, "1", *option)


def phase_replan(cli, slug, data):
    phase = data.draw(st.sampled_from(("ramp-up", "parallel-run", "cutover")))
    start = data.draw(st.sampled_from(("2027-01-04", "2027-02-01", "2026-12-26")))
    cli("phase", "replan", slug, "--phase", phase, "--start", start, "--reason", "slip")


EDITS = [
    task_status,
    task_assign,
    person_add,
    system_add,
    system_remove,
    grant_revoke,
    runbook_status,
    handover_tick,
    kt_hold,
    engagement_set,
    engagement_archive,
    person_set,
    person_remove,
    person_readd,
    system_set,
    task_add,
    task_set,
    task_remove,
    task_note,
    kt_reschedule,
    kt_cancel,
    kt_set,
    phase_replan,
]


# --------------------------------------------------------------------------- the check


def _export(engine, slug: str) -> str:
    with db.session_scope(engine, write=False) as s:
        document = transfer.export_data(s, slug, with_audit=False)
    [bundle] = document["engagements"]
    for rows in bundle.values():
        for row in rows if isinstance(rows, list) else [rows]:
            row.pop("version", None)
    return to_json(bundle)


def _engagement(engine, slug: str) -> int:
    with db.session_scope(engine, write=False) as s:
        return get_engagement(s, slug).id


def _slug(engine, eid: int) -> str:
    with db.session_scope(engine, write=False) as s:
        return s.get(Engagement, eid).slug


def _changes(engine, eid: int) -> int:
    with db.session_scope(engine, write=False) as s:
        return s.execute(
            select(func.count(distinct(AuditEvent.change_id))).where(
                AuditEvent.engagement_id == eid
            )
        ).scalar_one()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.lists(st.sampled_from(EDITS), min_size=1, max_size=6), data=st.data())
def test_undo_in_reverse_restores_the_export(cli, engine, tmp_path, edits, data):
    # The fixtures live for the whole test, every example included: the engagement is set
    # up once, and each example starts from where the previous one's undos left it.
    key = str(tmp_path)
    if key not in _SET_UP:
        _SET_UP[key] = _setup(cli, tmp_path)
    slug = _SET_UP[key]
    eid = _engagement(engine, slug)
    original = _export(engine, slug)
    made = 0
    for edit in edits:
        before = _changes(engine, eid)
        # An edit may rename the engagement (a new slug): the next one uses the new slug.
        edit(cli, _slug(engine, eid), data)
        made += _changes(engine, eid) - before
    # The edits are what the log says they are, before they are undone too.
    _ok(cli("audit", _slug(engine, eid), "--verify"))
    for _ in range(made):
        _ok(cli("undo", _slug(engine, eid)))
    assert _slug(engine, eid) == slug
    assert _export(engine, slug) == original
    _ok(cli("audit", slug, "--verify"))
    # Nothing of the edits is left to undo: the next undo reaches the set-up.
    assert _changes(engine, eid) > made
