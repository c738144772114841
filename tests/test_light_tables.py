"""Services that read or write an area's table through a light Core ``table()`` (so that a
command does not build the area's models) name its columns a second time: every such
column must be a column of the model's table, of a type that reads the same."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy.sql.expression import TableClause
from sqlmodel import SQLModel

from transition import models

MODULES = [
    "transition.services.readiness",
    "transition.services.readiness_areas",
]


def _light_tables():
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, TableClause) and value.__class__ is TableClause:
                yield f"{name}.{attr}", value


@pytest.mark.parametrize("where,light", list(_light_tables()), ids=lambda v: str(v))
def test_a_light_table_names_only_columns_of_its_model(where, light):
    models.load_all()
    real = SQLModel.metadata.tables[light.name]
    for col in light.columns:
        assert col.name in real.c, f"{where}: {light.name}.{col.name} is not a column"
        if col.type._type_affinity is not None and col.type.__class__.__name__ != "NullType":
            assert col.type._type_affinity is real.c[col.name].type._type_affinity, (
                f"{where}: {light.name}.{col.name} is {col.type!r}, the model says "
                f"{real.c[col.name].type!r}"
            )


def test_the_light_tables_are_found():
    assert {light.name for _, light in _light_tables()} >= {
        "readiness_snapshot",
        "runbook_exercise",
        "raid_item",
    }
