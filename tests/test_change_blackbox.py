"""The edit, retire, replan, calendar and undo commands, used as a user would with bad
values and at the wrong moment: each answers with one ``error:`` line and its documented
exit code (2 bad input, 1 refused), never a traceback, and writes nothing."""

from __future__ import annotations

import pytest

from tests.safety import dump

LONG = "x" * 5000
BELL = "ring\x07"
ESCAPE = "\x1b[31mred\x1b[0m"


@pytest.fixture
def world(cli, acme) -> str:
    """acme with people, systems, a grant, a held and a planned KT session, a started
    playbook task and an ad-hoc one."""
    steps = [
        ("person", "add", acme, "Ann Old", "--side", "incumbent"),
        ("person", "add", acme, "Bob New", "--side", "provider"),
        ("person", "add", acme, "Cy Spare", "--side", "provider"),
        ("system", "add", acme, "CRM", "--tier", "1"),
        ("system", "add", acme, "Legacy", "--tier", "3"),
        ("access", "grant", acme, "--person", "Bob New", "--system", "CRM", "--role", "ops"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Queues",
         "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-11-20T10:00"),
        ("kt", "hold", acme, "1"),
        ("kt", "schedule", acme, "--system", "CRM", "--topic", "Batch jobs",
         "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-11-27T10:00"),
        ("task", "set", acme, "kickoff-workshop", "--status", "in_progress"),
        ("task", "add", acme, "--phase", "discovery", "--key", "extra", "--title", "Extra"),
    ]  # fmt: skip
    for step in steps:
        result = cli(*step)
        assert result.exit_code == 0, (step, result.stderr)
    return acme


E = "ENG"  # replaced by the engagement's slug

