"""The parallel-run scorecard: KPI values per party and ISO week, and interventions.

The KPIs are the ones the engagement's playbook (as stored when it started or was last
upgraded) declares under ``scorecard:``. A value is kept per KPI, party (``incumbent`` or
``provider``) and ISO week (``2026-W49``), a database constraint (``uq_score_entry``).
Recording a value again for the same KPI, party and week replaces it: audited as an
``update`` of the ``value`` (and ``note``) field, so the log keeps the earlier value.
Entities in the log: ``score_entry`` (create/update), ``intervention`` (create).

Gate criteria (``gate_facts``/``gate_judge``, dispatched by ``gate_extras``):

- ``scorecard: {periods: N}``: the last N weeks are the N most recent ISO weeks up to
  the current one in which the provider has any value; they must be consecutive weeks,
  and in each one the provider met the target of every KPI the playbook declares (a KPI
  with no provider value that week is not met).
- ``interventions: {max: N}``: the number of weeks with at least one intervention is at
  most N.

A score or an intervention is recorded for a week that has begun: a period after the
current ISO week (of ``dates.today()``) is refused.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from transition.dates import today, utcnow
from transition.errors import BadInput, NotFound, Refused, about
from transition.models import Engagement, Intervention, Phase, ScoreEntry
from transition.playbook_criteria import Criterion
from transition.playbook_scorecard import KPISpec
from transition.playbook_stored import parts_of
from transition.services import audit
from transition.services.common import EngagementRef, add_unique, engagement_of
from transition.services.views.scorecard import (
    InterventionView,
    KPISeries,
    Scorecard,
    ScoreChange,
    ScoreView,
)
from transition.text import clean_text

ENTITY = "score_entry"
INTERVENTION = "intervention"
PARTIES = ("incumbent", "provider")
_PERIOD = re.compile(r"^(\d{4})-[Ww](\d{1,2})$", re.ASCII)
#: A decimal number as people write it: ASCII digits, a dot, an exponent (``float`` alone
#: would also read ``1_000`` and digits of other scripts).
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
#: Values beyond this size are typing mistakes, not service levels.
MAX_VALUE = 1e12
NOTE_MAX = 2000


# --------------------------------------------------------------------------- values


def weeks_in(year: int) -> int:
    """52 or 53: the ISO weeks of ``year`` (28 December is always in its last week)."""
    return date(year, 12, 28).isocalendar().week


def parse_period(value: str) -> str:
    """An ISO week as ``YYYY-Www`` (``2026-W49``; ``2026-w49`` and ``2026-W7`` are read
    too); refused unless that week exists (``2027-W53`` does not: 2027 has 52 weeks)."""
    text = str(value).strip()
    match = _PERIOD.match(text)
    if not match:
        raise BadInput(
            f"invalid period {value!r}: expected an ISO week like 2026-W49", field="period"
        )
    year, week = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 9999:
        raise BadInput(f"invalid period {value!r}: no such year", field="period")
    if not 1 <= week <= weeks_in(year):
        raise BadInput(
            f"invalid period {value!r}: {year} has weeks 1 to {weeks_in(year)}", field="period"
        )
    return f"{year:04d}-W{week:02d}"


def parse_past_period(value: str, what: str = "a score") -> str:
    """``parse_period``, refused when the week is after the current one (the week of
    ``today()``): a score or an intervention is about a week that has begun."""
    period = parse_period(value)
    current = period_of(today())
    if period > current:  # YYYY-Www: the text sorts as the weeks do
        raise BadInput(
            f"invalid period {str(value).strip()!r}: it is after the current week, "
            f"{current}; record {what} once its week has begun",
            field="period",
        )
    return period


def period_of(day: date) -> str:
    """The ISO week ``day`` falls in, as ``YYYY-Www``."""
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def monday_of(period: str) -> date:
    year, week = int(period[:4]), int(period[6:])
    return date.fromisocalendar(year, week, 1)


def parse_value(value: float | str) -> float:
    """A finite number (``97.5``, ``-3``, ``1e3``), not larger than ``MAX_VALUE``."""
    if isinstance(value, bool):
        raise BadInput(f"invalid value {value!r}: expected a number", field="value")
    try:
        if isinstance(value, str) and not _NUMBER.match(value.strip()):
            raise ValueError(value)
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise BadInput(
            f"invalid value {value!r}: expected a number like 97.5", field="value"
        ) from None
    if not math.isfinite(number) or abs(number) > MAX_VALUE:
        raise BadInput(f"invalid value {value!r}: expected a finite number", field="value")
    return number + 0.0  # -0 (or a negative value too small to hold) is 0, not "-0"


#: Units whose values are shares (0 to 100) and units whose values cannot be negative
#: (counts and durations), as playbooks write them (case and a trailing ``s`` ignored).
PERCENT_UNITS = frozenset({"%", "percent", "pct"})
NON_NEGATIVE_UNITS = frozenset(
    {"count", "number", "ticket", "incident", "call", "item", "request", "case", "event"}
    | {"min", "minute", "mins", "m", "h", "hr", "hrs", "hour", "d", "day", "w", "week"}
    | {"s", "sec", "second"}
)


def _unit_name(unit: str) -> str:
    name = unit.strip().lower()
    return name[:-1] if len(name) > 2 and name.endswith("s") else name


def check_range(spec: KPISpec, number: float) -> float:
    """``number`` if it is a possible value in ``spec``'s unit: a percentage from 0 to 100,
    a count or a duration not below 0; values of other units are not bounded."""
    unit = _unit_name(spec.unit)
    shown = f"{number:g}"
    if unit in PERCENT_UNITS and not 0 <= number <= 100:
        raise BadInput(
            f"invalid value {shown} for {spec.key}: a percentage is from 0 to 100",
            field="value",
        )
    if unit in NON_NEGATIVE_UNITS and number < 0:
        raise BadInput(
            f"invalid value {shown} for {spec.key} ({spec.unit}): it cannot be below 0",
            field="value",
        )
    return number


def parse_party(value: str) -> str:
    party = str(value).strip().lower()
    if party not in PARTIES:
        raise BadInput(f"invalid party {value!r}: incumbent or provider", field="party")
    return party


def kpis_of(engagement: Engagement) -> tuple[KPISpec, ...]:
    """The KPIs the engagement's playbook declares."""
    return parts_of(engagement.playbook_json).scorecard


