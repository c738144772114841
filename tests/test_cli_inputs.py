"""The global options and the values every command shares: `--db` as a URL or a file path,
credentials never shown, KT times in UTC, dates in a sane range, integers past 2^63,
drivers that are not installed, and a PostgreSQL role that may not create tables."""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conftest import PG_URL, CliResult
from tests.safety import assert_clean_error
from transition import db
from transition.cli.main import app


def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
    result = CliRunner().invoke(app, list(map(str, args)), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


# ----------------------------------------------------------------------- --db as a path


@pytest.mark.parametrize("form", ["relative", "dot-relative", "absolute", "home"])
def test_a_plain_path_is_a_sqlite_file(form, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    home = Path(os.environ["HOME"])
    given_path, where = {
        "relative": ("t.db", tmp_path / "t.db"),
        "dot-relative": ("./sub/t.db", tmp_path / "sub" / "t.db"),
        "absolute": (str(tmp_path / "abs.db"), tmp_path / "abs.db"),
        "home": ("~/h.db", home / "h.db"),
    }[form]
    made = invoke("--db", given_path, "init")
    assert made.exit_code == 0, made.stderr
    assert str(where) in made.stdout
    assert where.is_file() and (where.stat().st_mode & 0o777) == 0o600
    # The same file through its URL: the data is there.
    assert invoke("--db", given_path, "engagement", "new", "P", "--playbook",
                  "managed-service-onboarding").exit_code == 0  # fmt: skip
    listed = invoke("--db", f"sqlite:///{where}", "engagement", "list", "--json")
    assert [e["slug"] for e in listed.json()] == ["p"]
    db.reset_engines()


def test_the_environment_variable_takes_a_path_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("init", env={"TRANSITION_DATABASE_URL": "env.db"})
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "env.db").is_file()
    db.reset_engines()


READS = [
    ("engagement", "list"),
    ("engagement", "list", "--json"),
    ("engagement", "show", "acme"),
    ("phase", "status", "acme"),
    ("report", "acme"),
    ("export",),
    ("system", "list", "acme"),
    ("system", "map", "acme"),
    ("kt", "ics", "acme"),
    ("agenda",),
    ("audit", "acme"),
]


@pytest.mark.parametrize("given", ["path", "url", "env"])
@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_on_a_missing_sqlite_file_is_refused_and_creates_nothing(command, given, tmp_path):
    """A mistyped `--db` path must not answer "no engagements" from a database created
    on the spot: a command that only reads names the missing file and creates nothing."""
    path = tmp_path / "tyop" / "t.db"
    db_args, env = {
        "path": (["--db", "tyop/t.db"], None),
        "url": (["--db", f"sqlite:///{path}"], None),
        "env": ([], {"TRANSITION_DATABASE_URL": str(path)}),
    }[given]
    result = invoke(*db_args, *command, env=env)
    assert_clean_error(result)
    assert result.stderr == (
        f"error: database {path} does not exist (nothing was created): "
        "`transition init` creates it\n"
    )
    assert result.stdout == ""
    assert not path.parent.exists()
    db.reset_engines()


@pytest.mark.parametrize(
    "command",
    [("init",), ("demo", "--no-tui"),
     ("engagement", "new", "Acme", "--playbook", "managed-service-onboarding")],
    ids=" ".join,
)  # fmt: skip
def test_a_command_that_writes_still_creates_the_database(command, tmp_path):
    made = invoke("--db", "new/t.db", *command)
    assert made.exit_code == 0, made.stderr
    assert (tmp_path / "new" / "t.db").is_file()
    assert invoke("--db", "new/t.db", "engagement", "list").exit_code == 0
    db.reset_engines()


def test_the_tui_starts_on_a_new_database_but_not_on_a_named_engagement(tmp_path, monkeypatch):
    """Bare `transition` (and `transition tui`) opens on an empty database it creates; a
    named engagement cannot be in a file that does not exist: refused, nothing created."""
    import transition.tui.app

    opened = []
    monkeypatch.setattr(transition.tui.app, "run", lambda **kw: opened.append(kw) or 0)
    for where, args in (("a", ()), ("b", ("tui",))):
        result = invoke("--db", f"{where}/t.db", *args)
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / where / "t.db").is_file()
    assert len(opened) == 2
    refused = invoke("--db", "c/t.db", "tui", "acme")
    assert_clean_error(refused)
    assert "does not exist" in refused.stderr and not (tmp_path / "c").exists()
    assert len(opened) == 2
    db.reset_engines()


