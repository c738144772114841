"""Text fields of the YAML files users write (playbooks, exit checklists): the same rules
as text typed on the command line (``text.clean_line`` / ``text.clean_text``), as pydantic
validators, so a control character in a title is reported as ``file:line:col`` instead of
reaching the database, the terminal and every export.

A playbook stored with an engagement (validated with the ``{"stored": True}`` context) is
not checked again: it was checked when the engagement started.
"""

from __future__ import annotations

from pydantic import AfterValidator, ValidationInfo


def _stored(info: ValidationInfo) -> bool:
    context = info.context
    return isinstance(context, dict) and bool(context.get("stored"))


def _line(value: str, info: ValidationInfo) -> str:
    """Titles, owners, names: one line of printable text."""
    if _stored(info):
        return value
    from transition.errors import BadInput
    from transition.text import clean_line

    try:
        clean_line(value, "the text", None)
    except BadInput as exc:
        raise ValueError(exc.message) from None
    return value


def _text(value: str, info: ValidationInfo) -> str:
    """Descriptions: printable text, newlines and tabs."""
    if _stored(info):
        return value
    from transition.errors import BadInput
    from transition.text import clean_text

    try:
        clean_text(value, "the text")
    except BadInput as exc:
        raise ValueError(exc.message) from None
    return value


Line = AfterValidator(_line)
Text = AfterValidator(_text)