def kpi_of(kpis: tuple[KPISpec, ...], key: str, engagement: Engagement) -> KPISpec:
    wanted = str(key).strip().lower()
    for kpi in kpis:
        if kpi.key == wanted:
            return kpi
    known = ", ".join(k.key for k in kpis) or "none"
    raise NotFound(
        f"KPI {key!r} is not declared by the playbook of {engagement.slug} (KPIs: {known})",
        field="kpi",
    )


def clean_note(value: str | None) -> str | None:
    if value is None:
        return None
    return clean_text(value, "note", NOTE_MAX) or None


# --------------------------------------------------------------------------- verbs


def _existing(session: Session, engagement: Engagement) -> dict[tuple[str, str, str], ScoreEntry]:
    rows = session.execute(
        select(ScoreEntry).where(ScoreEntry.engagement_id == engagement.id)
    ).scalars()
    return {(r.kpi, r.party, r.period): r for r in rows}


def record(
    session: Session,
    engagement: EngagementRef,
    kpi: str,
    *,
    party: str,
    period: str,
    value: float | str,
    note: str | None = None,
) -> ScoreChange:
    """Record ``kpi``'s value for ``party`` in the ISO week ``period``; a value recorded
    before for the same KPI, party and week is replaced (audited as an update)."""
    engagement = engagement_of(session, engagement)
    spec = kpi_of(kpis_of(engagement), kpi, engagement)
    party, period, number = parse_party(party), parse_past_period(period), parse_value(value)
    check_range(spec, number)
    with about("note"):
        note = clean_note(note)
    row = session.execute(
        select(ScoreEntry).where(
            ScoreEntry.engagement_id == engagement.id,
            ScoreEntry.kpi == spec.key,
            ScoreEntry.party == party,
            ScoreEntry.period == period,
        )
    ).scalar_one_or_none()
    replaced = None
    if row is None:
        row = ScoreEntry(
            engagement_id=engagement.id,
            kpi=spec.key,
            party=party,
            period=period,
            value=number,
            note=note,
            recorded_at=utcnow(),
            recorded_by=audit.actor(session),
        )
        if not add_unique(session, row):
            raise Refused(
                f"{spec.key} of the {party} in {period} was recorded by another change a "
                "moment ago; nothing was saved: run the command again to replace it"
            )
        changes = {"kpi": (None, spec.key), "party": (None, party), "period": (None, period)}
        changes["value"] = (None, number)
        if note:
            changes["note"] = (None, note)
        audit.record_fields(session, engagement.id, ENTITY, row.id, changes, action="create")
    else:
        replaced = row.value
        changes = {}
        if row.value != number:
            changes["value"] = (row.value, number)
        if row.note != note:
            changes["note"] = (row.note, note)
        if changes:
            row.value, row.note = number, note
            row.recorded_at, row.recorded_by = utcnow(), audit.actor(session)
            session.flush()
            audit.record_fields(session, engagement.id, ENTITY, row.id, changes)
    return ScoreChange(
        kpi=spec.key,
        party=party,
        period=period,
        value=number,
        target=spec.target,
        met=spec.met(number),
        replaced=replaced,
    )


