"""Read models of the hand-back pack: what ``handover pack`` wrote or verified."""

from __future__ import annotations

from transition.services.views.base import Timestamp, View


class PackFile(View):
    """One file of a pack as its manifest lists it."""

    path: str
    sha256: str
    bytes: int


class PackWritten(View):
    """A pack written: where, for which engagement, when, and its files (manifest left
    out: it lists them)."""

    path: str
    engagement: str
    generated_at: Timestamp
    files: list[PackFile]


class PackVerified(View):
    """A pack whose every file matches its manifest."""

    path: str
    engagement: str
    generated_at: str
    files: int