# ------------------------------------------------------------------ credentials masked

passwords = st.builds(
    lambda body: "Zq9" + body,
    st.text(
        alphabet=st.characters(
            codec="ascii", categories=("L", "N", "P", "S"), exclude_characters="%"
        ),
        min_size=3,
        max_size=16,
    ),
)


def _no_secret(output: str, password: str) -> None:
    for form in {password, quote(password, safe=""), quote(password)}:
        assert form not in output, output


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(password=passwords, in_query=st.booleans(), driver=st.sampled_from(
    ["psycopg", "psycopg2", "pg8000"]))  # fmt: skip
def test_a_password_never_reaches_an_error_line(password, in_query, driver):
    secret = quote(password, safe="")
    url = (
        f"postgresql+{driver}://bob@127.0.0.1:1/x?password={secret}"
        if in_query
        else f"postgresql+{driver}://bob:{secret}@127.0.0.1:1/x"
    )
    for args in (["init"], ["engagement", "list"], ["--actor", "x", "--help"]):
        result = invoke("--db", url, *args)
        _no_secret(result.stdout + result.stderr, password)
        if args[-1] != "--help":
            assert_clean_error(result)
    shown_help = invoke("--help", env={"TRANSITION_DATABASE_URL": url})
    assert shown_help.exit_code == 0
    _no_secret(shown_help.stdout + shown_help.stderr, password)
    # A URL that does not parse is masked as well.
    broken = invoke("--db", f"postgresql+psycopg://bob:{secret}@127.0.0.1:abc/x", "init")
    assert_clean_error(broken)
    _no_secret(broken.stderr, password)
    assert db.redact_url(url).count("***") == 1


@given(password=passwords, in_query=st.booleans())
@settings(max_examples=15, deadline=None, database=None)
def test_redact_url_masks_every_form(password, in_query):
    secret = quote(password, safe="")
    url = (
        f"postgresql+psycopg://u@h:5/d?sslmode=require&password={secret}"
        if in_query
        else f"postgresql+psycopg://u:{secret}@h:5/d?sslmode=require"
    )
    shown = db.redact_url(url)
    _no_secret(shown, password)
    assert "sslmode=require" in shown and "***" in shown