def intervene(
    session: Session, engagement: EngagementRef, *, period: str, note: str
) -> InterventionView:
    """Record that the incumbent had to step in during the ISO week ``period``."""
    engagement = engagement_of(session, engagement)
    period = parse_past_period(period, "an intervention")
    with about("note"):
        text = clean_text(note, "note", NOTE_MAX)
    if not text:
        raise BadInput("note must not be empty: say what the incumbent had to do", field="note")
    row = Intervention(
        engagement_id=engagement.id,
        period=period,
        note=text,
        recorded_at=utcnow(),
        recorded_by=audit.actor(session),
    )
    session.add(row)
    session.flush()
    audit.record_fields(
        session,
        engagement.id,
        INTERVENTION,
        row.id,
        {"period": (None, period), "note": (None, text)},
        action="create",
    )
    return InterventionView(id=row.id or 0, period=period, note=text)


# --------------------------------------------------------------------------- reads


def list_scores(session: Session, engagement: EngagementRef) -> list[ScoreView]:
    """Every value, by KPI (the playbook's order), party and week."""
    engagement = engagement_of(session, engagement)
    kpis = {k.key: (i, k) for i, k in enumerate(kpis_of(engagement))}
    rows = session.execute(
        select(ScoreEntry).where(ScoreEntry.engagement_id == engagement.id)
    ).scalars()
    views = []
    for r in rows:
        if r.kpi not in kpis:  # a KPI a later playbook version dropped
            continue
        spec = kpis[r.kpi][1]
        views.append(
            ScoreView(
                kpi=r.kpi,
                title=spec.title,
                unit=spec.unit,
                party=r.party,
                period=r.period,
                value=r.value,
                target=spec.target,
                better=spec.better,
                met=spec.met(r.value),
                note=r.note,
            )
        )
    views.sort(key=lambda v: (kpis[v.kpi][0], PARTIES.index(v.party), v.period))
    return views


def interventions(session: Session, engagement: EngagementRef) -> list[InterventionView]:
    engagement = engagement_of(session, engagement)
    rows = session.execute(
        select(Intervention)
        .where(Intervention.engagement_id == engagement.id)
        .order_by(Intervention.period, Intervention.id)
    ).scalars()
    return [InterventionView(id=r.id or 0, period=r.period, note=r.note) for r in rows]


