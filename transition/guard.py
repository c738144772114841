"""Nothing secret is stored: free text that looks like a credential is refused.

The tool records who has access, never the access itself. Justifications, notes, reasons
and follow-ups pass through ``no_secrets`` before they are saved.
"""

from __future__ import annotations

import re

from transition.errors import BadInput

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"), "a private key block"),
    (
        re.compile(r"(?i)\b(pass(word|wd)?|pwd|secret|api[_-]?key|token)\s*[:=]\s*\S+"),
        "a password or secret assignment",
    ),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), "a Slack token"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),
        "a JSON web token",
    ),
    (re.compile(r"\bsk-[A-Za-z0-9]{20,}\b"), "an API secret key"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), "a GitLab token"),
]


def looks_like_secret(text: str) -> str | None:
    """What kind of credential ``text`` seems to contain, or None."""
    for pattern, kind in _PATTERNS:
        if pattern.search(text):
            return kind
    return None


def no_secrets(text: str | None, what: str) -> str | None:
    """Return ``text`` unchanged, or refuse it (exit 2) if it looks like a credential."""
    if text:
        kind = looks_like_secret(text)
        if kind:
            raise BadInput(
                f"{what} looks like it contains {kind}; transition stores access metadata only, "
                "never credentials: remove it and keep secrets in your vault"
            )
    return text
