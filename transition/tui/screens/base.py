"""What every data-showing screen and pane shares: service errors become notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

from transition.errors import TransitionError

if TYPE_CHECKING:
    from textual.message import Message

    from transition.services.views.overview import EngagementOverview
    from transition.tui.backend import Backend

#: Worker groups that change data; when one fails, the view reloads (the row may have
#: been changed by someone else).
WRITE = "write"


def running(node: Any, group: str) -> bool:
    """Whether a worker of ``node`` in ``group`` is still running: a save asked for twice
    (a key pressed again while it runs) is made once. Cancelling the first instead would
    not stop its thread: both would write."""
    return any(w.node is node and w.group == group and not w.is_finished for w in node.workers)


def hints() -> dict[str, str]:
    """What the TUI tells to do about a refusal, by its hint's kind (``errors.Hint``), in
    its own keys; a hint left out here (forcing a runbook's status, which the TUI does not
    offer) leaves the refusal's plain words."""
    from transition.tui.commands import registry as cmd

    return {
        "exercise": f"record one first ({cmd.RUNBOOK_EXERCISE.key} on the Runbooks tab)",
        "unarchive": "it is read-only until it is unarchived (on the dashboard, "
        f"{cmd.SHOW_ARCHIVED.key} lists the archived engagements and {cmd.ARCHIVE.key} "
        "unarchives the highlighted one)",
    }


def refused_archived(node: Any, overview: EngagementOverview | None, action: str) -> bool:
    """Whether ``action`` of ``node`` would change an engagement that its read model
    (``overview``) says is archived. If so, the refusal the services would give on saving
    is shown at once, and nothing opens; the rule itself stays theirs
    (``common.engagement_of``)."""
    from transition.services.common import archived
    from transition.tui.commands import registry as cmd

    if overview is None or overview.summary.archived_at is None:
        return False
    if action not in cmd.changing(getattr(type(node), "BINDINGS", [])):
        return False
    node.notify(error_text(archived(overview.summary.slug)), severity="warning", timeout=8)
    return True


def error_text(error: BaseException | None) -> str:
    if isinstance(error, TransitionError):
        return "\n".join(error.lines(hints()))
    return f"unexpected error: {error!r}"


class DataMixin:
    """Mixed into Screens and Widgets that load data in thread workers.

    ``reload()`` is implemented by each; a failed worker shows the service's message as an
    error notification, and a failed write reloads the view."""

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    def reload(self) -> None:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def read_then(self, read: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """``read()`` in a thread worker, then ``then(result)`` on the UI thread; a read that
        fails is an error notification (nothing on the UI thread reads a file or the
        database)."""

        def work() -> None:
            result = read()
            self.app.call_from_thread(then, result)  # type: ignore[attr-defined]

        self.run_worker(work, thread=True, exit_on_error=False, group="read")  # type: ignore[attr-defined]

    def read_into(
        self, message: Callable[[Any], Message], read: Callable[..., Any], *args: Any, group: str
    ) -> None:
        """``read(*args)`` through the backend in a thread worker, posted back as
        ``message(result)``; a new read in ``group`` cancels the one still running."""

        def work() -> None:
            self.post_latest(message(self.backend.read(read, *args)))

        self.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group=group)  # type: ignore[attr-defined]

    def post_latest(self, message: Message) -> None:
        """From an ``exclusive`` thread worker: post ``message`` unless a newer read in its
        group has started since. Cancelling a thread worker does not stop its thread: the
        older read would still post, and could land after the newer one and show older
        data. Whether it was superseded is decided on the UI thread, where reads start."""
        from textual.worker import get_current_worker

        worker = get_current_worker()

        def deliver() -> None:
            if not worker.is_cancelled:
                self.post_message(message)  # type: ignore[attr-defined]

        self.app.call_from_thread(deliver)  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        self.notify(error_text(event.worker.error), severity="error", timeout=8)  # type: ignore[attr-defined]
        if event.worker.group == WRITE:
            self.reload()
