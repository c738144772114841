"""Small text helpers: slugs and user-facing formatting."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """``"Acme Helpdesk"`` → ``"acme-helpdesk"``; accents folded, anything else a hyphen."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", folded.lower()).strip("-")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(value: str, what: str = "name") -> str:
    """A user-given display name: stripped, no control characters, not empty, sluggable."""
    from transition.errors import BadInput

    name = value.strip()
    if _CONTROL.search(name):
        raise BadInput(f"{what} {value!r} contains control characters")
    if not name:
        raise BadInput(f"{what} must not be empty")
    if len(name) > 200:
        raise BadInput(f"{what} is longer than 200 characters")
    if not slugify(name):
        raise BadInput(f"{what} {value!r} has no letters or digits")
    return name