#: command → [(exit code, arguments after the engagement, words the error must hold)].
CASES: dict[str, list[tuple[int, tuple[str, ...], str]]] = {
    "engagement set": [
        (2, ("--calendar", "XX-YY"), "calendar"),
        (2, ("--calendar", "GB-XXX"), "calendar"),
        (2, ("--timezone", "Mars/Olympus"), "time zone"),
        (2, ("--timezone", "../../etc/passwd"), "time zone"),
        (2, ("--name", ""), "name"),
        (2, ("--name", "   "), "name"),
        (2, ("--client", BELL), "client"),
        (2, ("--client", LONG), "client"),
        (2, ("--provider", ESCAPE), "provider"),
        (2, ("--model", "weird"), "model"),
        (2, ("--location", "moon"), "location"),
        (2, ("--workweek", "fun-thu"), "work week"),
        (2, ("--workweek", ""), "work week"),
    ],
    "person set": [
        (2, ("Ann Old", "--release", "2026-02-30"), "release"),
        (2, ("Ann Old", "--release", "soon"), "release"),
        (2, ("Ann Old", "--timezone", "Nowhere/City"), "time zone"),
        (2, ("Ann Old", "--side", "martian"), "side"),
        (2, ("Ann Old", "--name", ""), "name"),
        (2, ("Ann Old", "--role", LONG), "role"),
        (2, ("Ann Old", "--email", BELL), "email"),
        (2, ("Nobody", "--role", "Lead"), "unknown person"),
        (1, ("Ann Old", "--name", "Bob New"), "bob"),
    ],
    "person remove": [
        (1, ("Bob New",), "grant"),
        (1, ("Ann Old",), "KT"),
        (2, ("Nobody",), "unknown person"),
        (2, ("",), "person"),
    ],
    "system set": [
        (2, ("CRM", "--tier", "7"), "tier"),
        (2, ("CRM", "--name", ""), "name"),
        (2, ("CRM", "--description", ESCAPE), "description"),
        (2, ("CRM", "--description", "x" * 100_001), "description"),
        (1, ("CRM", "--name", "Legacy"), "legacy"),
        (2, ("Nope", "--tier", "2"), "unknown system"),
    ],
    "task add": [
        (2, ("--phase", "discovery", "--key", "k1", "--title", "T", "--due", "+bd"), "due"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", "T", "--due", "2026-02-30"), "due"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", "T", "--due", "+99999d"), "due"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", "T", "--due", "soon"), "due"),
        (2, ("--phase", "discovery", "--key", "", "--title", "T"), "key"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", ""), "title"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", LONG), "title"),
        (2, ("--phase", "discovery", "--key", "k1", "--title", BELL), "title"),
        (2, ("--phase", "nope", "--key", "k1", "--title", "T"), "phase"),
        (
            2,
            ("--phase", "discovery", "--key", "k1", "--title", "T", "--depends-on", "nope"),
            "nope",
        ),
        (1, ("--phase", "discovery", "--key", "kickoff-workshop", "--title", "T"), "kickoff"),
    ],
    "task set": [
        (2, ("extra", "--due", "+bd"), "due"),
        (2, ("extra", "--due", "2026-13-01"), "due"),
        (2, ("extra", "--title", ""), "title"),
        (2, ("extra", "--title", LONG), "title"),
        (2, ("extra", "--description", ESCAPE), "description"),
        (2, ("extra", "--status", "weird"), "status"),
        (2, ("nope", "--title", "T"), "nope"),
    ],
    "task remove": [
        (1, ("kickoff-workshop", "--reason", "not needed"), "started"),
        (2, ("extra", "--reason", ""), "reason"),
        (2, ("extra", "--reason", BELL), "reason"),
        (2, ("nope", "--reason", "x"), "nope"),
    ],
    "task note": [
        (2, ("extra", ""), "note"),
        (2, ("extra", BELL), "note"),
        (2, ("extra", "password=hunter2hunter2"), "note"),
        (2, ("extra", "x" * 100_001), "note"),
        (2, ("nope", "hello"), "nope"),
    ],
    "kt reschedule": [
        (1, ("1", "--at", "2026-12-02T10:00"), "held"),
        (2, ("2", "--at", "2026-13-01T10:00"), "start time"),
        (2, ("2", "--at", ""), "start time"),
        (2, ("2", "--at", "tomorrow"), "start time"),
        (2, ("2", "--at", "2026-12-02T10:00", "--minutes", "0"), "minutes"),
        (2, ("2", "--at", "2026-12-02T10:00", "--minutes", "100000"), "minutes"),
        (2, ("99", "--at", "2026-12-02T10:00"), "99"),
    ],
    "kt cancel": [
        (1, ("1", "--reason", "ill"), "held"),
        (2, ("2", "--reason", ""), "reason"),
        (2, ("2", "--reason", BELL), "reason"),
        (2, ("99", "--reason", "ill"), "99"),
    ],
    "kt set": [
        (2, ("2", "--add-attendee", "Nobody"), "nobody"),
        (2, ("2", "--topic", ""), "topic"),
        (2, ("2", "--topic", LONG), "topic"),
        (1, ("1", "--topic", "Later"), "held"),
    ],
    "phase replan": [
        (1, ("--phase", "discovery", "--start", "2026-12-01", "--reason", "slip"), "discovery"),
        (2, ("--phase", "ramp-up", "--start", "2026-02-30", "--reason", "slip"), "start"),
        (2, ("--phase", "ramp-up", "--start", "", "--reason", "slip"), "start"),
        (2, ("--phase", "nope", "--start", "2027-01-04", "--reason", "slip"), "nope"),
        (2, ("--phase", "ramp-up", "--start", "2027-01-04", "--reason", BELL), "reason"),
    ],
    "undo": [
        (2, ("--last", "0"), "last"),
        (2, ("--last", "1000"), "last"),
    ],
    "engagement delete": [
        (1, ("--confirm", "acme-helpdesk"), "archive"),
    ],
    "engagement unarchive": [
        (1, (), "not archived"),
    ],
}


def _run(cli, command: str, slug: str, args: tuple[str, ...]):
    return cli(*command.split(), slug, *args)


@pytest.mark.parametrize("command", sorted(CASES))
def test_bad_values_and_refusals(cli, db_url, world, command):
    problems = []
    for code, args, words in CASES[command]:
        before = dump(db_url)
        result = _run(cli, command, world, args)
        shown = f"{command} {args!r}"[:120]
        lines = result.stderr.splitlines()
        if result.exit_code != code:
            problems.append(f"{shown}: exit {result.exit_code}, not {code}: {result.stderr!r}")
        elif len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"{shown}: not one error line: {result.stderr[:300]!r}")
        elif words.lower() not in lines[0].lower():
            problems.append(f"{shown}: {words!r} not in {lines[0][:300]!r}")
        if "Traceback" in result.stdout + result.stderr:
            problems.append(f"{shown}: traceback")
        if dump(db_url) != before:
            problems.append(f"{shown}: the database changed")
    assert not problems, "\n".join(problems)


