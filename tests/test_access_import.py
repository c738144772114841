"""The grants CSV, row by row: each column checked by the rule ``access grant`` applies,
every problem of every row reported with its line, and the import's result as a model."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from test_access import ENG, team, write  # noqa: F401  (fixture)

from transition.errors import ValidationFailed
from transition.services import access
from transition.services.access_import import ColumnRules
from transition.services.common import get_engagement
from transition.services.views.access import ImportResult

HEADER = "person,system,role,expires,justification\n"


def test_a_row_names_each_bad_column():
    row = {
        "person": "",
        "system": "CRM",
        "role": "  ",
        "expires": "2027-02-30",
        "justification": "password: hunter22",
    }
    with pytest.raises(ValidationError) as caught:
        access.GrantRow.model_validate(row, context=ColumnRules([]))
    problems = {e["loc"][0]: e["msg"] for e in caught.value.errors()}
    assert list(problems) == ["person", "role", "expires", "justification"]
    assert "no such day" in problems["expires"]
    assert "password" in problems["justification"]


def test_a_good_row_keeps_the_values_as_grant_would():
    good = access.GrantRow.model_validate(
        {
            "person": "Bob New",
            "system": "CRM",
            "role": "Domain Admin",
            "expires": "2027-01-31",
            "justification": "on call",
        },
        context=ColumnRules([]),
    )
    assert (good.person, good.role, good.role_key) == ("Bob New", "Domain Admin", "domain-admin")
    assert (good.expires_on, good.expires_rule) == (date(2027, 1, 31), None)


def test_the_same_bad_value_is_reported_on_every_line(team, tmp_path, session_scope):  # noqa: F811
    path = write(
        tmp_path,
        HEADER
        + "Bob New,CRM,operator,someday,\n"
        + "Ann Old,CRM,reader,someday,\n"
        + "Bob New,,,someday,\n",
    )
    with session_scope() as s, pytest.raises(ValidationFailed) as caught:
        access.import_csv(s, get_engagement(s, ENG), path)
    body = "\n".join(caught.value.lines())
    for line in (2, 3, 4):
        assert f"{path}:{line}: invalid expiry 'someday'" in body, body
    # Every bad column of line 4, each on its own line.
    line4 = [m for m in caught.value.errors if m.startswith(f"{path}:4: ")]
    assert len(line4) == 3, line4
    for column in ("system", "role", "expiry"):
        assert any(column in m for m in line4), (column, line4)


def test_the_import_returns_what_it_did(team, tmp_path, session_scope):  # noqa: F811
    path = write(tmp_path, HEADER + "Bob New,CRM,operator,cutover+30d,support\n")
    with session_scope() as s:
        result = access.import_csv(s, ENG, path)  # the engagement by its name
    assert isinstance(result, ImportResult)
    assert (result.imported, result.people_created, result.systems_created) == (1, [], [])
    assert result.handover["added"] == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"person": "Nobody"}, "person"),
        ({"system": "Mainframe"}, "system"),
        ({"role": "  "}, "role"),
        ({"expires": "someday"}, "expires"),
        ({"expires": "2027-02-30"}, "expires"),
        ({"justification": "token: abcdef123"}, "justification"),
        ({"role": "operator"}, "role"),  # the same grant is in force already
    ],
)
def test_grant_errors_name_their_argument(team, session_scope, values, field):  # noqa: F811
    from transition.errors import TransitionError

    with session_scope() as s:
        access.grant(s, ENG, person="Bob New", system="CRM", role="operator")
    args = {"person": "Bob New", "system": "CRM", "role": "reader"} | values
    with session_scope() as s, pytest.raises(TransitionError) as caught:
        access.grant(s, ENG, **args)
    assert caught.value.field == field, caught.value.message


def test_revoke_errors_name_their_argument(team, session_scope):  # noqa: F811
    from transition.errors import BadInput

    with session_scope() as s:
        gid = access.grant(s, ENG, person="Bob New", system="CRM", role="operator").id
    with session_scope() as s, pytest.raises(BadInput) as caught:
        access.revoke(s, ENG, gid, reason="password=hunter22")
    assert caught.value.field == "reason"
    with session_scope() as s:
        view = access.revoke(s, ENG, gid, reason="left")
    with session_scope(write=False) as s:
        (listed,) = access.list_grants(s, ENG)
    assert view == listed  # what revoke returns is what list shows afterwards
    assert (view.id, view.status, view.revoke_reason, view.person) == (
        gid,
        "revoked",
        "left",
        "Bob New",
    )


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_a_multi_line_justification_keeps_its_lines_whatever_the_file_ends_lines_with(
    team,  # noqa: F811
    tmp_path,
    session_scope,
    newline,
):
    """A CSV saved on Windows ends every line with CRLF, the line breaks inside a quoted
    cell too; the justification is stored with plain newlines, not refused for a CR."""
    row = f'Bob New,CRM,operator,2027-01-31,"L2 support{newline}until cutover"'
    path = write(tmp_path, "\ufeff" + HEADER.replace("\n", "\r\n") + row + "\r\n")
    with session_scope() as s:
        assert access.import_csv(s, ENG, path).imported == 1
    with session_scope(write=False) as s:
        grants = access.list_grants(s, get_engagement(s, ENG), active=True)
    (grant,) = [g for g in grants if (g.person, g.role) == ("Bob New", "operator")]
    assert grant.justification == "L2 support\nuntil cutover"
