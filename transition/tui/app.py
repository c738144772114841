"""The Textual application: configuration, theme and the first screen. Behaviour lives in
``screens/``; data comes from ``backend`` (services, in thread workers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from textual import actions
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel

from transition.text import slugify
from transition.tui.backend import Backend
from transition.tui.commands import registry as cmd
from transition.tui.commands.providers import JumpProvider

if TYPE_CHECKING:
    from textual.actions import ActionParseResult
    from textual.dom import DOMNode


class TransitionApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "transition"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.QUIT, cmd.HELP, cmd.UNDO)

    def get_system_commands(self, screen: Any) -> Any:
        """Textual's own palette commands, less the two that shadow ours: its "Keys" panel
        (``?`` Help lists every key, grouped) and a second "Quit"."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Quit"):
                yield command

    def __init__(
        self, backend: Backend, engagement: str | None = None, *, poll_seconds: float = 5.0
    ) -> None:
        super().__init__()
        self.backend = backend
        self.start_engagement = slugify(engagement) if engagement else None
        #: Seconds between looks for changes made elsewhere (0: never; ``screens/live``).
        self.poll_seconds = poll_seconds
        backend.on_warnings = self._warn

    async def on_mount(self) -> None:
        from transition.tui.screens.dashboard import DashboardScreen
        from transition.tui.screens.engagement import EngagementScreen

        if self.start_engagement:
            # Opened at an engagement: the dashboard is built when asked for (``escape``),
            # not loaded unseen beneath it.
            await self.push_screen(EngagementScreen(self.start_engagement, "tasks"))
        else:
            await self.push_screen(DashboardScreen())

    async def open_engagement(self, slug: str, tab: str = "tasks") -> None:
        """Show ``tab`` of engagement ``slug`` over the dashboard.

        The command palette calls this once it has closed; each screen above the
        dashboard is removed before the next is shown, so nothing still queued for a
        closed screen runs against the new one."""
        from transition.tui.screens.dashboard import DashboardScreen
        from transition.tui.screens.engagement import EngagementScreen

        if isinstance(self.screen, EngagementScreen) and self.screen.slug == slug:
            self.screen.show_tab(tab)
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, DashboardScreen):
            await self.pop_screen()
        if isinstance(self.screen, EngagementScreen):  # the one opened at start-up, alone
            await self.switch_screen(EngagementScreen(slug, tab))
            return
        await self.push_screen(EngagementScreen(slug, tab))

    def show_dashboard(self) -> None:
        """Replace the current screen by the dashboard (an engagement opened at start-up
        has no dashboard under it)."""
        from transition.tui.screens.dashboard import DashboardScreen

        self.switch_screen(DashboardScreen())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is literal text: most carry names and messages that users
        wrote, and none of ours uses markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _warn(self, warnings: list[str]) -> None:
        """A write's warnings as a notification (the CLI prints them on stderr); told from
        the worker that wrote, or on the UI thread."""

        def show() -> None:
            self.notify("\n".join(warnings), severity="warning", timeout=10)

        try:
            self.call_from_thread(show)
        except RuntimeError:  # on the UI thread itself
            show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No undo under an open form or dialog: it would change what the form shows."""
        if action == "undo":
            from textual.screen import ModalScreen

            return not isinstance(self.screen, ModalScreen)
        return True

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run ``action`` (from a key, the footer or the palette), unless the screen or tab
        it belongs to refuses it at once: a change to an archived engagement says so before
        any form opens (``refuse_change``)."""
        if isinstance(action, str) and default_namespace is not None:
            where, name, params = actions.parse(action)
            refuse = getattr(default_namespace, "refuse_change", None)
            if (
                not where
                and refuse is not None
                and default_namespace.check_action(name, params)
                and refuse(name)
            ):
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_undo(self) -> None:
        """Undo the last change made in this session (not undone yet), then reload."""

        def work() -> None:
            done = self.backend.undo()
            self.call_from_thread(self._undone, done)

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group="undo")

    def _undone(self, done) -> None:
        from transition.services.undo import describe

        self.notify("undone: " + "\n".join(describe(done)).removeprefix("change of "))
        reload = getattr(self.screen, "action_reload", None)
        if reload is not None:
            reload()

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        from transition.tui.screens.base import error_text

        if event.worker.group == "undo" and event.state == WorkerState.ERROR:
            self.notify(error_text(event.worker.error), severity="error", timeout=8)

    def action_help(self) -> None:
        from transition.tui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.backend.where(), getattr(self.screen, "help_here", None)))


def make_app(url: str | None, actor: str, engagement: str | None = None) -> TransitionApp:
    """The app as ``transition tui`` builds it (tests build it the same way)."""
    from transition.settings import get_settings

    poll = get_settings().tui_poll_seconds()  # a bad value is refused before the screen opens
    settle_memory()
    return TransitionApp(Backend(url, actor), engagement, poll_seconds=poll)


def settle_memory() -> None:
    """Load the screens, then keep the collector from stalling them (``memory``)."""
    import transition.tui.screens.dashboard
    import transition.tui.screens.engagement  # noqa: F401 - loaded before freezing
    from transition import memory

    memory.settle()


def run(url: str | None, actor: str, engagement: str | None) -> int:
    """Run the TUI; the app's return code: 0, or 1 after an unhandled exception."""
    app = make_app(url, actor, engagement)
    app.run()
    return app.return_code or 0
