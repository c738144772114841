"""The person inspector: who someone is, what they own, the KT they give and receive, and
what stands between them and their release, over the People tab."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from transition.services.views.release import PersonInspection, PersonRow, PersonSession
from transition.tui.widgets.pane import day

ROLE_NAMES = {"owner": "owner", "sme": "SME", "backup": "backup"}


def release_line(p: PersonRow) -> str:
    """``release 2026-11-30 · in 10 days · not ready: 2 topic(s)``."""
    if p.released_on is not None:
        return f"released on {p.released_on}"
    if p.release_date is None:
        return "no release date"
    left = p.days_left or 0
    when = "today" if left == 0 else f"in {left} day(s)" if left > 0 else f"{-left} day(s) ago"
    state = f" · {p.readiness}" if p.readiness else ""
    return f"release {p.release_date} · {when}{state}"


def session_line(s: PersonSession) -> str:
    return f"#{s.id} {day(s.starts_at)} · {s.kind} on {s.system}: {s.topic} ({s.status})"


class PersonInspectScreen(ModalScreen[None]):
    """One person, section by section; scrolls when long."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,i,enter", "close", "Close", id="person-inspect.close")
    ]

    def __init__(self, data: PersonInspection) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        d = self.data
        p = d.person
        moved = f", moved from {p.moved_from}" if p.moved_from else ""
        role = f" · {p.role}" if p.role else ""
        tone = ""
        if p.released_on is None and p.release_date is not None:
            tone = " -green" if d.readiness.ready else " -amber"
        with Vertical(classes="dialog", id="person-inspect"):
            yield Label(
                f"{p.name} ({p.side}{moved}){role}", classes=f"dialog-title{tone}", markup=False
            )
            with VerticalScroll():
                contact = " · ".join(x for x in (p.email, p.timezone) if x)
                if contact:
                    yield self.line(contact)
                yield self.line(release_line(p))
                yield self.heading("Still to hand over")
                unmet = d.readiness.unmet()
                if d.readiness.release_override:
                    unmet.insert(0, f"released on an override: {d.readiness.release_override}")
                for text in unmet or ["nothing: every topic signed off, runbooks accepted"]:
                    yield self.line(f"  • {text}")
                yield self.heading("Playbook roles")
                yield self.line("  " + (", ".join(d.roles) or "none (o on the People tab)"))
                yield self.heading("Systems")
                for s in d.systems:
                    yield self.line(f"  {ROLE_NAMES.get(s.role, s.role)} · {s.system}")
                if not d.systems:
                    yield self.line("  none (o on the Systems tab adds an owner, SME or backup)")
                yield self.heading(f"KT given ({len(d.gives)})")
                for s in d.gives:
                    yield self.line(f"  {session_line(s)}")
                yield self.heading(f"KT received ({len(d.receives)})")
                for s in d.receives:
                    yield self.line(f"  {session_line(s)}")
            yield Label("esc to close", classes="hint", markup=False)

    @staticmethod
    def heading(text: str) -> Static:
        return Static(text, classes="help-group", markup=False)

    @staticmethod
    def line(text: str) -> Static:
        return Static(text, classes="reason", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
