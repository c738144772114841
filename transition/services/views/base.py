"""The base of every read model, and the timestamp type they share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

#: An aware UTC timestamp, dumped to JSON as ``isoformat()`` (pydantic would write ``Z``).
Timestamp = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), when_used="json")]


class View(BaseModel):
    """Base of every read model: built from attributes or a mapping, read by attribute."""

    model_config = ConfigDict(from_attributes=True)
