"""The base of every read model, and the timestamp type they share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

#: An aware UTC timestamp, dumped to JSON as ``isoformat()`` (pydantic would write ``Z``).
Timestamp = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), when_used="json")]


class View(BaseModel):
    """Base of every read model: built from attributes or a mapping, read by attribute.
    Each model builds its validator when first used, not when imported: a command uses a
    few of them, and building them all is a noticeable part of every command's start."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)


def records(view: type[View], rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows of ``view``'s fields, already of their types, as plain dicts in the order and
    with the defaults of ``view``: what ``view(**row).model_dump(mode="json")`` prints as
    JSON, without building a model per row (a list of thousands prints much faster)."""
    fields = view.model_fields
    defaults = {
        name: info.get_default(call_default_factory=True)
        for name, info in fields.items()
        if not info.is_required()
    }
    names = tuple(fields)
    for row in rows:
        yield {name: row[name] if name in row else defaults[name] for name in names}