def scorecard(session: Session, engagement: EngagementRef) -> Scorecard:
    """The scorecard as series per KPI and party over the weeks that have scores."""
    engagement = engagement_of(session, engagement)
    scores = list_scores(session, engagement)
    periods = sorted({s.period for s in scores})
    at = {p: i for i, p in enumerate(periods)}
    series = []
    for spec in kpis_of(engagement):
        values: dict[str, list[float | None]] = {p: [None] * len(periods) for p in PARTIES}
        for s in scores:
            if s.kpi == spec.key:
                values[s.party][at[s.period]] = s.value
        series.append(
            KPISeries(
                key=spec.key,
                title=spec.title,
                unit=spec.unit,
                target=spec.target,
                better=spec.better,
                incumbent=values["incumbent"],
                provider=values["provider"],
                provider_met=[v is not None and spec.met(v) for v in values["provider"]],
            )
        )
    return Scorecard(periods=periods, kpis=series, interventions=interventions(session, engagement))


# --------------------------------------------------------------------------- gates


@dataclass
class GateFacts:
    """What the scorecard criteria judge by."""

    kpis: tuple[KPISpec, ...]
    #: Week → KPI → the provider's value, for weeks up to the current one.
    provider: dict[str, dict[str, float]] = field(default_factory=dict)
    intervention_weeks: set[str] = field(default_factory=set)


def gate_facts(session: Session, engagement: Engagement) -> GateFacts:
    """Two queries: the provider's values and the weeks with interventions."""
    current = period_of(today())
    provider: dict[str, dict[str, float]] = defaultdict(dict)
    rows = session.execute(
        select(ScoreEntry.period, ScoreEntry.kpi, ScoreEntry.value).where(
            ScoreEntry.engagement_id == engagement.id,
            ScoreEntry.party == "provider",
            ScoreEntry.period <= current,
        )
    )
    for period, kpi, value in rows:
        provider[period][kpi] = value
    weeks = set(
        session.execute(
            select(Intervention.period)
            .where(Intervention.engagement_id == engagement.id)
            .distinct()
        ).scalars()
    )
    return GateFacts(kpis=kpis_of(engagement), provider=dict(provider), intervention_weeks=weeks)


def _consecutive(periods: list[str]) -> str | None:
    """The first gap in ``periods`` (oldest first), as a message, or None."""
    for before, after in zip(periods, periods[1:], strict=False):
        if monday_of(after) - monday_of(before) != timedelta(weeks=1):
            return f"{before} and {after} are not consecutive weeks"
    return None


def gate_judge(criterion: Criterion, phase: Phase, facts: object) -> tuple[bool, str]:
    assert isinstance(facts, GateFacts)
    if criterion.name == "interventions":
        weeks = sorted(facts.intervention_weeks)
        allowed = criterion.option
        if len(weeks) > allowed:
            return (
                False,
                f"interventions in {len(weeks)} week(s) ({', '.join(weeks)}), at most {allowed}",
            )
        return True, f"interventions in {len(weeks)} week(s), at most {allowed}"
    wanted = criterion.option
    if not facts.kpis:
        return False, "the playbook declares no KPIs (scorecard)"
    periods = sorted(facts.provider)[-wanted:]
    if len(periods) < wanted:
        return False, f"provider scores in {len(periods)} of the {wanted} week(s) needed"
    gap = _consecutive(periods)
    if gap:
        return False, gap
    missed = []
    for period in periods:
        values = facts.provider[period]
        for kpi in facts.kpis:
            value = values.get(kpi.key)
            if value is None:
                missed.append(f"{kpi.key} {period} (no value)")
            elif not kpi.met(value):
                missed.append(f"{kpi.key} {period} ({value:g} vs {kpi.target:g})")
    if missed:
        from transition.services.listing import names

        shown = names(missed)
        return False, f"provider missed {len(missed)} target(s): {shown}"
    return True, (f"provider met all {len(facts.kpis)} KPI target(s) in {', '.join(periods)}")
