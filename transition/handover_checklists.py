"""Exit-handover checklists: YAML files → validated ``Checklist`` objects.

A checklist has sections, each with items (key, title, owner, description). Shipped
checklists live in ``playbooks/handover/``; every folder named in ``TRANSITION_PLAYBOOKS``
may hold a ``handover/`` folder of the user's own, searched first. A playbook names its
exit checklist with its ``handover`` key. Errors come back as ``file:line:col`` lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from transition import resources
from transition.errors import NotFound
from transition.yaml_text import Line, Text

SLUG = r"^[a-z0-9][a-z0-9-]*$"


def _due(value: str | None) -> str | None:
    """A due offset from the notice or exit date: ``exit-30d``, ``notice+2w``, ``exit-10bd``
    (``exit_timeline.parse_due``), stored in its written form."""
    if value is None:
        return None
    from transition.errors import BadInput
    from transition.exit_timeline import parse_due

    try:
        return str(parse_due(value))
    except BadInput as exc:
        raise ValueError(exc.message) from None


Due = AfterValidator(_due)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemSpec(_Strict):
    key: Annotated[str, Field(pattern=SLUG, max_length=150)]
    title: Annotated[str, Field(min_length=1, max_length=300), Line]
    owner: Annotated[str, Field(max_length=100), Line] = ""
    description: Annotated[str, Text] = ""
    # Due relative to the engagement's notice or exit date (none: no due date).
    due: Annotated[str | None, Due] = None


class SectionSpec(_Strict):
    key: Annotated[str, Field(pattern=SLUG, max_length=100)]
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    items: Annotated[tuple[ItemSpec, ...], Field(min_length=1)]


class Checklist(_Strict):
    name: Annotated[str, Field(pattern=SLUG, max_length=200)]
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    version: int = 1
    description: Annotated[str, Text] = ""
    sections: Annotated[tuple[SectionSpec, ...], Field(min_length=1)]

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("version must be a positive whole number")
        return value

    def items(self) -> list[tuple[SectionSpec, ItemSpec]]:
        return [(section, item) for section in self.sections for item in section.items]


def _check(checklist: Checklist) -> list[tuple[tuple, str]]:
    """Section keys unique; item keys unique across the whole checklist."""
    problems: list[tuple[tuple, str]] = []
    sections: set[str] = set()
    items: set[str] = set()
    for si, section in enumerate(checklist.sections):
        if section.key in sections:
            problems.append((("sections", si, "key"), f"duplicate section key {section.key!r}"))
        sections.add(section.key)
        for ii, item in enumerate(section.items):
            if item.key in items:
                problems.append(
                    (("sections", si, "items", ii, "key"), f"duplicate item key {item.key!r}")
                )
            items.add(item.key)
    return problems


def load_checklist(path: Path | str, *, text: str | None = None) -> Checklist:
    from transition.yamlfile import validate

    return validate(path, Checklist, checks=_check, text=text)


def checklist_dirs() -> list[Path]:
    return resources.search_dirs("handover")


def checklist_files() -> dict[str, Path]:
    """Known checklists by file stem, user folders first."""
    return resources.yaml_files(checklist_dirs())


_LOOKS_LIKE_PATH = resources.LOOKS_LIKE_PATH


def resolve_checklist(name_or_path: str) -> Checklist:
    """A checklist by name (user folders first, then shipped) or by file path."""
    if _LOOKS_LIKE_PATH.search(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.exists():  # anything else there: load_checklist says what it is
            raise NotFound(f"checklist file {name_or_path} not found")
        return load_checklist(path)
    files = checklist_files()
    path = files.get(name_or_path)
    if path is None:
        known = ", ".join(sorted(files)) or "none"
        raise NotFound(f"unknown exit checklist {name_or_path!r} (known: {known})")
    return load_checklist(path)


def checklist_hash(checklist: Checklist) -> str:
    """The content hash recorded with the checklist an engagement follows."""
    import hashlib
    import json

    # Items without a due offset hash as before due offsets existed.
    data = checklist.model_dump(mode="json")
    for section in data["sections"]:
        for item in section["items"]:
            if item.get("due") is None:
                item.pop("due", None)
    return hashlib.sha256(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def applied(checklist: Checklist) -> dict[str, object]:
    """The engagement's record of the checklist as applied: the base of an upgrade."""
    return {
        "handover_name": checklist.name,
        "handover_version": checklist.version,
        "handover_hash": checklist_hash(checklist),
        "handover_json": checklist.model_dump_json(),
    }


def item_specs(checklist: Checklist) -> dict[str, dict[str, str]]:
    """Each item's text as an engagement holds it, by key, in the checklist's order."""
    return {
        item.key: {
            "section": section.key,
            "section_title": section.title,
            "title": item.title,
            "owner": item.owner,
            "description": item.description.strip(),
        }
        for section, item in checklist.items()
    }
