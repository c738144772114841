"""Team mode: a screen that notices what others change.

Every few seconds (``TRANSITION_TUI_POLL``) a thread worker asks the change marker (one
query: the newest audit event id of the screen's engagement, or of all) for the changes
after the one last seen. When others made some, the screen refreshes what it shows and
says so quietly ("3 changes by maria"). Changes made in this app are not told: the screen
reloaded after each already. Nothing is asked while another screen or a form is on top;
the first look after it closes catches up."""

from __future__ import annotations

from typing import Any

from textual.timer import Timer

from transition.tui.screens.base import error_text

#: How long the notice stays (seconds): it is news, not a problem.
NOTICE_SECONDS = 4


class LiveMixin:
    """Mixed into a Screen (after ``DataMixin``). ``live_scope()`` names the engagement
    watched (None: every one); ``live_refresh()`` refreshes after others' changes."""

    #: The newest audit event id seen; None until the first look.
    live_seen: int | None = None
    #: Looks made so far (tests wait on it, bounded, instead of sleeping).
    live_looks: int = 0
    _live_timer: Timer | None = None
    _live_failed: bool = False
    _live_busy: bool = False

    def live_scope(self) -> str | None:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def live_refresh(self) -> None:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def start_live(self) -> None:
        """Take the marker now, then look again every interval (if polling is on). Called
        once the screen's first data is shown (so the first look does not slow it down);
        later calls do nothing."""
        if self._live_timer is not None or self.live_seen is not None or self._live_busy:
            return
        interval: float = self.app.poll_seconds  # type: ignore[attr-defined]
        self.live_look(force=True)
        if interval > 0:
            self._live_timer = self.set_interval(interval, self.live_look)  # type: ignore[attr-defined]

    def live_look(self, force: bool = False) -> None:
        """Start a look in a thread worker, unless one is still running or the screen is
        covered (a form, a dialog or another screen on top)."""
        screen: Any = self
        if self._live_busy or not (force or screen.is_active):
            return
        self._live_busy = True
        backend = screen.app.backend
        scope, since = self.live_scope(), self.live_seen

        def work() -> None:
            try:
                newest, others = backend.changes_since(scope, since)
            except Exception as exc:  # told once, not every few seconds
                screen.app.call_from_thread(self._live_error, exc)
                return
            screen.app.call_from_thread(self._live_seen, scope, since, newest, others)

        screen.run_worker(work, thread=True, exit_on_error=False, group="live")

    def _live_error(self, exc: BaseException) -> None:
        self._live_busy = False
        if not self._live_failed:
            self._live_failed = True
            self.notify(f"cannot look for others' changes: {error_text(exc)}", severity="warning")  # type: ignore[attr-defined]

    def _live_seen(self, scope: str | None, since: int | None, newest: int, others: list) -> None:
        self._live_busy = False
        self._live_failed = False
        self.live_looks += 1
        if scope != self.live_scope() or since != self.live_seen:
            return  # the screen moved on (a renamed engagement); the next look starts over
        self.live_seen = newest
        if since is None or not others:
            return
        from transition.services.live import told

        self.notify(told(others), timeout=NOTICE_SECONDS)  # type: ignore[attr-defined]
        self.live_refresh()