#: A valid use of every edit command (after the engagement's slug).
EDITS = [
    ("engagement", "set", ("--client", "Globex")),
    ("engagement", "set", ("--calendar", "GB-ENG")),
    ("engagement", "set", ("--timezone", "Europe/Berlin")),
    ("person", "set", ("Ann Old", "--role", "Lead")),
    ("person", "remove", ("Cy Spare",)),
    ("person", "add", ("Dee New", "--side", "provider")),
    ("system", "set", ("Legacy", "--tier", "2")),
    ("system", "remove", ("Legacy",)),
    ("task", "add", ("--phase", "discovery", "--key", "k2", "--title", "T")),
    ("task", "set", ("extra", "--title", "Other")),
    ("task", "remove", ("extra", "--reason", "not needed")),
    ("task", "note", ("extra", "hello")),
    ("kt", "reschedule", ("2", "--at", "2026-12-02T10:00")),
    ("kt", "cancel", ("2", "--reason", "ill")),
    ("kt", "set", ("2", "--topic", "Later")),
    ("phase", "replan", ("--phase", "ramp-up", "--start", "2027-01-04", "--reason", "slip")),
    ("undo", None, ()),
]


def test_an_archived_engagement_refuses_every_edit(cli, db_url, world, setting):
    assert cli("person", "set", world, "Ann Old", "--email", "ann@example.com").exit_code == 0
    setting("TRANSITION_ACTOR", "lead")  # archived by someone else: undo has no way in
    assert cli("engagement", "archive", world).exit_code == 0
    setting("TRANSITION_ACTOR", "tester")
    before = dump(db_url)
    for noun, verb, args in EDITS:
        command = (noun, verb) if verb else (noun,)
        result = cli(*command, world, *args)
        assert result.exit_code == 1, (command, result.stdout, result.stderr)
        assert result.stderr.splitlines() == [
            f"error: engagement {world} is archived: unarchive it first"
        ], command
        assert dump(db_url) == before, command
    result = cli("engagement", "archive", world)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: engagement {world} is archived already\n",
    )
    assert dump(db_url) == before
    # Reading still works (and says it is archived), and unarchiving opens it again.
    assert cli("task", "show", world, "extra").exit_code == 0
    header = cli("engagement", "show", world).stdout.splitlines()[0]
    assert header.startswith("Acme Helpdesk (acme-helpdesk) — active, archived 20"), header
    assert header.endswith("(unarchive it to change it)")
    assert cli("engagement", "unarchive", world).exit_code == 0
    header = cli("engagement", "show", world).stdout.splitlines()[0]
    assert header == "Acme Helpdesk (acme-helpdesk) — active"
    assert cli("task", "note", world, "extra", "hello").exit_code == 0


def test_undo_of_a_change_someone_else_changed_since_is_refused(cli, db_url, world, setting):
    assert cli("task", "set", world, "extra", "--title", "Mine").exit_code == 0
    setting("TRANSITION_ACTOR", "someone")
    assert cli("task", "set", world, "extra", "--title", "Theirs").exit_code == 0
    setting("TRANSITION_ACTOR", "tester")
    before = dump(db_url)
    result = cli("undo", world)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: task extra was changed by someone at ")
    assert "Mine → Theirs" in line and line.endswith("nothing undone")
    assert dump(db_url) == before
    # Their change is theirs to undo; then yours can be undone.
    setting("TRANSITION_ACTOR", "someone")
    assert cli("undo", world).exit_code == 0
    setting("TRANSITION_ACTOR", "tester")
    assert cli("undo", world).exit_code == 0
    assert "Extra" in cli("task", "show", world, "extra").stdout


def test_nothing_left_to_undo_is_refused(cli, db_url, acme, setting):
    setting("TRANSITION_ACTOR", "newcomer")
    before = dump(db_url)
    result = cli("undo", acme)
    assert result.exit_code == 1
    assert result.stderr == f"error: newcomer has no change left to undo in {acme}\n"
    assert dump(db_url) == before


HELPED = [
    "engagement set", "engagement archive", "engagement unarchive", "engagement delete",
    "person set", "person remove", "system set", "system remove", "task add", "task set",
    "task remove", "task note", "task show", "kt reschedule", "kt cancel", "kt set",
    "phase replan", "undo",
]  # fmt: skip


@pytest.mark.parametrize("command", HELPED)
def test_help_of_every_change_command(offline_cli, command):
    result = offline_cli(*command.split(), "--help")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage:") or "Usage:" in result.stdout.splitlines()[1]
    assert "Options" in result.stdout and "Traceback" not in result.stdout
    assert len(result.stdout.splitlines()[-1]) <= 100
