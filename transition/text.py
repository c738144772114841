"""User text at the boundary: one validation path for every piece of text a user gives.

- ``clean_line(value, what, max_len)``: a single-line field (party, role, reason, title,
  actor…): no control character at all.
- ``clean_text(value, what, max_len)``: a multi-line field (notes, descriptions,
  justifications, follow-ups): newline and tab only.
- ``clean_name(value, what, max_len)``: a name that is also looked up by its slug
  (engagement, system, person): a non-empty line with letters or digits, and no word
  that mixes scripts with look-alike letters (Cyrillic ``а`` in ``Acme``).
- ``clean_email(value, what, max_len)``: an address, within its column's length.
- ``field_limit(Model, "field")``: the column length a value must fit, read from the
  SQLModel field, so the same limit holds on SQLite (which would store anything) and on
  PostgreSQL (which would fail with a raw ``value too long``).
- ``slugify(value)`` and ``legacy_slug(value)``: the slug of a name, and the slug the first
  release gave it (rows created then keep their stored slug and are still found by name).

Every refusal is ``BadInput`` (exit 2) naming the field; the offending value is never
echoed raw, so an error line cannot itself carry a terminal escape.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

# Free text in a column without a length of its own (notes, descriptions…): the same cap
# on every backend.
TEXT_MAX = 10_000

# C0 controls, DEL, C1 controls (U+0080–U+009F), bidirectional embeddings, overrides and
# isolates, line/paragraph separators, and lone surrogates (not text at all).
_BIDI = "\u202a-\u202e\u2066-\u2069"
_SEPARATORS = "\u2028\u2029"
_SURROGATES = "\ud800-\udfff"
_NOT_IN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}{_SURROGATES}]")
_NOT_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}{_SURROGATES}]")

# Zero-width non-joiner and joiner shape Persian, Indic and emoji text; every other
# invisible formatting character (zero-width space, soft hyphen, BOM…) could make two names
# that look the same differ, so names refuse them.
_JOINERS = "\u200c\u200d"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _bad_input(message: str) -> Exception:
    from transition.errors import BadInput

    return BadInput(message)


def _describe(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "a line break (U+000A)"
    if char == "\t":
        return "a tab (U+0009)"
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X})"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"a bidirectional text control (U+{code:04X})"
    return f"a control character (U+{code:04X})"


def _check_chars(value: str, what: str, pattern: re.Pattern[str], allowed: str) -> None:
    bad = pattern.search(value)
    if bad:
        raise _bad_input(
            f"{what} contains control characters ({_describe(bad.group())} at character "
            f"{bad.start() + 1}): {allowed}"
        )


def _check_length(value: str, what: str, max_len: int | None) -> None:
    limit = TEXT_MAX if max_len is None else max_len
    if len(value) > limit:
        raise _bad_input(
            f"{what} is {len(value):,} characters long; the limit is {limit:,} characters"
        )


def _as_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _bad_input(f"{what} must be text")
    return value


def clean_line(value: str, what: str, max_len: int | None, *, required: bool = False) -> str:
    """A single-line field, stripped: printable characters only, at most ``max_len``
    characters (``None``: ``TEXT_MAX``), not empty when ``required``."""
    value = _as_str(value, what)
    _check_chars(value, what, _NOT_IN_LINE, "it must be a single line of printable text")
    text = value.strip()
    if required and not text:
        raise _bad_input(f"{what} must not be empty")
    _check_length(text, what, max_len)
    return text


def clean_text(value: str, what: str, max_len: int | None = None) -> str:
    """A multi-line field, stripped: printable characters, newlines and tabs only, at most
    ``max_len`` characters (``None``: ``TEXT_MAX``)."""
    value = _as_str(value, what)
    _check_chars(value, what, _NOT_IN_TEXT, "only printable text, newlines and tabs are allowed")
    text = value.strip()
    _check_length(text, what, max_len)
    return text


def clean_name(value: str, what: str = "name", max_len: int | None = 200) -> str:
    """A display name that is also looked up by slug: one printable line, not empty, with
    letters or digits, and no word mixing scripts with look-alike letters."""
    name = clean_line(value, what, max_len, required=True)
    hidden = next((c for c in name if unicodedata.category(c) == "Cf" and c not in _JOINERS), None)
    if hidden is not None:
        raise _bad_input(
            f"{what} contains an invisible formatting character (U+{ord(hidden):04X}); "
            "names are shown and matched as typed, so type it without"
        )
    slug = slugify(name)
    if not slug:
        raise _bad_input(f"{what} {name!r} has no letters or digits")
    if max_len is not None and len(slug) > max_len:
        raise _bad_input(
            f"{what} {name!r} makes a slug of {len(slug):,} characters; "
            f"the limit is {max_len:,} characters"
        )
    lookalike = confusable_word(name)
    if lookalike:
        raise _bad_input(
            f"{what} {name!r}: the word {lookalike!r} mixes letters of different scripts "
            "that look alike (such as Cyrillic 'а' for Latin 'a'); type it in one script"
        )
    return name


def clean_email(value: str, what: str = "email", max_len: int | None = 320) -> str:
    """An email address: one line, ``local@domain.tld``, within ``max_len``."""
    email = clean_line(value, what, max_len, required=True)
    if not _EMAIL.match(email):
        raise _bad_input(f"invalid {what} address {email!r}")
    return email


@cache
def field_limit(model: type, field: str) -> int | None:
    """The length of ``model.field``'s column (its SQLModel ``max_length``), or None when the
    column has no length of its own (the caller's cap, ``TEXT_MAX``, applies)."""
    column = model.__table__.c[field]  # type: ignore[attr-defined]
    return getattr(column.type, "length", None)


# Small alphabets whose letters are confused with each other (the homograph attack).
_ALPHABETS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


def confusable_word(name: str) -> str | None:
    """The first word of ``name`` that mixes alphabets (Latin, Cyrillic, Greek…) with a
    letter that looks like one of another alphabet in that word (Unicode TR 39 confusables
    through ``confusable_homoglyphs``), or None. Words in one script, and other scripts
    mixed as they are written (Japanese kanji with kana), pass."""
    from confusable_homoglyphs import categories, confusables

    for word in re.findall(r"[^\W_]+", name):
        if word.isascii():
            continue
        scripts = {categories.alias(c) for c in word} & _ALPHABETS
        # A letter of one alphabet that looks like a letter of another one in the word.
        if len(scripts) > 1 and any(
            confusables.is_confusable(word, preferred_aliases=[script]) for script in scripts
        ):
            return word
    return None


# --------------------------------------------------------------------------- slugs

# ``C++``, ``C#``, ``Notepad++``: a trailing + or # right after a word is part of the name.
_SPELLED_SYMBOLS = re.compile(r"(?<=[^\W_])(\++|#)(?![^\W_])")
_SPELLING = {"+": "-plus", "#": "-sharp"}
_HYPHENS = re.compile(r"-{2,}")


def _spell(match: re.Match[str]) -> str:
    return "".join(_SPELLING[c] for c in match.group()) + "-"


def _fold(char: str) -> str:
    """One casefolded character → its slug text: ASCII letters and digits as they are,
    Latin letters with accents without them (``é`` → ``e``), other letters, marks and
    digits of any script kept, anything else a hyphen."""
    if char.isascii():
        return char if char.isalnum() else "-"
    decomposed = unicodedata.normalize("NFKD", char)
    base = decomposed[0]
    if base.isascii() and base.isalnum() and all(unicodedata.combining(c) for c in decomposed[1:]):
        return decomposed.encode("ascii", "ignore").decode("ascii")
    category = unicodedata.category(char)
    if category == "Cf":  # invisible (zero-width space, joiners, marks): no slug of its own
        return ""
    return char if category[0] in "LMN" else "-"


def slugify(value: str) -> str:
    """``"Acme Helpdesk"`` → ``"acme-helpdesk"``, ``"Café"`` → ``"cafe"``,
    ``"Иван Петров"`` → ``"иван-петров"``, ``"C++"`` → ``"c-plus-plus"``.

    NFKC-normalised and casefolded; Latin accents fold to ASCII; letters, marks and digits
    of every script stay; invisible format characters (zero-width space…) go, so they
    cannot make a second name that looks the same; a word-final ``+`` or ``#`` is spelled
    out; anything else becomes a single hyphen. On ASCII names without a word-final ``+``/``#`` this is exactly
    ``legacy_slug``, so the slugs of existing rows do not change."""
    if value.isascii():  # the same steps, much faster on the names most rows have
        if "+" in value or "#" in value:
            value = _SPELLED_SYMBOLS.sub(_spell, value)
        return _NON_SLUG.sub("-", value.lower()).strip("-")
    return _slug_of(value)


def _slug_of(value: str) -> str:
    """``slugify`` of any text, step by step."""
    text = unicodedata.normalize("NFKC", value)
    text = _SPELLED_SYMBOLS.sub(_spell, text).casefold()
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.combining(char) and out and out[-1][-1:].isascii():
            continue  # an accent left on an ASCII letter (``İ`` casefolds to ``i̇``)
        out.append(_fold(char))
    return _HYPHENS.sub("-", "".join(out)).strip("-")


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def legacy_slug(value: str) -> str:
    """The slug the first release gave ``value`` (ASCII only: other letters dropped)."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", folded.lower()).strip("-")


def is_slug(value: str) -> bool:
    """Whether ``value`` is a slug (its own slug): letters, marks and digits of any script
    and single inner hyphens; never a separator, a dot or a control character, so it is safe
    as a file or folder name."""
    return bool(value) and slugify(value) == value


def ascii_slug(value: str) -> str:
    """An ASCII-only slug for names whose format allows only ``[a-z0-9-]`` (checklist and
    playbook names): ``slugify`` with the letters outside ASCII dropped."""
    return legacy_slug(slugify(value))


def slug_matches(name: str, slug: str) -> bool:
    """Whether ``slug`` is the slug of ``name``, under today's rule or the first release's
    (what an export written by that release holds)."""
    return slug == slugify(name) or (slug == legacy_slug(name) and bool(slug))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MD_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def markdown_literal(value: Any) -> str:
    """User text as Markdown that shows it literally: every character Markdown (or the
    HTML a Markdown viewer passes through) could read as syntax is backslash-escaped, a
    leading list or heading marker too, and line breaks become spaces so that a table row
    stays one row."""
    text = " ".join(("" if value is None else str(value)).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def fit_cells(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, ending in "…" when cut: counted in
    cells, not characters (a CJK character or an emoji takes two, an accent none)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"
