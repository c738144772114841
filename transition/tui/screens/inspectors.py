"""The inspectors of each noun: a task, a system, a grant, a KT session, a runbook, a RAID
entry, and the access review's findings."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding

from transition.services import inspectors
from transition.tui.commands import registry as cmd
from transition.tui.screens.inspector import Inspector, Link, Section, history, history_lines
from transition.tui.widgets.pane import day, shown_path

# -- tasks ------------------------------------------------------------------------------


class TaskInspector(Inspector):
    """A task: its fields and description, the tasks on either side of its dependencies
    (``enter`` opens them), its notes thread and its history."""

    READ = inspectors.task

    def title_of(self, data: Any) -> str:
        return f"{data.task.key} — {data.task.title}"

    def sections(self, data: Any) -> list[Section]:
        from transition.tui.screens.task_detail import task_lines

        t = data.task
        return [
            Section("Task", task_lines(t), id="task-fields"),
            Section(
                "Dependencies",
                links=[
                    Link(
                        "task",
                        k.key,
                        f"{k.relation} {k.key} · {k.status.replace('_', ' ')} · {k.title}",
                    )
                    for k in data.links
                ],
                id="task-links",
                empty="none",
            ),
            Section(
                f"Notes ({len(t.notes)})",
                [f"{day(n.at)} {n.author}: {n.text}" for n in t.notes],
                id="task-notes",
                empty="no note yet: N on the Tasks tab adds one",
            ),
            Section(f"History ({len(t.history)})", history_lines(t.history), id="task-history"),
        ]


# -- systems ----------------------------------------------------------------------------


def percent(ratio: float | None) -> str:
    return "file missing" if ratio is None else f"{round(100 * ratio)}% filled"


class SystemInspector(Inspector):
    """A system: its owners and people, its knowledge by topic, its grants, KT sessions
    by kind and topic, runbooks with status and fill, and its exit-checklist items."""

    READ = inspectors.system

    def title_of(self, data: Any) -> str:
        return f"{data.system.system} (tier {data.system.tier})"

    def sections(self, data: Any) -> list[Section]:
        from transition.tui.screens.coverage import line
        from transition.tui.screens.system_inspect import person_line

        s = data.system
        sessions = sorted(data.sessions, key=lambda k: (k.kind, k.topic.lower(), k.starts_at))
        return [
            Section(
                "People",
                [person_line(h) for h in s.people],
                id="system-people",
                empty="nobody yet: o on the Systems tab adds an owner, SME or backup",
            ),
            Section(
                f"Grants ({len(data.grants)})",
                links=[
                    Link(
                        "grant",
                        str(g.id),
                        f"#{g.id} {g.person} · {g.role} · {g.status}"
                        + (f" · expires {g.expires}" if g.expires else ""),
                    )
                    for g in data.grants
                ],
                id="system-grants",
                empty="no grant",
            ),
            Section(
                f"KT sessions ({len(sessions)})",
                links=[
                    Link(
                        "kt",
                        str(k.id),
                        f"{k.kind} · {k.topic} · {k.status.replace('_', ' ')} · {day(k.starts_at)}",
                    )
                    for k in sessions
                ],
                id="system-kt",
                empty="no KT session",
            ),
            Section(
                f"Runbooks ({len(data.runbooks)})",
                links=[
                    Link(
                        "runbook",
                        str(r.id),
                        f"#{r.id} {r.template} · {r.status} · {percent(r.fill_ratio)}",
                    )
                    for r in data.runbooks
                ],
                id="system-runbooks",
                empty="no runbook",
            ),
            Section(
                f"Exit checklist ({len(data.handover)})",
                [f"{h.status} · {h.title}" for h in data.handover],
                id="system-handover",
                empty="no item",
            ),
            Section(
                "Knowledge by topic",
                [line(r).removeprefix(f"{r.system} · ") for r in s.topics],
                id="system-topics",
                empty="no topic",
            ),
        ]


# -- grants -----------------------------------------------------------------------------


class GrantInspector(Inspector):
    """A grant: justification, approver, expiry and the milestone it follows, how it was
    revoked, and its history; ``x`` revokes it."""

    READ = inspectors.grant
    HINT = "x revoke"
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.INSPECT_REVOKE)

    def title_of(self, data: Any) -> str:
        g = data.grant
        return f"Grant #{g.id}: {g.person} on {g.system} as {g.role}"

    def sections(self, data: Any) -> list[Section]:
        g = data.grant
        lines = [
            f"Status: {g.status}",
            f"Person: {g.person} ({g.side})",
            f"System: {g.system}",
            f"Role: {g.role}",
            f"Justification: {g.justification or '–'}",
            f"Approver: {g.approver or '–'}",
            f"Granted: {day(g.granted_at)}",
            "Expires: "
            + (
                f"{g.expires_on} (follows {g.expires_rule})"
                if g.expires_rule
                else (str(g.expires_on) if g.expires_on else "never")
            ),
        ]
        if g.revoked_at is not None:
            lines += [
                f"Revoked: {day(g.revoked_at)} by {g.revoked_by or '–'}",
                f"Revoke reason: {g.revoke_reason or '–'}",
            ]
        return [Section("Grant", lines, id="grant-fields"), history(data.history)]

    def action_revoke(self) -> None:
        if self.data is None:
            return
        g = self.data.grant
        if g.revoked_at is not None:
            self.notify(f"grant {g.id} is already revoked", severity="warning")
            return
        from transition.tui.forms.access import revoke_form

        self.open_form(
            revoke_form(self.backend, self.slug, g),
            lambda grant: f"grant {grant.id} revoked; its handover item is resolved",
        )


# -- KT sessions ------------------------------------------------------------------------


class KTInspector(Inspector):
    """A KT session: presenters, attendees, topics covered, follow-ups, confidence and its
    history."""

    READ = inspectors.kt_session

    def title_of(self, data: Any) -> str:
        k = data.session
        return f"KT session #{k.id}: {k.topic}"

    def sections(self, data: Any) -> list[Section]:
        k = data.session
        lines = [
            f"Status: {k.status.replace('_', ' ')}",
            f"System: {k.system}",
            f"Kind: {k.kind}",
            f"When: {k.starts_local[:16].replace('T', ' ')} ({k.timezone}), {k.minutes} min",
            f"Presenters: {', '.join(k.presenters) or '–'}",
            f"Attendees: {', '.join(k.attendees) or '–'}",
            f"Covers: {', '.join(k.covers) or '–'}",
            f"Confidence: {k.confidence if k.confidence is not None else '–'}",
            f"Follow-ups: {k.follow_ups or '–'}",
        ]
        if k.held_at is not None:
            lines.append(f"Held: {day(k.held_at)}")
        if k.signed_off_at is not None:
            lines.append(f"Signed off: {day(k.signed_off_at)} by {k.signed_off_by or '–'}")
        if k.cancel_reason:
            lines.append(f"Cancelled: {k.cancel_reason}")
        return [Section("Session", lines, id="kt-fields"), history(data.history)]


# -- runbooks ---------------------------------------------------------------------------

LIFECYCLE = ("planned", "drafted", "reviewed", "validated", "accepted")


class RunbookInspector(Inspector):
    """A runbook: its file, fill, lifecycle and evidence; ``e`` opens the file in
    ``$EDITOR`` (the app suspends meanwhile) and then reads the fill again."""

    READ = inspectors.runbook
    HINT = "e edit the file"
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.INSPECT_EDIT_FILE)

    def title_of(self, data: Any) -> str:
        r = data.runbook
        return f"Runbook #{r.id}: {r.template} for {r.system}"

    def sections(self, data: Any) -> list[Section]:
        r = data.runbook
        fill = percent(r.fill_ratio)
        if r.placeholders_left is not None:
            fill += f" ({r.placeholders_left} of {r.placeholders_total} placeholders left)"
        if r.conflicts:
            fill += f" · {r.conflicts} conflict(s) to resolve"
        steps = " → ".join(f"[{s}]" if s == r.status else s for s in LIFECYCLE)
        lines = [
            f"File: {shown_path(data.absolute)}",
            f"Fill: {fill}",
            f"Lifecycle: {steps}",
            f"Owner: {r.owner or '–'}",
            f"Review due: {r.review_due or '–'}" + (" (overdue)" if r.review_overdue else ""),
        ]
        if r.accepted_by:
            lines.append(f"Accepted by: {r.accepted_by}")
        if r.warning:
            lines.append(f"Evidence: {r.warning}")
        exercises = [
            f"{x.exercised_on} {x.by} {x.outcome}"
            + (" (parallel run)" if x.in_parallel_run else "")
            + (f" · deviations: {x.deviations}" if x.deviations else "")
            + (f" · {x.warning}" if x.warning else "")
            for x in data.exercises
        ]
        return [
            Section("Runbook", lines, id="runbook-fields"),
            Section(
                f"Exercises ({len(exercises)})",
                exercises,
                id="runbook-exercises",
                empty="none yet: X on the Runbooks tab records one",
            ),
            history(data.history),
        ]

    def action_edit_file(self) -> None:
        """Open the file in ``$VISUAL`` or ``$EDITOR`` (``vi`` when neither is set) with
        the app suspended, then read the fill ratio again."""
        import shlex
        import subprocess

        from textual.app import SuspendNotSupported

        from transition.settings import editor_command

        if self.data is None:
            return
        editor = editor_command()
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), self.data.absolute])
        except SuspendNotSupported:
            self.notify(f"cannot hand the terminal to an editor here: edit {self.data.absolute}")
            return
        except OSError as error:
            self.notify(f"cannot start {editor!r}: {error.strerror}", severity="error")
            return
        self.touched = True
        self.reload()


# -- RAID -------------------------------------------------------------------------------


class RaidInspector(Inspector):
    """A RAID entry: its fields, the systems and tasks it links to (``enter`` opens them),
    its owner and its history."""

    READ = inspectors.raid_item

    def title_of(self, data: Any) -> str:
        return f"{data.item.ref} {data.item.title}"

    def sections(self, data: Any) -> list[Section]:
        r = data.item
        lines = [
            f"Kind: {r.kind}",
            f"Status: {r.status}",
            f"Owner: {r.owner or '–'}" + (f" ({r.party})" if r.party else ""),
        ]
        if r.score is not None:
            lines.append(f"Score: {r.score} (probability {r.probability} × impact {r.impact})")
        lines += [
            f"Due: {day(r.due)}",
            f"Phase: {r.phase or '–'}",
            f"Mitigation: {r.mitigation or '–'}",
            f"Raised: {day(r.created_at)} by {r.created_by}",
        ]
        if r.closed_at is not None:
            lines.append(f"Closed: {day(r.closed_at)} by {r.closed_by or '–'}")
            lines.append(f"Resolution: {r.resolution or '–'}")
        links = []
        people = []
        for link in r.links:
            if link.kind == "task" and link.target_id in data.task_keys:
                key = data.task_keys[link.target_id]
                links.append(Link("task", key, f"task {key}"))
            elif link.kind == "system":
                links.append(Link("system", link.name, f"system {link.name}"))
            else:
                people.append(f"{link.kind} {link.name}")
        return [
            Section(
                "Entry",
                lines + ([f"Linked: {', '.join(people)}"] if people else []),
                id="raid-fields",
            ),
            Section("Links", links=links, id="raid-links", empty="none"),
            history(data.history),
        ]


INSPECTORS: dict[str, type[Inspector]] = {
    "task": TaskInspector,
    "system": SystemInspector,
    "grant": GrantInspector,
    "kt": KTInspector,
    "runbook": RunbookInspector,
    "raid": RaidInspector,
}
