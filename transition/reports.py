"""The weekly status report a steering committee reads, as Markdown or one HTML file.

``report_data(session, engagement, since)`` gathers everything in a bounded number of
queries (reusing the services) and returns plain data; ``render(data, fmt, templates=…)``
turns it into text through a Jinja2 template: the shipped ``status.md.j2`` /
``status.html.j2``, or ``report.md.j2`` / ``report.html.j2`` from a user's template
folder (``--templates DIR`` or ``TRANSITION_TEMPLATES``). Every template is rendered in
the hardened sandbox shared with runbooks (``transition.sandbox``, the same limits) with
undefined variables as errors; HTML is autoescaped, and in Markdown every ``{{ value }}``
is escaped so that user text shows literally (``|safe`` marks the template's own syntax).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from sqlmodel import Session

from transition import report_readiness, report_render, report_scorecard
from transition.dates import today, utcnow
from transition.models import Engagement
from transition.report_charts import charts
from transition.services import (
    audit,
    dependencies,
    engagements,
    gates,
    kt_topics,
    meeting_findings,
    release,
    report_summary,
    report_tasks,
    systems,
    tasks,
)
from transition.services.views import EngagementRow
from transition.services.views.audit import RecentChanges
from transition.services.views.meetings import MeetingReport
from transition.services.views.phases import (
    CriterionResult,
    KeyPersonRisk,
    PhaseStatus,
    ReportPhase,
)
from transition.services.views.report import ReportSummary

#: Audit events listed in the "changes since" section (all are counted).
CHANGES_SHOWN = 200
#: Rows a list of the report shows (the most pressing first); every row of each list is in
#: the appendix (``render_appendix``, ``transition report --appendix FILE``).
TOP = 20
#: The report's long lists: name → where it is in the data, and how its first rows are
#: chosen (a sort key, or None to keep the order the list has).
LISTS: dict[str, tuple[tuple[str, ...], Any]] = {
    "overdue": (("tasks", "overdue"), lambda t: (t.due_date is None, t.due_date, t.key)),
    "blocked": (("tasks", "blocked"), None),
    "findings": (("access", "findings"), None),  # most severe first already
    "systems": (("systems",), lambda s: (s.ready, s.tier, s.name.lower())),
    "runbooks": (("runbooks", "rows"), lambda r: (r.status == "accepted", r.fill_ratio or 0)),
    "next_days": (("summary", "next_days"), None),  # in date order already
    "open_derived": (("handover", "open_derived"), None),
}
LATE_RED_DAYS = 7


# --------------------------------------------------------------------------- gathering


class Rag(TypedDict):
    state: str  # red | amber | green
    reasons: list[str]


class ReportData(TypedDict):
    """What a report template is given (and ``charts``, ``fmt``)."""

    engagement: EngagementRow
    today: date
    since: date
    generated_at: datetime
    phases: list[ReportPhase]
    current_phase: ReportPhase | None
    unmet: list[CriterionResult]
    tasks: dict[str, Any]  # total, closed, open (counts); overdue, blocked (tasks)
    burndown: dict[str, Any]  # total, start, end, points [{date, planned, actual}]
    access: dict[str, Any]  # findings, by_severity
    meetings: MeetingReport  # missed (findings), upcoming (the next 14 days)
    systems: list[Any]
    runbooks: dict[str, Any]
    key_person_risks: list[KeyPersonRisk]
    releases: list[Any]  # release readiness of each incumbent with a release date
    movers: list[Any]  # people who changed side
    golive: Any  # the latest go/no-go decision (``golive.DecisionView``) or None
    handover: dict[str, Any]
    changes: dict[str, Any]
    scorecard: report_scorecard.ScorecardSection
    readiness: report_readiness.ReadinessSection
    rag: Rag
    dependency_map: Any  # SystemMap: which system depends on which
    summary: ReportSummary  # the committee's first page (``services.report_summary``)
    audit: bool  # the raw audit rows are listed (``--audit``)
    #: List name (``LISTS``) → its number of rows, for the lists read only up to their
    #: first ``top`` rows (``report_data(top=…)``); the other lists are whole.
    totals: dict[str, int]


def report_data(
    session: Session,
    engagement: Engagement,
    since: date | None = None,
    *,
    audit: bool = False,
    top: int | None = None,
) -> ReportData:
    """Everything the report shows: read models, and mappings of them for the sections.
    ``top``: the long lists (``LISTS``) hold only their first ``top`` rows, in the order
    the report shows them, and ``totals`` their sizes (summed up in the database: what
    ``render`` shows is the same, read without building every row)."""
    now = today()
    totals: dict[str, int] = {}
    since = since or (now - timedelta(days=7))
    summary = engagements.summaries(session, engagement.id)[0]
    # Read once, shared by the sections that judge them (gates, readiness, access).
    releases, movers = release.report_tables(session, engagement)
    access = _access(session, engagement, top, totals, releases)
    high = access["high"]
    matrix = kt_topics.matrix_of(session, engagement)
    status = gates.status(session, engagement, matrix=matrix, high_findings=len(high))
    phases = [_phase(p, now) for p in status.phases]
    current = next((p for p in phases if p.status == "active"), None)
    if top is None:
        task_facts = report_tasks.of_rows(tasks.list_tasks(session, engagement))
    else:
        task_facts = report_tasks.facts(session, engagement, now, top)
        totals.update(overdue=task_facts.overdue_count, blocked=task_facts.blocked_count)
    coverage = systems.coverage(session, engagement, risks=status.key_person_risks)
    runbook_rows = _runbooks(session, engagement, top, totals)
    handover = _handover(session, engagement, top, totals)
    risks = status.key_person_risks
    changes = _changes(session, engagement, since, audit)

    closed = task_facts.closed
    data = ReportData(
        engagement=summary,
        today=now,
        since=since,
        generated_at=utcnow(),
        phases=phases,
        current_phase=current,
        unmet=current.unmet if current else [],
        tasks={
            "total": task_facts.total,
            "closed": closed,
            "open": task_facts.total - closed,
            "overdue": task_facts.overdue,
            "blocked": task_facts.blocked,
        },
        burndown=_burndown(task_facts, summary.start_date, phases, now),
        access={"findings": access["findings"], "by_severity": access["by_severity"]},
        meetings=meeting_findings.report_section(session, engagement),
        systems=coverage,
        runbooks=runbook_rows,
        key_person_risks=risks,
        releases=releases,
        movers=movers,
        golive=_golive(session, engagement),
        handover=handover,
        changes=changes,
        scorecard=report_scorecard.section(session, engagement),
        readiness=report_readiness.section(session, engagement, top, matrix=matrix, high=high),
        rag=Rag(state="", reasons=[]),
        dependency_map=dependencies.system_map(session, engagement),
        summary=None,  # type: ignore[typeddict-item]  # filled below
        audit=audit,
        totals=totals,
    )
    data["summary"] = report_summary.summary(
        session,
        engagement,
        now=now,
        since=since,
        phases=phases,
        meetings=data["meetings"].upcoming,
        open_findings=access["total"] + len(data["meetings"].missed),
        cutover=summary.cutover_date,
        completed=task_facts.completed,
        top=top,
        counted=totals if top is not None else None,
    )
    data["rag"] = _rag(data)
    return data


def _golive(session: Session, engagement: Engagement) -> Any:
    return report_summary.latest_decision(session, engagement)


def _phase(p: PhaseStatus, now: date) -> ReportPhase:
    late = 0
    if p.status == "done" and p.actual_end:
        late = max(0, (p.actual_end - p.planned_end).days)
    elif p.status == "active" and now > p.planned_end:
        late = (now - p.planned_end).days
    return ReportPhase(
        **dict(p),
        late_days=late,
        bar_end=p.actual_end or (now if p.status == "active" else None),
        unmet=[c for c in p.gate if not c.met],
    )


def _access(
    session: Session,
    engagement: Engagement,
    top: int | None,
    totals: dict[str, int],
    releases: list[Any],
) -> dict[str, Any]:
    """The findings (every one, or the first ``top``), their number, by severity, and the
    high ones (by kind and grant)."""
    if top is not None:
        from transition.services.access_summary import summary

        found = summary(session, engagement, top, releases)
        totals["findings"] = found.total
        return {
            "findings": [f.model_dump() for f in found.first],
            "by_severity": found.by_severity,
            "total": found.total,
            "high": found.high,
        }
    from transition.services import access

    views = access.review(session, engagement)
    findings = [finding.model_dump() for finding in views]
    return {
        "findings": findings,
        "by_severity": dict(Counter(f.get("severity", "") for f in findings)),
        "total": len(findings),
        "high": sorted(
            (f for f in views if f.severity == "high"), key=lambda f: (f.kind, f.grant_id or 0)
        ),
    }


def _runbooks(
    session: Session, engagement: Engagement, top: int | None, totals: dict[str, int]
) -> dict[str, Any]:
    from transition.services import runbooks

    if top is not None:
        from transition.services.runbook_fill import summary

        found = summary(session, engagement, top)
        totals["runbooks"] = found.total
        return {"rows": found.first, "by_status": found.by_status, "mean_fill": found.mean_fill}

    rows = runbooks.list_runbooks(session, engagement)
    ratios = [r.fill_ratio for r in rows if r.fill_ratio is not None]
    return {
        "rows": rows,
        "by_status": dict(Counter(r.status for r in rows)),
        "mean_fill": (sum(ratios) / len(ratios)) if ratios else None,
    }


def _handover(
    session: Session, engagement: Engagement, top: int | None, totals: dict[str, int]
) -> dict[str, Any]:
    from transition.services import handover

    if top is not None:
        from transition.services.handover_summary import summary

        found = summary(session, engagement, top)
        totals["open_derived"] = found.open_derived_count
        ready = found.readiness
        return {
            "total": found.total,
            "by_status": found.by_status,
            "sections": found.sections,
            "open_derived": found.open_derived,
            "open_static": found.open_static,
            "checklist": engagement.handover_name,
            "checklist_version": engagement.handover_version,
            "readiness": {**ready.model_dump(), "line": ready.describe()},
        }

    items = handover.show(session, engagement)
    by_status = Counter(i.status for i in items)
    sections: dict[str, dict[str, Any]] = {}
    for item in items:
        entry = sections.setdefault(
            item.section,
            {
                "section": item.section,
                "title": item.section_title or item.section,
                "open": 0,
                "done": 0,
                "resolved": 0,
                "retired": 0,
            },
        )
        entry[item.status] = entry.get(item.status, 0) + 1
    open_items = [i for i in items if i.status == "open"]
    return {
        "total": len(items),
        "by_status": dict(by_status),
        "sections": list(sections.values()),
        "open_derived": [i for i in open_items if i.derived],
        "open_static": [i for i in open_items if not i.derived],
        "checklist": engagement.handover_name,
        "checklist_version": engagement.handover_version,
        "readiness": _exit_readiness(items, engagement),
    }


def _exit_readiness(items: list[Any], engagement: Engagement) -> dict[str, Any]:
    from transition.services.exit_readiness import figure

    ready = figure(items, engagement.notice_date, engagement.exit_date)
    return {**ready.model_dump(), "line": ready.describe()}


def _changes(session: Session, engagement: Engagement, since: date, raw: bool) -> RecentChanges:
    return audit.changes_since(session, engagement, since, shown=CHANGES_SHOWN if raw else 0)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    return value


def _burndown(
    facts: report_tasks.TaskFacts, start: date, phases: list[ReportPhase], now: date
) -> dict[str, Any]:
    """Open tasks week by week: as planned (by due date) and as happened (by completion)."""
    total = facts.total
    end = max([p.planned_end for p in phases] + [start])
    due: Counter[date | None] = Counter()
    for day, n in facts.due.items():
        due[_as_date(day)] += n
    done: Counter[date] = Counter()
    for at, n in facts.completed.items():
        done[min(_as_date(at) or now, now)] += n
    days = sorted({start + timedelta(days=7 * i) for i in range((end - start).days // 7 + 1)})
    days = sorted(set(days) | {end} | ({now} if start <= now <= end else set()))
    points = []
    for day in days:
        planned = total - sum(n for d, n in due.items() if d is not None and d <= day)
        actual = None
        if day <= now:
            actual = total - sum(n for d, n in done.items() if d <= day)
        points.append({"date": day, "planned": planned, "actual": actual})
    return {"total": total, "start": start, "end": end, "points": points}


def _rag(data: ReportData) -> Rag:
    red: list[str] = []
    amber: list[str] = []
    current = data["current_phase"]
    if current and current.late_days > 0:
        late = f"phase {current.key} is {current.late_days} days past its planned end"
        (red if current.late_days > LATE_RED_DAYS else amber).append(late)
    if data["key_person_risks"]:
        n = len(data["key_person_risks"])
        red.append(f"{n} key-person risk{'s' if n != 1 else ''}")
    severity = data["access"]["by_severity"]
    if severity.get("high"):
        red.append(f"{severity['high']} high access finding{'s' if severity['high'] != 1 else ''}")
    others = sum(n for s, n in severity.items() if s != "high")
    if others:
        amber.append(f"{others} other access finding{'s' if others != 1 else ''}")
    totals = data.get("totals", {})
    overdue = totals.get("overdue", len(data["tasks"]["overdue"]))  # the whole lists
    blocked = totals.get("blocked", len(data["tasks"]["blocked"]))
    if overdue:
        amber.append(f"{overdue} overdue task{'s' if overdue != 1 else ''}")
    if blocked:
        amber.append(f"{blocked} blocked task{'s' if blocked != 1 else ''}")
    if red:
        return Rag(state="red", reasons=red + amber)
    if amber:
        return Rag(state="amber", reasons=amber)
    if data["engagement"].status == "completed":
        return Rag(state="green", reasons=["transition completed"])
    return Rag(state="green", reasons=["on plan: nothing overdue, blocked or at risk"])


# --------------------------------------------------------------------------- rendering


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The list at ``path``, or None when the data has none there (a template's own)."""
    value: Any = data
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        if value is None:
            return None
    return value


