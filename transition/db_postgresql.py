"""How a PostgreSQL session is set up when it connects."""

from __future__ import annotations


def no_jit(dbapi_connection, record) -> None:
    """PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high,
    which an anti-join over a large engagement's checklist easily reaches: a third of a
    second of compiling for a query that runs in milliseconds. The commands' queries are
    short; they run without it."""
    if getattr(dbapi_connection.info, "server_version", 0) < 110000:  # no JIT before 11
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()
