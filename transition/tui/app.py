"""The Textual application: configuration, theme and the first screen. Behaviour lives in
``screens/``; data comes from ``backend`` (services, in thread workers)."""

from __future__ import annotations

import gc
from typing import ClassVar

from textual.app import App
from textual.binding import Binding

from transition.text import slugify
from transition.tui.backend import Backend
from transition.tui.commands import registry as cmd
from transition.tui.commands.providers import JumpProvider


class TransitionApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "transition"
    COMMANDS = App.COMMANDS | {JumpProvider}
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.QUIT, cmd.HELP)

    def __init__(self, backend: Backend, engagement: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.start_engagement = slugify(engagement) if engagement else None

    def on_mount(self) -> None:
        from transition.tui.screens.dashboard import DashboardScreen

        self.push_screen(DashboardScreen())
        if self.start_engagement:
            self.open_engagement(self.start_engagement)

    def open_engagement(self, slug: str, tab: str = "tasks") -> None:
        from transition.tui.screens.dashboard import DashboardScreen
        from transition.tui.screens.engagement import EngagementScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, DashboardScreen):
            self.pop_screen()
        self.push_screen(EngagementScreen(slug, tab))

    def action_help(self) -> None:
        from transition.tui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.backend.where()))


def make_app(url: str | None, actor: str, engagement: str | None = None) -> TransitionApp:
    """The app as ``transition tui`` builds it (tests build it the same way)."""
    settle_memory()
    return TransitionApp(Backend(url, actor), engagement)


_settled = False


def settle_memory() -> None:
    """Keep the garbage collector from stalling the screens, once per process.

    What is loaded at start (Textual, SQLAlchemy, the models, the screens) lives as long as
    the app; frozen, the collector no longer walks it on each full pass, and young objects
    are collected in larger batches. Building a screen makes many short-lived objects, and
    without this about a third of the time to first paint went to collections."""
    global _settled
    if _settled:
        return
    _settled = True
    import transition.tui.screens.dashboard
    import transition.tui.screens.engagement  # noqa: F401 - loaded before freezing

    gc.freeze()
    gc.set_threshold(5_000, 10, 10)


def run(url: str | None, actor: str, engagement: str | None) -> None:
    make_app(url, actor, engagement).run()