def _put(data: dict[str, Any], path: tuple[str, ...], rows: list[Any]) -> None:
    """A copy of ``data`` down ``path`` with ``rows`` at its end (the lists of ``data``
    itself stay whole)."""
    head, *rest = path
    if not rest:
        data[head] = rows
        return
    inner = data[head]
    if isinstance(inner, Mapping):
        data[head] = dict(inner)
        _put(data[head], tuple(rest), rows)
    else:  # a read model
        data[head] = inner.model_copy(update={rest[0]: rows})


def shown(data: Mapping[str, Any], top: int = TOP) -> dict[str, Any]:
    """The report's data with each long list cut to its ``top`` most pressing rows, and
    ``more``: list name → the rows left out (0 when it is whole)."""
    out = dict(data)
    more: dict[str, int] = {}
    for name, (path, key) in LISTS.items():
        found = _get(data, path)
        rows = list(found) if found is not None else []
        more[name] = max(data.get("totals", {}).get(name, len(rows)) - top, 0)
        if more[name]:
            _put(out, path, sorted(rows, key=key)[:top] if key else rows[:top])
    out["more"] = more
    return out


def render(
    data: Mapping[str, Any],
    fmt: str = "md",
    *,
    templates: str | Path | None = None,
    top: int = TOP,
    appendix: str | None = None,
) -> str:
    """The report as text, laid out by its template in the shared sandbox (see
    ``transition.report_render``: the templates, filters and limits): summaries, and the
    first ``top`` rows of each long list (``LISTS``); ``appendix``: the name of the file
    holding them all, when one is written."""
    context = {**shown(data, top), "appendix": appendix}
    return report_render.render({**context, "charts": charts(data)}, fmt, templates=templates)


def render_appendix(data: Mapping[str, Any], fmt: str = "md") -> str:
    """Every row of the report's long lists (the shipped ``appendix`` template)."""
    return report_render.render(
        {**data, "more": dict.fromkeys(LISTS, 0), "appendix": None},
        fmt,
        name=f"appendix.{fmt}.j2",
    )
