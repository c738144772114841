"""Modal dialogs: the phase gate, the reasons behind a state, and the help screen."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from transition.errors import TransitionError
from transition.guard import no_secrets
from transition.tui.commands import registry as cmd


class GateScreen(ModalScreen[dict[str, Any] | None]):
    """Each criterion of the current phase's gate, met or not and why. Advancing past an
    unmet gate needs a written override reason, which the audit log keeps."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SUBMIT, cmd.CANCEL)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.phase = data["phase"]
        self.following = data["next"]
        self.unmet = [c for c in self.phase["gate"] if not c["met"]]

    def compose(self) -> ComposeResult:
        p = self.phase
        target = self.following["title"] if self.following else "completion"
        with Vertical(classes="dialog", id="gate"):
            yield Label(
                f"Gate: leave {p['title']} for {target}", classes="dialog-title", markup=False
            )
            with VerticalScroll(classes="criteria"):
                if not p["gate"]:
                    yield Label(
                        "This phase has no gate criteria.", classes="criterion -met", markup=False
                    )
                for c in p["gate"]:
                    mark = "✓" if c["met"] else "✗"
                    state = "-met" if c["met"] else "-unmet"
                    yield Static(
                        f"{mark} {c['criterion']}: {c['reason']}",
                        classes=f"criterion {state}",
                        markup=False,
                    )
            if self.unmet:
                yield Label(
                    f"{len(self.unmet)} of {len(p['gate'])} criteria unmet. To advance anyway, "
                    "write why (kept in the audit log):",
                    classes="hint",
                    markup=False,
                )
                yield Input(placeholder="override reason", id="override")
                yield Label("", id="override-error", classes="error", markup=False)
            else:
                yield Label("Every criterion is met.", classes="hint", markup=False)
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
        override = None
        if self.unmet:
            text = self.query_one("#override", Input).value.strip()
            error = self.query_one("#override-error", Label)
            if not text:
                error.update("the gate is not met: write a reason to override it")
                return
            try:
                no_secrets(text, "the override reason")
            except TransitionError as exc:
                error.update(exc.message)
                return
            override = text
        self.dismiss({"override": override, "version": self.phase["version"]})

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
    ("Everywhere", (cmd.HELP, cmd.QUIT, cmd.RELOAD)),
    ("Command palette", ()),
    ("Dashboard", (cmd.OPEN, cmd.REASONS, cmd.NEW_ENGAGEMENT)),
    (
        "Engagement",
        (cmd.BACK, cmd.ADVANCE, cmd.TAB_NEXT, cmd.TAB_PREV, cmd.ADD_SYSTEM, cmd.ADD_PERSON),
    ),
    ("Tasks tab", (cmd.TOGGLE, cmd.START, cmd.BLOCK, cmd.ASSIGN, cmd.FILTER)),
    ("Systems tab", (cmd.SYSTEM_ADD,)),
    ("Access tab", (cmd.GRANT, cmd.REVOKE, cmd.ACCESS_FILTER)),
    ("KT tab", (cmd.KT_SCHEDULE, cmd.KT_HOLD, cmd.KT_SIGNOFF)),
    ("Runbooks tab", (cmd.RUNBOOK_NEW, cmd.RUNBOOK_STATUS)),
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
