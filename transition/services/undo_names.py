"""Undoing a rename gives the row its old name and slug back: refused, naming the row
that has that slug now, when another one took it since (a slug names one row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from transition.errors import Conflict
from transition.models import Engagement

#: The renamed rows whose slug is unique: in the engagement, or (an engagement's) overall.
NAMED = ("engagement", "person", "system")


def check_names(session: Session, plan: Any, when: str) -> None:
    """Refuse (nothing undone) when a slug the plan puts back belongs to another row."""
    for step in plan.fields:
        if step.key.entity not in NAMED:
            continue
        slug = step.value if step.column == "slug" else step.companions.get("slug")
        if not slug or slug == step.row.slug:
            continue
        model = type(step.row)
        scope = [model.id != step.row.id, model.slug == slug]
        if model is not Engagement:
            scope.append(model.engagement_id == step.row.engagement_id)
        other = session.execute(select(model).where(*scope).limit(1)).scalar_one_or_none()
        if other is not None:
            removed = getattr(other, "removed_at", None) is not None
            holder = (
                f"the removed {step.key.entity} {other.name!r} keeps"
                if removed
                else f"the {step.key.entity} {other.name!r} has now; rename one of them first"
            )
            raise Conflict(
                f"{when} cannot be undone: it would give {step.key.entity} {step.row.slug} "
                f"its old slug {slug!r} back, which {holder} (nothing undone)"
            )
