"""User text at the boundary: terminal control characters, bidirectional overrides and lone
surrogates are refused (exit 2, an ``error:`` line, nothing written) in every field of every
command that stores text; multi-line fields take newline and tab only."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety import assert_clean_error, dump

PLAYBOOK = "managed-service-onboarding"
V = object()  # where the generated value goes

# (label, arguments with V for the value, multi-line field?)
COMMANDS: list[tuple[str, list, bool]] = [
    ("engagement new NAME", ["engagement", "new", V, "--playbook", PLAYBOOK], False),
    *(
        (
            f"engagement new {opt}",
            ["engagement", "new", "Other One", "--playbook", PLAYBOOK, opt, V],
            False,
        )
        for opt in ("--client", "--incumbent", "--provider", "--model", "--location")
    ),
    ("person add NAME", ["person", "add", "ENG", V, "--side", "provider"], False),
    *(
        (f"person add {opt}", ["person", "add", "ENG", "Zed", "--side", "provider", opt, V], False)
        for opt in ("--role", "--email")
    ),
    ("person add --side", ["person", "add", "ENG", "Zed", "--side", V], False),
    ("system add NAME", ["system", "add", "ENG", V], False),
    ("system add --description", ["system", "add", "ENG", "Other", "--description", V], True),
    (
        "system remove --revoke-access",
        ["system", "remove", "ENG", "CRM", "--revoke-access", V],
        True,
    ),
    (
        "access grant --role",
        ["access", "grant", "ENG", "--person", "Ann", "--system", "CRM", "--role", V],
        False,
    ),
    (
        "access grant --justification",
        [
            "access",
            "grant",
            "ENG",
            "--person",
            "Bob",
            "--system",
            "CRM",
            "--role",
            "ops",
            "--justification",
            V,
        ],
        True,
    ),  # fmt: skip
    (
        "access grant --expires",
        [
            "access",
            "grant",
            "ENG",
            "--person",
            "Bob",
            "--system",
            "CRM",
            "--role",
            "ops",
            "--expires",
            V,
        ],
        False,
    ),  # fmt: skip
    ("access revoke --reason", ["access", "revoke", "ENG", "1", "--reason", V], True),
    (
        "kt schedule --topic",
        [
            "kt",
            "schedule",
            "ENG",
            "--system",
            "CRM",
            "--topic",
            V,
            "--presenter",
            "Ann",
            "--at",
            "2026-12-01T10:00",
        ],
        False,
    ),  # fmt: skip
    (
        "kt signoff --follow-ups",
        ["kt", "signoff", "ENG", "1", "--by", "Bob", "--follow-ups", V],
        True,
    ),
    ("task done --note", ["task", "done", "ENG", "kickoff-workshop", "--note", V], True),
    (
        "task set --note",
        ["task", "set", "ENG", "kickoff-workshop", "--status", "blocked", "--note", V],
        True,
    ),
    ("phase advance --override", ["phase", "advance", "ENG", "--override", V], True),
    ("handover done --note", ["handover", "done", "ENG", "ITEM", "--note", V], True),
    (
        "runbook status --reason",
        ["runbook", "status", "ENG", "1", "validated", "--force", "--reason", V],
        True,
    ),
    (
        "runbook new --set",
        [
            "runbook",
            "new",
            "ENG",
            "--system",
            "CRM",
            "--template",
            "incident-response",
            "--out",
            "OUT",
            "--set",
            ("itsm_tool=", V),
        ],
        True,
    ),  # fmt: skip
    (
        "--actor",
        ["--actor", V, "task", "set", "ENG", "kickoff-workshop", "--status", "in_progress"],
        False,
    ),
]

# Every character refused in a single-line field; multi-line fields allow \n and \t.
CONTROLS = (
    [chr(c) for c in range(0x00, 0x20)]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
    + [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    + ["\u2028", "\u2029", "\ud800", "\udbff", "\udc00", "\udfff"]
)
EXAMPLES = ["\x1b[2J", "\r", "\x1b]8;;https://x.example\x07link", "\x9b31m", "\u202e",
            "\ud83d"]  # fmt: skip


@pytest.fixture
def world(cli, acme, tmp_path):
    """Everything the commands above refer to: people, a system, a grant, a held KT session,
    a runbook and a static checklist item."""
    ok = [
        ("person", "add", acme, "Ann", "--side", "incumbent"),
        ("person", "add", acme, "Bob", "--side", "provider"),
        ("system", "add", acme, "CRM"),
        ("access", "grant", acme, "--person", "Ann", "--system", "CRM", "--role", "reader"),
        (
            "kt",
            "schedule",
            acme,
            "--system",
            "CRM",
            "--topic",
            "Intro",
            "--presenter",
            "Ann",
            "--attendee",
            "Bob",
            "--at",
            "2026-12-01T10:00",
        ),  # fmt: skip
        ("kt", "hold", acme, "1"),
        (
            "runbook",
            "new",
            acme,
            "--system",
            "CRM",
            "--template",
            "service-restart",
            "--out",
            str(tmp_path / "rb"),
        ),  # fmt: skip
    ]
    for args in ok:
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
    item = next(i["key"] for i in cli("handover", "show", acme, "--json").json()
                if i["source"] != "derived")  # fmt: skip
    return {"ENG": acme, "ITEM": item, "OUT": str(tmp_path / "rb")}


def _args(spec: list, value: str, world: dict[str, str]) -> list[str]:
    def one(a):
        if isinstance(a, tuple):  # (prefix, V)
            return a[0] + value
        return value if a is V else world.get(a, a)

    return [one(a) for a in spec]


def _refused(cli, spec, value, world, label) -> None:
    result = cli(*_args(spec, value, world))
    assert_clean_error(result, 2)
    assert "contains control characters" in result.stderr, (label, result.stderr)
    assert "\x1b" not in result.stderr and "\r" not in result.stderr  # never echoed raw


def test_every_text_field_refuses_control_characters(cli, world, db_url):
    before = dump(db_url)
    for label, spec, multiline in COMMANDS:
        for bad in EXAMPLES:
            _refused(cli, spec, f"Plain {bad} text", world, label)
        if multiline:
            assert "\n" not in EXAMPLES and "\t" not in EXAMPLES
    assert dump(db_url) == before


def test_multi_line_fields_take_newlines_and_tabs(cli, world):
    eng = world["ENG"]
    assert (
        cli("task", "done", eng, "kickoff-workshop", "--note", "line one\n\tline two").exit_code
        == 0
    )
    shown = cli("task", "list", eng, "--json").json()
    assert any(
        t.get("note") == "line one\n\tline two" for t in shown if t["key"] == "kickoff-workshop"
    )
    refused = cli("system", "add", eng, "Two\nLines")
    assert_clean_error(refused, 2)
    assert "a line break (U+000A)" in refused.stderr


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(COMMANDS),
    bad=st.sampled_from(CONTROLS),
    before_text=st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=8),
    after_text=st.text(st.characters(categories=("L", "N", "P")), max_size=8),
)
def test_generated_control_characters_are_refused_everywhere(
    cli, world, db_url, command, bad, before_text, after_text
):
    label, spec, multiline = command
    if multiline and bad in "\n\t":
        return
    before = dump(db_url)
    _refused(cli, spec, f"A{before_text}{bad}{after_text}", world, label)
    assert dump(db_url) == before


# --------------------------------------------------------------------------- limits
# One set of limits, read from the model columns, checked before the database: a value one
# longer than its field's limit is refused with the same line on SQLite and PostgreSQL, and
# a value exactly at the limit is stored whole on both.


def _limits() -> list[tuple[str, int, list, str]]:
    """(label, limit, arguments with V, text the error names) for every stored text field."""
    from transition.models import AccessGrant, AuditEvent, Engagement, KTSession, Person, System
    from transition.text import TEXT_MAX, field_limit

    def lim(model, field):
        return field_limit(model, field) or TEXT_MAX

    return [
        ("engagement name", lim(Engagement, "name"),
         ["engagement", "new", V, "--playbook", PLAYBOOK], "engagement name"),
        *((f"engagement --{f}", lim(Engagement, f),
           ["engagement", "new", f"Party {f}", "--playbook", PLAYBOOK, f"--{f}", V], f)
          for f in ("client", "incumbent", "provider")),
        ("person name", lim(Person, "name"),
         ["person", "add", "ENG", V, "--side", "provider"], "person name"),
        ("person --role", lim(Person, "role"),
         ["person", "add", "ENG", "Zed", "--side", "provider", "--role", V], "role"),
        ("person --email", lim(Person, "email"),
         ["person", "add", "ENG", "Zoe", "--side", "provider", "--email", V], "email"),
        ("system name", lim(System, "name"), ["system", "add", "ENG", V], "system name"),
        ("system --description", lim(System, "description"),
         ["system", "add", "ENG", "Other", "--description", V], "the description"),
        ("grant --role", lim(AccessGrant, "role"),
         ["access", "grant", "ENG", "--person", "Bob", "--system", "CRM", "--role", V], "role"),
        ("grant --justification", lim(AccessGrant, "justification"),
         ["access", "grant", "ENG", "--person", "Bob", "--system", "CRM", "--role", "ops",
          "--justification", V], "the justification"),
        ("revoke --reason", lim(AccessGrant, "revoke_reason"),
         ["access", "revoke", "ENG", "1", "--reason", V], "the reason"),
        ("kt --topic", lim(KTSession, "topic"),
         ["kt", "schedule", "ENG", "--system", "CRM", "--topic", V, "--presenter", "Ann",
          "--at", "2026-12-02T10:00"], "the topic"),
        ("kt --follow-ups", lim(KTSession, "follow_ups"),
         ["kt", "signoff", "ENG", "1", "--by", "Bob", "--follow-ups", V], "the follow-ups"),
        ("task done --note", TEXT_MAX,
         ["task", "done", "ENG", "kickoff-workshop", "--note", V], "the note"),
        ("task set --note", TEXT_MAX,
         ["task", "set", "ENG", "kickoff-workshop", "--status", "in_progress", "--note", V],
         "the note"),
        ("phase --override", TEXT_MAX,
         ["phase", "advance", "ENG", "--override", V], "the override reason"),
        ("handover --note", TEXT_MAX,
         ["handover", "done", "ENG", "ITEM", "--note", V], "the note"),
        ("runbook --reason", TEXT_MAX,
         ["runbook", "status", "ENG", "1", "validated", "--force", "--reason", V], "the reason"),
        ("--actor", lim(AuditEvent, "actor"),
         ["--actor", V, "task", "set", "ENG", "kickoff-workshop", "--status", "blocked"], "actor"),
        ("system remove --revoke-access", TEXT_MAX,
         ["system", "remove", "ENG", "CRM", "--revoke-access", V], "the revoke reason"),
    ]  # fmt: skip


FILLERS = ("abcdefgh ", "абвгдежз ", "王伟李娜张", "Ωμέγα ")


def _value(label: str, n: int, filler: str) -> str:
    if label.endswith("--email"):
        domain = "@example.org"
        return "a" * (n - len(domain)) + domain
    body = (filler * (n // len(filler) + 1))[:n]
    return body if not body.endswith(" ") else body[:-1] + filler[0]


def test_every_text_field_has_one_limit_on_every_backend(cli, world, db_url):
    from transition.text import field_limit

    assert field_limit.__wrapped__ is not None  # limits come from the model columns
    limits = list(enumerate(_limits()))
    before = dump(db_url)
    for i, (label, limit, spec, what) in limits:
        too_long = cli(*_args(spec, _value(label, limit + 1, FILLERS[i % len(FILLERS)]), world))
        assert_clean_error(too_long, 2)
        assert too_long.stderr == (
            f"error: {what} is {limit + 1:,} characters long; the limit is {limit:,} characters\n"
        ), label
    assert dump(db_url) == before
    for i, (label, limit, spec, _) in limits:
        if label == "system remove --revoke-access":  # not while a KT session is planned on it
            assert cli("kt", "hold", world["ENG"], "2").exit_code == 0
        at_limit = cli(*_args(spec, _value(label, limit, FILLERS[i % len(FILLERS)]), world))
        assert at_limit.exit_code == 0, (label, at_limit.stderr)
    # Values at the limit were stored whole.
    people = {p["email"] for p in cli("person", "list", world["ENG"], "--json").json()}
    assert _value("person --email", 320, "") in people


@pytest.mark.parametrize(
    "title", ['"Export \\e[2J data"', '"Export \\r data"', '"Export \\u202e data"', '"A \\x9b1m"']
)
def test_checklist_titles_refuse_control_characters(cli, acme, db_url, tmp_path, title):
    path = tmp_path / "exit.yaml"
    path.write_text(
        "name: short-exit\ntitle: Short exit\nsections:\n  - key: data\n    title: Data\n"
        f"    items:\n      - key: data-export\n        title: {title}\n",
        encoding="utf-8",
    )
    before = dump(db_url)
    result = cli("handover", "import", acme, str(path))
    assert_clean_error(result, 2)
    assert f"{path}:8:" in result.stderr and "contains control characters" in result.stderr
    assert dump(db_url) == before
