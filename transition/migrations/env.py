"""Alembic environment: targets SQLModel.metadata; runs on the caller's connection."""

from alembic import context
from sqlmodel import SQLModel

import transition.models

transition.models.load_all()  # every table registered
transition.models.core.postgresql_options()

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations through `transition init`")
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
