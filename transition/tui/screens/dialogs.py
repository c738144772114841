"""Modal dialogs: the phase gate, the reasons behind a state, and the help screen."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from transition.services.views.phases import AdvanceResult, CurrentGate
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import error_text, running


class GateScreen(ModalScreen[AdvanceResult | None]):
    """Each criterion of the current phase's gate, met or not and why. Advancing past an
    unmet gate needs a written override reason, which the audit log keeps: the service
    judges it, and what it refuses about the reason is shown beside it."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SUBMIT, cmd.CANCEL)

    def __init__(self, slug: str, gate: CurrentGate) -> None:
        super().__init__()
        assert gate.phase is not None
        self.slug = slug
        self.phase = gate.phase
        self.following = gate.next
        self.unmet = [c for c in self.phase.gate if not c.met]

    def compose(self) -> ComposeResult:
        p = self.phase
        target = self.following.title if self.following else "completion"
        with Vertical(classes="dialog", id="gate"):
            yield Label(f"Gate: leave {p.title} for {target}", classes="dialog-title", markup=False)
            with VerticalScroll(classes="criteria"):
                if not p.gate:
                    yield Label(
                        "This phase has no gate criteria.", classes="criterion -met", markup=False
                    )
                for c in p.gate:
                    mark = "✓" if c.met else "✗"
                    state = "-met" if c.met else "-unmet"
                    yield Static(
                        f"{mark} {c.criterion}: {c.reason}",
                        classes=f"criterion {state}",
                        markup=False,
                    )
            if self.unmet:
                yield Label(
                    f"{len(self.unmet)} of {len(p.gate)} criteria unmet. To advance anyway, "
                    "write why (kept in the audit log):",
                    classes="hint",
                    markup=False,
                )
                yield Input(placeholder="override reason", id="override")
                yield Label("", id="override-error", classes="error", markup=False)
            else:
                yield Label("Every criterion is met.", classes="hint", markup=False)
            yield Label("", id="gate-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                label = "Override and advance" if self.unmet else "Advance"
                yield Button(
                    f"{label} (ctrl+s)",
                    id="advance",
                    variant="warning" if self.unmet else "primary",
                )
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        if self.unmet:
            self.query_one("#override", Input).focus()
        else:
            self.query_one("#advance", Button).focus()

    @on(Button.Pressed, "#advance")
    @on(Input.Submitted, "#override")
    def action_submit(self) -> None:
        if running(self, "gate"):  # advanced once, however often the key is pressed
            return
        override = self.query_one("#override", Input).value if self.unmet else None
        self.advance(override)

    @work(thread=True, exit_on_error=False, group="gate")
    def advance(self, override: str | None) -> AdvanceResult:
        from transition.services import gates

        backend = self.app.backend  # type: ignore[attr-defined]
        result = backend.write(
            gates.advance, self.slug, override=override, expected_version=self.phase.version
        )
        return result

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:  # closed once its worker is done (see forms)
            self.dismiss(event.worker.result)
            return
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        error = event.worker.error
        about_reason = self.unmet and getattr(error, "field", None) == "override"
        shown = self.query_one("#override-error" if about_reason else "#gate-error", Label)
        shown.update(error_text(error))
        shown.add_class("-shown")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonsScreen(ModalScreen[None]):
    """Why an engagement is red, amber or green."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,r,enter", "close", "Close", id="reasons.close")
    ]

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(classes="dialog", id="reasons"):
            yield Label(
                f"{r['name']} is {r['state'].upper()}",
                classes=f"dialog-title -{r['state']}",
                markup=False,
            )
            for reason in r["reasons"]:
                yield Static(f"• {reason}", classes="reason", markup=False)
            yield Label(
                "esc to close · enter on the dashboard opens it", classes="hint", markup=False
            )

    def action_close(self) -> None:
        self.dismiss(None)


HELP_GROUPS = (
    ("Everywhere", (cmd.HELP, cmd.QUIT, cmd.RELOAD, cmd.UNDO, cmd.INSPECT)),
    ("Command palette", ()),
    ("Every list", (cmd.LIST_FILTER, cmd.LIST_SORT, cmd.LIST_REVERSE)),
    ("Dashboard", (cmd.OPEN, cmd.REASONS, cmd.NEW_ENGAGEMENT)),
    (
        "Engagement",
        (cmd.BACK, cmd.ADVANCE, cmd.TAB_NEXT, cmd.TAB_PREV, cmd.ADD_SYSTEM, cmd.ADD_PERSON),
    ),
    (
        "Engagement: reviews and files (also in the palette)",
        (cmd.ACCESS_REVIEW, cmd.WRITE_REPORT, cmd.EXPORT_CALENDAR, cmd.EXPORT_CHECKLIST),
    ),
    (
        "Tasks tab",
        (
            cmd.TOGGLE,
            cmd.START,
            cmd.BLOCK,
            cmd.SKIP,
            cmd.ASSIGN,
            cmd.FILTER,
            cmd.OPEN_ONLY,
            cmd.TASK_ADD,
            cmd.TASK_EDIT,
            cmd.TASK_REMOVE,
            cmd.TASK_NOTE,
            cmd.TASK_SHOW,
        ),
    ),
    ("Systems tab", (cmd.SYSTEM_ADD, cmd.SYSTEM_OWNERS, cmd.SYSTEM_TOPICS, cmd.SYSTEM_INSPECT)),
    ("Access tab", (cmd.GRANT, cmd.REVOKE, cmd.ACCESS_FILTER, cmd.ACCESS_FINDINGS)),
    ("KT tab", (cmd.KT_SCHEDULE, cmd.KT_HOLD, cmd.KT_SIGNOFF, cmd.KT_COVERAGE)),
    ("Runbooks tab", (cmd.RUNBOOK_NEW, cmd.RUNBOOK_STATUS)),
    ("Inspectors", (cmd.INSPECT_CLOSE, cmd.INSPECT_REVOKE, cmd.INSPECT_EDIT_FILE)),
    ("Handover tab", (cmd.HANDOVER_DONE, cmd.HANDOVER_SYNC)),
    ("Forms and dialogs", (cmd.SUBMIT, cmd.CANCEL)),
)


def key_label(app: Any, command: cmd.Command) -> str:
    keymap = getattr(app, "_keymap", {}) or {}
    key = keymap.get(command.id, command.key)
    return ", ".join(app.get_key_display(Binding(k.strip(), "")) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Every key binding, grouped by where it applies."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close")
    ]

    def __init__(self, where: str = "") -> None:
        super().__init__()
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Label("transition · keys", classes="dialog-title", markup=False)
            with VerticalScroll():
                for title, commands in HELP_GROUPS:
                    yield Label(title, classes="help-group", markup=False)
                    if not commands:
                        yield Static(
                            f"  {self.app.get_key_display(Binding('ctrl+p', ''))}  jump to any "
                            "engagement, system, person, runbook or command",
                            classes="help-line",
                            markup=False,
                        )
                    for c in commands:
                        yield Static(
                            f"  {key_label(self.app, c):<10} {c.help}",
                            classes="help-line",
                            markup=False,
                        )
                if self.where:
                    yield Label("Database", classes="help-group", markup=False)
                    yield Static(f"  {self.where}", classes="help-line", markup=False)
            yield Label("esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
