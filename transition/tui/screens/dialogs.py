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

#: The gate dialog's rows besides its criteria: border and padding, title, the hint, the
#: override reason with its error line, the buttons.
FIXED_ROWS = 16


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
        self.fit()
        if self.unmet:
            self.query_one("#override", Input).focus()
        else:
            self.query_one("#advance", Button).focus()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """The criteria scroll in what the terminal leaves once the reason box and the
        buttons are in sight (at 80×24 they were pushed below the dialog's edge)."""
        room = self.app.size.height * 9 // 10 - (FIXED_ROWS if self.unmet else FIXED_ROWS - 5)
        self.query_one(".criteria", VerticalScroll).styles.max_height = max(3, min(12, room))

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


#: The groups no screen's bindings give (the rest are read from the screens and tabs).
HELP_EVERYWHERE = ("Everywhere", (cmd.HELP, cmd.QUIT, cmd.RELOAD, cmd.UNDO, cmd.INSPECT))
HELP_ENDING = (
    ("Inspectors", (cmd.INSPECT_CLOSE, cmd.INSPECT_REVOKE, cmd.INSPECT_EDIT_FILE)),
    ("Forms and dialogs", (cmd.SUBMIT, cmd.CANCEL)),
)


def commands_of(owner: Any) -> tuple[cmd.Command, ...]:
    """The commands a screen or tab binds, in its order (Textual's own bindings left out)."""
    found = (cmd.by_id(b.id) for b in owner.BINDINGS if isinstance(b, Binding))
    return tuple(c for c in found if c is not None)


def help_groups(here: str | None = None) -> list[tuple[str, tuple[cmd.Command, ...]]]:
    """Every key, grouped by where it applies, read from the screens' and tabs' own
    bindings so none is left out; the group titled ``here`` (where the user pressed ``?``)
    comes first, marked."""
    from transition.tui.screens.access_review import AccessReviewScreen
    from transition.tui.screens.dashboard import DashboardScreen
    from transition.tui.screens.engagement import TABS, EngagementScreen

    groups = [
        HELP_EVERYWHERE,
        ("Command palette", ()),
        ("Every list", (cmd.LIST_FILTER, cmd.LIST_SORT, cmd.LIST_REVERSE)),
        ("Dashboard", commands_of(DashboardScreen)),
        ("Engagement (any tab)", commands_of(EngagementScreen)),
        *((f"{title} tab", commands_of(pane)) for _, title, pane in TABS),
        ("Access review", commands_of(AccessReviewScreen)),
        *HELP_ENDING,
    ]
    groups = [
        (title, commands) for title, commands in groups if commands or title == "Command palette"
    ]
    first = [(f"{title} (here)", commands) for title, commands in groups if title == here]
    return first + [group for group in groups if group[0] != here]


def key_label(app: Any, command: cmd.Command) -> str:
    keymap = getattr(app, "_keymap", {}) or {}
    key = keymap.get(command.id, command.key)
    return ", ".join(app.get_key_display(Binding(k.strip(), "")) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Every key binding, grouped by where it applies."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close")
    ]

    def __init__(self, where: str = "", here: str | None = None) -> None:
        super().__init__()
        self.where = where
        #: The help group of the screen or tab ``?`` was pressed on: listed first.
        self.here = here

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Label("transition · keys", classes="dialog-title", markup=False)
            with VerticalScroll():
                for title, commands in help_groups(self.here):
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
            yield Label("↑ ↓ scroll · esc to close", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
