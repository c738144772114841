"""The playbook upgrade dialog: what merging the newer playbook would do (a dry run),
applied on request; conflicts and what is left to decide are shown before anything is
written."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static
from textual.worker import Worker, WorkerState

from transition.services.views.playbooks import UpgradeView
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import error_text, running


class UpgradeScreen(ModalScreen[UpgradeView | None]):
    """The preview of ``engagement upgrade``; ctrl+s applies it, esc closes."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SUBMIT, cmd.CANCEL)

    def __init__(self, slug: str, preview: UpgradeView) -> None:
        super().__init__()
        self.slug = slug
        self.preview = preview

    def compose(self) -> ComposeResult:
        from transition.services.playbook_upgrade import describe

        p = self.preview
        lines = describe(p)
        with Vertical(classes="dialog", id="upgrade"):
            yield Label(
                f"Upgrade {p.playbook} v{p.from_version} → v{p.to_version}",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(classes="criteria"):
                for line in lines[1:-1]:
                    yield Static(line, classes="upgrade-line", markup=False)
            yield Label(
                f"{len(p.conflicts)} conflict(s) keep the engagement's value; "
                f"{len(p.to_decide)} thing(s) to decide after.",
                classes="hint",
                markup=False,
            )
            yield Label("", id="upgrade-error", classes="error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Apply (ctrl+s)", id="apply", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#apply", Button).focus()

    @on(Button.Pressed, "#apply")
    def action_submit(self) -> None:
        if not running(self, "upgrade"):  # upgraded once, however often the key is pressed
            self.apply()

    @work(thread=True, exit_on_error=False, group="upgrade")
    def apply(self) -> UpgradeView:
        from transition.services.playbook_upgrade import upgrade

        backend = self.app.backend  # type: ignore[attr-defined]
        result = backend.write(upgrade, self.slug)
        return result

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS:  # closed once its worker is done (see forms)
            self.dismiss(event.worker.result)
            return
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        shown = self.query_one("#upgrade-error", Label)
        shown.update(error_text(event.worker.error))
        shown.add_class("-shown")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
