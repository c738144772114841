"""The audit replay (``audit --verify``) after edits that rename, re-add or take away
rows: the log still describes the rows."""

from __future__ import annotations


def _ok(result) -> None:
    assert result.exit_code == 0, result.stderr


def _people_and_kt(cli, slug: str) -> None:
    _ok(cli("person", "add", slug, "Ann Old", "--side", "incumbent"))
    _ok(cli("person", "add", slug, "Bob New", "--side", "provider"))
    _ok(cli("person", "add", slug, "Priya Shah", "--side", "provider"))
    _ok(cli("system", "add", slug, "CRM", "--tier", "1"))
    _ok(
        cli(
            "kt", "schedule", slug, "--system", "CRM", "--topic", "Batch jobs",
            "--presenter", "Ann Old", "--attendee", "Bob New", "--at", "2026-12-01T15:00",
        )
    )  # fmt: skip


def test_kt_participants_after_a_rename_verify_clean(cli, acme):
    _people_and_kt(cli, acme)
    _ok(cli("person", "set", acme, "Ann Old", "--name", "Ann Older"))
    _ok(cli("person", "set", acme, "Bob New", "--name", "Robert New"))
    _ok(cli("audit", acme, "--verify"))
    # Changes to the session after the rename are logged by the new name.
    _ok(cli("kt", "set", acme, "1", "--add-attendee", "Priya Shah"))
    _ok(cli("kt", "set", acme, "1", "--remove-attendee", "Robert New"))
    _ok(cli("person", "set", acme, "Priya Shah", "--name", "Priya Rao"))
    _ok(cli("audit", acme, "--verify"))
    # Undone in reverse, the log still replays to the rows.
    for _ in range(5):
        _ok(cli("undo", acme))
    _ok(cli("audit", acme, "--verify"))


def test_kt_attendee_added_before_a_rename_and_removed_after(cli, acme):
    _people_and_kt(cli, acme)
    _ok(cli("kt", "set", acme, "1", "--add-attendee", "Priya Shah"))
    _ok(cli("person", "set", acme, "Priya Shah", "--name", "Priya Rao"))
    _ok(cli("kt", "set", acme, "1", "--remove-attendee", "Priya Rao"))
    _ok(cli("audit", acme, "--verify"))


def test_a_participant_renamed_is_still_checked(cli, acme, engine):
    """Renames are no blanket pass: an attendee added behind the tool's back is found."""
    from sqlalchemy import insert

    from transition import db
    from transition.models import KTParticipant

    _people_and_kt(cli, acme)
    _ok(cli("person", "set", acme, "Bob New", "--name", "Robert New"))
    with db.session_scope(engine) as s:
        s.execute(insert(KTParticipant), [{"session_id": 1, "person_id": 3, "role": "attendee"}])
    result = cli("audit", acme, "--verify")
    assert result.exit_code == 1
    assert "presenters and attendees differ" in result.stderr


def test_ad_hoc_task_ids_used_again_after_undo_verify_clean(cli, acme):
    """An ad-hoc task added and undone, then another added (SQLite may give it the same
    id): each starts from its own creation."""
    _ok(cli("task", "add", acme, "--phase", "discovery", "--key", "one", "--title", "One",
            "--due", "+3bd"))  # fmt: skip
    _ok(cli("undo", acme))
    _ok(cli("task", "add", acme, "--phase", "discovery", "--key", "two", "--title", "Two"))
    _ok(cli("audit", acme, "--verify"))
    _ok(cli("undo", acme))
    _ok(cli("audit", acme, "--verify"))


def test_archiving_is_undone_by_naming_the_archived_engagement(cli, acme, setting):
    _ok(cli("person", "add", acme, "Ann Old", "--side", "incumbent"))
    _ok(cli("engagement", "archive", acme))
    _ok(cli("undo", acme))
    assert cli("engagement", "list").stdout.count(acme) == 1
    # Archived by someone else, your earlier changes wait until it is unarchived.
    _ok(cli("person", "set", acme, "Ann Old", "--role", "Lead"))
    setting("TRANSITION_ACTOR", "other")
    _ok(cli("engagement", "archive", acme))
    setting("TRANSITION_ACTOR", "tester")
    for where in ((acme,), ()):
        result = cli("undo", *where)
        assert result.exit_code == 1
        assert result.stderr == f"error: engagement {acme} is archived: unarchive it first\n"
    assert "Lead" in cli("person", "list", acme).stdout
    _ok(cli("audit", acme, "--verify"))


def test_an_assignee_renamed_verifies_and_their_assignment_undoes(cli, acme, setting):
    _people_and_kt(cli, acme)
    _ok(cli("task", "assign", acme, "kickoff-workshop", "Bob New"))
    _ok(cli("kt", "set", acme, "1", "--add-attendee", "Priya Shah"))
    setting("TRANSITION_ACTOR", "other")
    _ok(cli("person", "set", acme, "Bob New", "--name", "Robert New"))
    _ok(cli("person", "set", acme, "Priya Shah", "--name", "Priya Rao"))
    _ok(cli("audit", acme, "--verify"))
    setting("TRANSITION_ACTOR", "tester")
    # The renames touched the people, not the task or the session: both undo.
    _ok(cli("undo", acme))
    kt = cli("kt", "list", acme, "--json").json()
    assert "Priya Rao" not in str(kt)
    _ok(cli("undo", acme))
    assert "Robert New" not in cli("task", "show", acme, "kickoff-workshop").stdout
    _ok(cli("audit", acme, "--verify"))
    # Assigned to someone else since: refused, naming the assignee now.
    _ok(cli("task", "assign", acme, "kickoff-workshop", "Robert New"))
    setting("TRANSITION_ACTOR", "other")
    _ok(cli("task", "assign", acme, "kickoff-workshop", "Priya Rao"))
    setting("TRANSITION_ACTOR", "tester")
    result = cli("undo", acme)
    assert result.exit_code == 1
    assert "changed by other" in result.stderr
