"""What a runbook template is given: the database's values and the caller's ``--set`` ones.

The generator fills ``BUILTIN`` from the database (engagement, system, owners, escalation
contacts, today); a template declares in its front matter the other variables it reads,
which the caller sets. Text people typed reaches the template as ``UserText`` (shown
literally), everything else as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import bindparam, select
from sqlmodel import Session

from transition import errors
from transition.dates import today
from transition.errors import BadInput
from transition.guard import no_secrets
from transition.models import Engagement, Person, System, SystemPerson
from transition.services.views.runbooks import TemplateVariable, TemplateView
from transition.text import clean_text

# ``transition.templates`` (and Jinja) is imported where a template is read, not here:
# listing runbooks must not pay for it (tests/test_runbooks.py pins that).
if TYPE_CHECKING:
    from transition.templates import TemplateInfo

SIDE_ORDER = {"provider": 0, "incumbent": 1, "client": 2}
#: Variables the generator fills from the database; ``--set`` cannot replace them.
BUILTIN = (
    "engagement",
    "system",
    "incumbent_owner",
    "provider_owner",
    "escalation",
    "generated_on",
    "template",
)
#: What each database value is to a runbook once written. *Answers* are recorded with the
#: runbook (``Runbook.answers_json``) and given again when an improved template is merged
#: in (``runbook update``), so the update changes what the template changed and nothing
#: else: the engagement and the system (they change only when someone edits them), and
#: the owners and escalation contacts as they were when the runbook was written (the team
#: agreed them; people released later do not rewrite a written runbook). ``generated_on``
#: changes by itself (every day) and ``template`` describes the template, not the runbook:
#: both are taken afresh at each rendering, never recorded.
ANSWERED = ("engagement", "system", "incumbent_owner", "provider_owner", "escalation")
FRESH = ("generated_on", "template")
assert set(ANSWERED) | set(FRESH) == set(BUILTIN)
#: Why a variable the generator fills may be missing, and what to do about it.
HINTS = {
    "incumbent_owner": "no incumbent person on the engagement: add one with "
    "`transition person add ENG NAME --side incumbent`",
    "provider_owner": "no provider person on the engagement: add one with "
    "`transition person add ENG NAME --side provider`",
}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Built once from plain Core columns: generating many skeletons in one process should
# neither rebuild it each time nor load anything into the session's identity map.
_P = Person.__table__
_PEOPLE = select(_P.c.slug, _P.c.name, _P.c.side, _P.c.role, _P.c.email).where(
    _P.c.engagement_id == bindparam("eid"),
    _P.c.release_date.is_(None) | (_P.c.release_date >= bindparam("day")),
)
_S, _SP = System.__table__, SystemPerson.__table__
#: The system's people (owners, SMEs, backups), by the system's slug.
_SYSTEM_PEOPLE = (
    select(_P.c.slug, _SP.c.role)
    .select_from(_SP.join(_S, _S.c.id == _SP.c.system_id).join(_P, _P.c.id == _SP.c.person_id))
    .where(_S.c.engagement_id == bindparam("eid"), _S.c.slug == bindparam("system"))
)
#: The order a skeleton picks a system's people in.
_SYSTEM_ROLE_RANK = {"owner": 0, "sme": 1, "backup": 2}


class SystemLike(Protocol):
    """What a template is told about the system (a ``System`` row or a selected row)."""

    name: str
    slug: str
    tier: int


def list_templates(template_dirs: Iterable[str | Path] = ()) -> list[TemplateView]:
    """Every template one can generate from (user folders first, then the shipped ones),
    with the variables ``--set`` may fill."""
    from transition import templates

    with errors.about("template_dirs"):
        infos = templates.available(template_dirs)
    return [
        TemplateView(
            name=i.name,
            title=i.title,
            description=i.description,
            source=i.source,
            path=str(i.path),
            variables={
                n: TemplateVariable(required=v.required, description=v.description)
                for n, v in i.variables.items()
            },
            options=[v for v in i.variables if v not in BUILTIN],
        )
        for i in infos
    ]


def parse_sets(values: Iterable[str]) -> dict[str, str]:
    """``["rto=4h", "bridge=https://…"]`` → a dict; every malformed one named at once."""
    out: dict[str, str] = {}
    bad: list[str] = []
    for raw in values:
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            bad.append(raw)
            continue
        out[key] = value
    if bad:
        raise BadInput(
            f"invalid --set {', '.join(map(repr, bad))}: expected NAME=VALUE with NAME made "
            "of letters, digits and underscores",
            field="sets",
        )
    return out


def _role_rank(role: str | None) -> int:
    text = (role or "").lower()
    if "owner" in text:
        return 0
    if "lead" in text:
        return 1
    return 2


#: Every system's people of the engagement (``generate --missing``: one query for all).
_ALL_SYSTEM_PEOPLE = (
    select(_S.c.slug.label("system"), _P.c.slug, _SP.c.role)
    .select_from(_SP.join(_S, _S.c.id == _SP.c.system_id).join(_P, _P.c.id == _SP.c.person_id))
    .where(_S.c.engagement_id == bindparam("eid"))
)


def _ranks(rows: Iterable[tuple[str, str]]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for slug, role in rows:
        rank = _SYSTEM_ROLE_RANK.get(role, 3)
        ranks[slug] = min(rank, ranks.get(slug, rank))
    return ranks


def context_sources(session: Session, engagement: Engagement) -> tuple[list, dict[str, dict]]:
    """What ``context`` reads, for every system at once (two queries): the engagement's
    people still there today, and per system slug its people's ranks (owner, SME,
    backup). ``generate --missing`` renders many skeletons from one read."""
    session.flush()
    conn = session.connection()
    people = conn.execute(_PEOPLE, {"eid": engagement.id, "day": today()}).all()
    by_system: dict[str, list[tuple[str, str]]] = {}
    for system, slug, role in conn.execute(_ALL_SYSTEM_PEOPLE, {"eid": engagement.id}):
        by_system.setdefault(system, []).append((slug, role))
    return people, {system: _ranks(rows) for system, rows in by_system.items()}


def context(
    session: Session,
    engagement: Engagement,
    system: SystemLike,
    *,
    sources: tuple[list, dict[str, dict]] | None = None,
) -> dict[str, object]:
    """What every template can use, from the database (one query for the people, one
    for the system's owners, SMEs and backups, who come first as owners and make up the
    escalation list when there are any). ``sources``: ``context_sources`` read already
    (no query then)."""
    from transition.templates import Record, UserText

    def typed(value: str | None) -> UserText | None:
        return None if value is None else UserText(value)

    day = today()
    if sources is None:
        session.flush()
        people = session.connection().execute(_PEOPLE, {"eid": engagement.id, "day": day}).all()
        ranks = _ranks(
            session.connection().execute(
                _SYSTEM_PEOPLE, {"eid": engagement.id, "system": system.slug}
            )
        )
    else:
        people, ranks = list(sources[0]), sources[1].get(system.slug, {})
    people.sort(key=lambda p: (SIDE_ORDER.get(p.side, 3), _role_rank(p.role), p.slug))
    records = [
        Record(
            name=typed(p.name),
            slug=p.slug,
            side=p.side,
            role=typed(p.role),
            email=typed(p.email),
        )
        for p in people
    ]

    # The system's own people (owners, then SMEs, then backups) come first; the
    # engagement's people are the fallback when the system has none on a side.
    mine = sorted(
        (r for r in records if r.slug in ranks),
        key=lambda r: (ranks[r.slug], SIDE_ORDER.get(r.side, 3), r.slug),
    )

    def owner(side: str) -> Record | None:
        return next((r for r in mine if r.side == side), None) or next(
            (r for r in records if r.side == side), None
        )

    return {
        "engagement": Record(
            name=typed(engagement.name),
            slug=engagement.slug,
            client=typed(engagement.client),
            incumbent=typed(engagement.incumbent),
            provider=typed(engagement.provider),
            model=engagement.model,
            location=engagement.location,
            start=engagement.start_date.isoformat(),
        ),
        "system": Record(name=typed(system.name), slug=system.slug, tier=system.tier),
        "incumbent_owner": owner("incumbent"),
        "provider_owner": owner("provider"),
        "escalation": mine or records,
        "generated_on": day.isoformat(),
    }


def check_sets(
    sets: Mapping[str, str], info: TemplateInfo, dirs: tuple[tuple[Path, str], ...]
) -> None:
    """``--set`` names only variables the template uses and the database does not fill."""
    from transition import templates

    clash = sorted(k for k in sets if k in BUILTIN)
    if clash:
        raise BadInput(f"--set {', '.join(clash)}: filled from the database, cannot be set by hand")
    if not sets:
        return
    known = set(info.variables) | templates.referenced_variables(info, dirs)
    unknown = sorted(k for k in sets if k not in known)
    if unknown:
        declared = ", ".join(v for v in info.variables if v not in BUILTIN) or "none"
        raise BadInput(
            f"--set {', '.join(unknown)}: template {info.name} does not use "
            f"{'this variable' if len(unknown) == 1 else 'these variables'} "
            f"(it declares: {declared})"
        )
    for key, value in sets.items():
        no_secrets(clean_text(value, f"--set {key}"), f"--set {key}")


def encode_answers(values: Mapping[str, object], sets: Mapping[str, str]) -> str:
    """The answers a runbook was rendered with, as JSON: the ``ANSWERED`` database values
    (records and user text keep their kind) and the ``--set`` values."""
    import json

    from transition.templates import Record, UserText

    def enc(value: object) -> object:
        if isinstance(value, Record):
            return {"record": {k: enc(v) for k, v in vars(value).items()}}
        if isinstance(value, UserText):
            return {"text": str(value)}
        if isinstance(value, list | tuple):
            return {"list": [enc(v) for v in value]}
        return value

    context = {k: enc(values.get(k)) for k in ANSWERED}
    return json.dumps({"context": context, "sets": dict(sets)}, sort_keys=True)


def decode_answers(text: str) -> tuple[dict[str, object], dict[str, str]]:
    """``(database values, --set values)`` from ``encode_answers``; BadInput when the
    recorded text is not what it wrote."""
    import json

    from transition.templates import Record, UserText

    def dec(value: object) -> object:
        if isinstance(value, dict):
            if "record" in value:
                return Record(**{k: dec(v) for k, v in value["record"].items()})
            if "text" in value:
                return UserText(value["text"])
            if "list" in value:
                return [dec(v) for v in value["list"]]
        return value

    try:
        data = json.loads(text)
        context = {k: dec(data["context"].get(k)) for k in ANSWERED}
        sets = {str(k): str(v) for k, v in data["sets"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise BadInput("the answers recorded with this runbook cannot be read") from None
    return context, sets
