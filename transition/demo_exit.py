"""The demo's exit timeline and runbook evidence from a parallel run.

- Tailspin's incumbent was given notice weeks before the engagement started and leaves
  when the cutover ends: the exit checklist's items fall due against those dates; of
  the two due by now one is done, the other overdue, and the exit readiness has a figure.
- Wingtip Payroll's phases are moved to the days its story went through them, and its
  payroll runbook was exercised (a fail, then a pass) during the parallel run: that pass
  is what validates it before the provider's lead accepts it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from transition.models import Engagement, Phase
from transition.services import backdate, engagement_edit, gates, runbook_evidence, runbooks
from transition.services.views.phases import PhaseStep

#: Days before the engagement's start when Tailspin's incumbent was given notice.
NOTICE_BEFORE_START = 35
#: An exit-checklist item Tailspin ticked (due two weeks after the notice), and the note.
DONE_EARLY = ("assistance-terms", "Exit assistance terms signed with the notice letter")
#: Wingtip's runbook: system, template, (days into the parallel run, by, outcome, deviations).
WT_RUNBOOK = ("Payroll engine", "service-restart")
WT_EXERCISES = [
    (6, "Aiko Tanaka", "fail", "The restart skipped the pay-period lock: step 4 rewritten"),
    (13, "Aiko Tanaka", "pass", None),
]
WT_OWNER = "Aiko Tanaka"
WT_SIGNER = "Tomás Ruiz"


def _phases(session: Session, eng: Engagement) -> list[PhaseStep]:
    return gates.steps(session, eng)


def _span(phase: PhaseStep) -> tuple[date, date]:
    """A phase's planned days (laid for every phase of an engagement)."""
    assert phase.planned_start is not None and phase.planned_end is not None
    return phase.planned_start, phase.planned_end


def exit_dates(session: Session, slug: str) -> None:
    """Tailspin's notice (before it started) and exit (the end of its cutover)."""
    from transition.services import handover
    from transition.services.common import engagement_of

    eng = engagement_of(session, slug)
    phases = _phases(session, eng)
    cutover = next(p for p in phases if p.key == "cutover")
    notice = _span(phases[0])[0] - timedelta(days=NOTICE_BEFORE_START)
    engagement_edit.update(session, eng, notice=notice, exit=_span(cutover)[1])
    handover.set_item_status(session, eng, DONE_EARLY[0], "done", note=DONE_EARLY[1])


def _backdate_phases(session: Session, eng: Engagement) -> None:
    """Wingtip's phases left on the days its plan gives, not the day the demo ran."""
    from transition.demo import _at

    for phase in _phases(session, eng):
        if phase.status == "pending":
            continue
        start, end = _span(phase)
        values: dict[str, Any] = {"actual_start": start}
        if phase.status == "done":
            values["actual_end"] = end
            values["gate_decided_at"] = _at(end, 17)
        backdate.backdate(session, eng.id, Phase, "phase", values, key=phase.key)


def wingtip_runbook(session: Session, northwind: Engagement, wingtip: Engagement) -> None:
    """Wingtip's payroll runbook, written in full, exercised during the parallel run,
    validated by that pass and accepted by the provider's lead."""
    from transition.demo import FILLED, _fill

    _backdate_phases(session, wingtip)
    # Beside Northwind's runbooks (the demo's runbook folder).
    first = runbooks.list_runbooks(session, northwind)[0].path
    out_dir = Path(first).parent.parent.parent / wingtip.slug
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    system, template = WT_RUNBOOK
    planned = runbooks.generate(
        session,
        wingtip,
        system=system,
        template=template,
        out_dir=out_dir,
        dry_run=True,
        force=True,
    )
    Path(planned.path).unlink(missing_ok=True)  # left by an earlier demo: filled in by it
    made = runbooks.generate(session, wingtip, system=system, template=template, out_dir=out_dir)
    _fill(Path(made.path), FILLED["accepted"])
    first_day, last_day = _span(
        next(p for p in _phases(session, wingtip) if p.key == "parallel-run")
    )
    runbook_evidence.set_details(
        session, wingtip, made.id, owner=WT_OWNER, review=last_day + timedelta(days=90)
    )
    runbooks.set_status(session, wingtip, made.id, "reviewed")
    for days, by, outcome, deviations in WT_EXERCISES:
        day = min(first_day + timedelta(days=days), last_day)
        runbook_evidence.record_exercise(
            session, wingtip, made.id, on=day, by=by, outcome=outcome, deviations=deviations
        )
    runbooks.set_status(session, wingtip, made.id, "validated")
    runbooks.set_status(session, wingtip, made.id, "accepted", by=WT_SIGNER)
