"""The parts of an engagement's stored playbook that judging and scoring read on every
``phase status`` (the runbooks each tier requires, the KPIs of the scorecard), read
without validating its phases and tasks again.

A stored playbook was validated in full when the engagement started (``playbooks.from_json``
reads all of it); a large one has thousands of tasks, which these readers never need.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, ValidationError

from transition.playbook_scorecard import KPISpec


def required_runbooks(
    runbooks: tuple[str, ...], tier_runbooks: dict[int, tuple[str, ...]], tier: int
) -> list[str]:
    """The runbooks a system of ``tier`` needs: every system's, then its tier's extra
    ones (``Playbook.required_runbooks``, without loading the whole playbook's models)."""
    names = list(runbooks)
    for extra in tier_runbooks.get(tier, ()):
        if extra not in names:
            names.append(extra)
    return names


class StoredParts(BaseModel):
    """``runbooks``, ``tier_runbooks`` and ``scorecard`` of a stored ``Playbook``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    runbooks: tuple[str, ...] = ()
    tier_runbooks: dict[int, tuple[str, ...]] = {}
    scorecard: tuple[KPISpec, ...] = ()

    def required_runbooks(self, tier: int) -> list[str]:
        return required_runbooks(self.runbooks, self.tier_runbooks, tier)


#: Where a stored playbook's phases begin: ``Playbook.model_dump_json`` writes its
#: runbooks, tier runbooks and scorecard before them, and no space.
_PHASES = ',"phases":'
_PARTS = ('"runbooks":', '"tier_runbooks":', '"scorecard":')


@lru_cache(maxsize=8)
def parts_of(text: str) -> StoredParts:
    """The parts of the stored playbook ``text`` (``Engagement.playbook_json``), kept per
    text as ``from_json`` keeps the whole playbook.

    The phases (most of a large playbook) are not parsed when the parts come before them:
    the text up to the top-level ``"phases"`` key, closed, is read alone. A quote inside a
    JSON string is escaped, so ``,"phases":`` is a key; cut inside a nested value, the
    text left is not a whole object and fails. The whole text is read when that fails or
    when one of the parts' keys comes after the phases."""
    cut = text.find(_PHASES)
    if cut > 0 and not any(text.find(key, cut) >= 0 for key in _PARTS):
        try:
            return StoredParts.model_validate_json(text[:cut] + "}")
        except ValidationError:
            pass
    return StoredParts.model_validate_json(text)
