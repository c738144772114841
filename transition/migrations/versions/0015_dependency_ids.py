"""a system dependency's id is never given again (SQLite)

Revision ID: 0015
Revises: 0014

A dependency taken away (``system depends --remove``, or an undo) is deleted, and its id
stays in the audit log's events, which name it by that id. SQLite gives the highest free
rowid to the next row, so a dependency added after removing the newest one took its id,
and the old events then read as the new dependency's. The table is built again with
``AUTOINCREMENT`` (ids only grow), its counter set past every id the log has seen.
PostgreSQL's sequences never give an id twice: nothing changes there.

The statements are frozen copies of what the program's models create at this revision;
migrations never import the program's services.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "system_dependency"
COLUMNS = "id, engagement_id, system_id, depends_on_id, kind"
INDEXES = ("engagement_id", "system_id", "depends_on_id")


def _create(name: str, autoincrement: bool) -> str:
    key = "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" if autoincrement else "INTEGER NOT NULL"
    primary = "" if autoincrement else "\tPRIMARY KEY (id), \n"
    return (
        f"CREATE TABLE {name} (\n"
        f"\tid {key}, \n"
        "\tengagement_id INTEGER NOT NULL, \n"
        "\tsystem_id INTEGER NOT NULL, \n"
        "\tdepends_on_id INTEGER NOT NULL, \n"
        "\tkind VARCHAR(20) NOT NULL, \n"
        f"{primary}"
        "\tCONSTRAINT ck_system_dependency_self CHECK (system_id <> depends_on_id), \n"
        "\tFOREIGN KEY(engagement_id) REFERENCES engagement (id) ON DELETE CASCADE, \n"
        "\tFOREIGN KEY(system_id) REFERENCES system (id) ON DELETE CASCADE, \n"
        "\tFOREIGN KEY(depends_on_id) REFERENCES system (id) ON DELETE CASCADE, \n"
        "\tCONSTRAINT uq_system_dependency UNIQUE (system_id, depends_on_id)\n"
        ")"
    )


def _rebuild(autoincrement: bool) -> None:
    """The table again, rows and ids kept (no table refers to it: dropping the old one
    deletes nothing elsewhere)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(_create(f"_new_{TABLE}", autoincrement))
    op.execute(f"INSERT INTO _new_{TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE _new_{TABLE} RENAME TO {TABLE}")
    for column in INDEXES:
        op.execute(f"CREATE INDEX ix_{TABLE}_{column} ON {TABLE} ({column})")


def upgrade() -> None:
    _rebuild(autoincrement=True)
    if op.get_bind().dialect.name != "sqlite":
        return
    # The next id comes after every one a row or an event has had.
    op.execute(
        f"INSERT INTO sqlite_sequence (name, seq) SELECT '{TABLE}', 0 "
        f"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{TABLE}')"
    )
    op.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, "
        f"(SELECT coalesce(max(id), 0) FROM {TABLE}), "
        "(SELECT coalesce(max(entity_id), 0) FROM audit_event "
        f"WHERE entity = '{TABLE}')) WHERE name = '{TABLE}'"
    )


def downgrade() -> None:
    _rebuild(autoincrement=False)