@pytest.mark.skipif(not PG_URL, reason="needs TRANSITION_TEST_DATABASE_URL")
@pytest.mark.parametrize("in_query", [False, True])
def test_init_and_the_tui_help_never_show_the_password(in_query, tmp_path):
    """PostgreSQL (trust authentication ignores the password): `init`'s message, `demo`'s
    hint and the TUI's idea of where it is all go through the same masking."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        base = db.make_url(PG_URL)
        password = "Zq9S3cret/@:?&"
        opts = quote(f"-csearch_path={schema}")
        if in_query:
            url = f"{base.set(password=None).render_as_string()}?options={opts}"
            url += f"&password={quote(password, safe='')}"
        else:
            url = base.set(password=password).render_as_string(hide_password=False)
            url += f"?options={opts}"
        made = invoke("--db", url, "init")
        assert made.exit_code == 0, made.stderr
        assert "***" in made.stdout
        _no_secret(made.stdout + made.stderr, password)
        demo = invoke("--db", url, "demo", "--no-tui", env={"TRANSITION_TODAY": "2026-11-10"})
        assert demo.exit_code == 0, demo.stderr
        _no_secret(demo.stdout + demo.stderr, password)
        from transition.tui.backend import Backend

        _no_secret(Backend(url, "tester").where(), password)
    finally:
        db.reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -------------------------------------------------------------------- bad database URLs


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgresql+psycopg2://bob:pw@h/db", "driver 'psycopg2' is not installed"),
        ("postgresql+pg8000://bob:pw@h/db", "driver 'pg8000' is not installed"),
        ("nosuchdb://h/db", "cannot use database URL"),
        ("postgresql+psycopg://bob:pw@127.0.0.1:abc/x", "invalid database URL"),
        ("postgresql+psycopg://bob:pw@[::1", "invalid database URL"),
        ("   ", "empty database URL"),
    ],
)
def test_a_database_url_that_cannot_be_used_is_one_error_line(url, message):
    result = invoke("--db", url, "engagement", "list")
    assert_clean_error(result)
    assert message in result.stderr
    assert ":pw@" not in result.stderr


@pytest.mark.skipif(not PG_URL, reason="needs TRANSITION_TEST_DATABASE_URL")
def test_a_role_without_create_on_its_schema_gets_a_clear_error_at_init():
    suffix = uuid.uuid4().hex[:12]
    role, schema = f"r_{suffix}", f"s_{suffix}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'REVOKE CREATE ON SCHEMA "{schema}" FROM PUBLIC'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
    try:
        url = db.make_url(PG_URL).set(username=role, password="Zq9Pw")
        url = url.render_as_string(hide_password=False)
        url += f"?options={quote(f'-csearch_path={schema}')}"
        result = invoke("--db", url, "init")
        assert_clean_error(result)
        assert "permission denied" in result.stderr and "GRANT CREATE" in result.stderr
        assert "Zq9Pw" not in result.stderr
        with admin.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            ).scalar_one()
        assert tables == 0
    finally:
        db.reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


# ------------------------------------------------------------------------- KT times


@pytest.fixture
def kt_ready(cli, acme):
    assert cli("system", "add", acme, "ERP").exit_code == 0
    assert cli("person", "add", acme, "Ann", "--side", "incumbent").exit_code == 0
    return acme


@pytest.mark.parametrize(
    "given_at, stored",
    [
        ("2026-12-01T14:00", "2026-12-01T14:00:00+00:00"),
        ("2026-12-01T14:00Z", "2026-12-01T14:00:00+00:00"),
        ("2026-12-01T15:00+01:00", "2026-12-01T14:00:00+00:00"),
        ("2026-12-01T09:30-04:30", "2026-12-01T14:00:00+00:00"),
    ],
)
def test_kt_times_are_utc_and_an_offset_is_converted(cli, kt_ready, given_at, stored):
    made = cli("kt", "schedule", kt_ready, "--system", "ERP", "--topic", "Batch",
               "--presenter", "Ann", "--at", given_at)  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert "at 2026-12-01 14:00 UTC" in made.stdout
    listed = cli("kt", "list", kt_ready)
    assert "2026-12-01 14:00 UTC" in listed.stdout
    [row] = cli("kt", "list", kt_ready, "--json").json()
    assert row["starts_at"] == stored
    ics = cli("kt", "ics", kt_ready)
    assert "DTSTART:20261201T140000Z" in ics.stdout.replace("\r", "")


def test_kt_help_says_utc(offline_cli):
    assert "UTC" in offline_cli("kt", "schedule", "--help").stdout
    assert "UTC" in offline_cli("kt", "list", "--help").stdout


# ---------------------------------------------------------- tracebacks and exit codes


@pytest.mark.parametrize(
    "args, message",
    [
        (["kt", "schedule", "{eng}", "--system", "ERP", "--topic", "t", "--presenter", "Ann",
          "--at", "9999-12-31T23:30"], "the year must be between 1900 and 2999"),
        (["kt", "schedule", "{eng}", "--system", "ERP", "--topic", "t", "--presenter", "Ann",
          "--at", "0001-01-01T00:00"], "the year must be between 1900 and 2999"),
        (["kt", "schedule", "{eng}", "--system", "ERP", "--topic", "t", "--presenter", "Ann",
          "--at", "2999-12-31T23:30-12:00"], "the year must be between 1900 and 2999"),
        (["person", "add", "{eng}", "Bo", "--side", "provider", "--release", "0001-01-01"],
         "the year must be between 1900 and 2999"),
        (["access", "grant", "{eng}", "--person", "Ann", "--system", "ERP", "--role", "r",
          "--expires", "9999-12-31"], "the year must be between 1900 and 2999"),
        (["engagement", "new", "Z", "--playbook", "managed-service-onboarding", "--start",
          "1899-12-31"], "the year must be between 1900 and 2999"),
        (["task", "assign", "{eng}", "kickoff-workshop", ""], "empty PERSON"),
        (["kt", "hold", "{eng}", "99999999999999999999"], "unknown KT session"),
        (["kt", "hold", "{eng}", "9223372036854775808"], "unknown KT session"),
        (["access", "revoke", "{eng}", "--", "-99999999999999999999"], "unknown"),
        (["audit", "{eng}", "--limit", "99999999999999999999"], "--limit"),
        (["kt", "schedule", "{eng}", "--system", "ERP", "--topic", "t", "--presenter", "Ann",
          "--at", "2026-12-01T10:00", "--minutes", "99999999999999999999"], "--minutes"),
    ],
)  # fmt: skip
def test_hostile_values_end_in_one_error_line(cli, kt_ready, args, message):
    result = cli(*[a.replace("{eng}", kt_ready) for a in args])
    assert_clean_error(result)
    assert message in result.stderr


def test_a_huge_expiry_window_lists_every_expiry_ahead(cli, kt_ready):
    assert cli("access", "grant", kt_ready, "--person", "Ann", "--system", "ERP", "--role",
               "ops", "--expires", "2999-01-01").exit_code == 0  # fmt: skip
    result = cli("access", "list", kt_ready, "--expiring", "99999999999999", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(result.json()) == 1


def test_an_invalid_pinned_today_is_one_error_line(cli, acme, monkeypatch):
    monkeypatch.setenv("TRANSITION_TODAY", "2026-02-30")
    result = cli("task", "list", acme, "--overdue")
    assert_clean_error(result)
    assert "invalid TRANSITION_TODAY '2026-02-30'" in result.stderr


def test_json_of_a_kt_list_is_still_only_json(cli, kt_ready):
    cli("kt", "schedule", kt_ready, "--system", "ERP", "--topic", "t", "--presenter", "Ann",
        "--at", "2026-12-01T10:00")  # fmt: skip
    json.loads(cli("kt", "list", kt_ready, "--json").stdout)


def test_a_session_stored_at_the_end_of_time_still_lists(cli, kt_ready, session_scope):
    """A database written before times were range-checked may hold a session in year 9999:
    lists and the calendar still work."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from transition.models import KTSession

    assert cli("kt", "schedule", kt_ready, "--system", "ERP", "--topic", "t", "--presenter",
               "Ann", "--at", "2026-12-01T10:00").exit_code == 0  # fmt: skip
    with session_scope() as s:
        s.execute(update(KTSession).values(starts_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC)))
    listed = cli("kt", "list", kt_ready)
    assert listed.exit_code == 0, listed.stderr
    assert "9999-12-31 23:30 UTC" in listed.stdout
    ics = cli("kt", "ics", kt_ready)
    assert ics.exit_code == 0, ics.stderr
    assert "DURATION:PT1H" in ics.stdout.replace("\r", "")


def test_a_long_value_echoed_in_an_error_is_cut(cli, acme):
    from safety import assert_clean_error

    result = cli("task", "show", acme, "k" * 5000)
    assert_clean_error(result)
    assert result.stderr.count("\n") == 1
    assert re.search(r"k… \([\d,]+ more characters\)$", result.stderr.rstrip())
