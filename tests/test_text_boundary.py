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
EXAMPLES = ["\x1b[2J", "\r", "\x07", "\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\", "\x9b31m",
            "\u202e", "\u2066", "\ud83d", "\x00"]  # fmt: skip


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
    return {"ENG": acme, "ITEM": item}


def _args(spec: list, value: str, world: dict[str, str]) -> list[str]:
    return [value if a is V else world.get(a, a) for a in spec]


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
    max_examples=40,
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
