"""The inspector base: what ``enter`` opens on a row (the nouns: ``screens.inspectors``). Each shows one noun in full in a scrolling
body, read through its service function in a worker; what it links to (a task's
dependencies, a system's grants, a finding's grant…) is listed as options that ``enter``
opens in turn, and ``esc`` goes back one step. All user text is shown literally."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from transition.tui.commands import registry as cmd
from transition.tui.screens.base import DataMixin
from transition.tui.widgets.pane import day

if TYPE_CHECKING:
    from transition.services.views.audit import AuditEventView


@dataclass(frozen=True)
class Link:
    """An option that opens another inspector: ``kind`` names it (``task``, ``grant``…)
    and ``ref`` is what that inspector is given."""

    kind: str
    ref: str
    label: str


@dataclass
class Section:
    """A heading and its lines, or its links; ``id`` names the widget (``#ID``)."""

    title: str
    lines: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    id: str | None = None
    empty: str = "–"


def history_lines(events: Iterable[AuditEventView]) -> list[str]:
    """``2026-11-20 09:30 maria update status: todo → done``, one line per event."""
    return [
        f"{day(e.at)} {e.actor} {e.action}"
        + (f" {e.field}: {e.before or '–'} → {e.after or '–'}" if e.field else "")
        for e in events
    ]


def history(events: list[AuditEventView]) -> Section:
    return Section(f"History ({len(events)})", history_lines(events), id="inspector-history")


class Inspector(DataMixin, ModalScreen[bool]):
    """The base of every inspector: a title, a scrolling body of sections, and a hint.
    Subclasses name their service function (``READ``) and turn its result into a title
    and sections. It closes with True when something was changed from it."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.INSPECT_CLOSE)
    #: No focus given as it is composed: ``on_mount`` focuses its first list of links (or
    #: the body), once. The default would focus the body first and then move, restyling
    #: the screen's widgets twice as it opens.
    AUTO_FOCUS = ""
    #: ``fn(session, engagement, ref)`` in the services, returning the inspected noun.
    READ: ClassVar[Callable[..., Any]]
    #: The keys the hint names, besides esc.
    HINT: ClassVar[str] = ""

    @dataclass
    class Loaded(Message):
        data: Any

    def __init__(self, slug: str, ref: str | int, data: Any = None) -> None:
        super().__init__()
        self.slug = slug
        self.ref = str(ref)
        #: The noun as last read; given when read before the inspector opens (``show``),
        #: so it is laid out once, not first empty and then again filled in.
        self.data: Any = data
        #: Something was changed from here: the list below reloads when this closes.
        self.touched = False
        #: The links shown, by their option's id.
        self.links: dict[str, Link] = {}

    @classmethod
    def show(cls, opener: Any, slug: str, ref: str | int, closed: Callable[[Any], None]) -> None:
        """Read the noun in a worker of ``opener`` (a pane or an inspector), then open the
        inspector on it; ``closed(touched)`` when it closes."""
        opener.read_then(
            lambda: opener.backend.read(cls.READ, slug, str(ref)),
            lambda data: opener.app.push_screen(cls(slug, ref, data), closed),
        )

    def compose(self) -> ComposeResult:
        data = self.data
        with Vertical(classes="dialog inspector"):
            title = "Loading…" if data is None else self.title_of(data)
            yield Label(title, classes="dialog-title", id="inspector-title", markup=False)
            with VerticalScroll(id="inspector-body"):
                if data is not None:
                    yield from self._widgets(self.sections(data))
            links = bool(self.links)
            yield Label(self.hint(links), classes="hint", id="inspector-hint", markup=False)

    def on_mount(self) -> None:
        if self.data is None:
            self.reload()
        else:
            self._focus_first()

    def _focus_first(self, focused: str | None = None) -> None:
        body = self.query_one("#inspector-body", VerticalScroll)
        lists = [w for w in body.query(OptionList) if w.option_count]
        again = next((w for w in lists if w.id == focused), None)
        (again or (lists[0] if lists else body)).focus(scroll_visible=False)

    def on_worker_state_changed(self, event: Any) -> None:
        """A read that fails is an error notification; when the noun could not be read
        at all (removed meanwhile), the inspector closes."""
        from textual.worker import WorkerState

        super().on_worker_state_changed(event)
        if event.state == WorkerState.ERROR and self.data is None and self.is_current:
            self.dismiss(self.touched)

    def hint(self, links: bool) -> str:
        keys = ["enter opens the highlighted line", "tab next list"] if links else []
        return " · ".join([*keys, *([self.HINT] if self.HINT else []), "esc back"])

    def reload(self) -> None:
        self.read_into(self.Loaded, type(self).READ, self.slug, self.ref, group="inspector")

    async def on_inspector_loaded(self, message: Loaded) -> None:
        self.data = message.data
        self.query_one("#inspector-title", Label).update(self.title_of(message.data))
        body = self.query_one("#inspector-body", VerticalScroll)
        focused = self.focused.id if self.focused is not None else None
        await body.remove_children()
        await body.mount_all(self._widgets(self.sections(message.data)))
        self.query_one("#inspector-hint", Label).update(self.hint(bool(self.links)))
        self._focus_first(focused)

    def _widgets(self, sections: list[Section]) -> Iterable[Widget]:
        self.links = {}
        for s in sections:
            yield Static(s.title, classes="inspector-heading", markup=False)
            if s.links:
                options = []
                for link in s.links:
                    key = f"link-{len(self.links)}"
                    self.links[key] = link
                    options.append(Option(Text(link.label), id=key))
                yield OptionList(
                    *options,
                    id=s.id,
                    classes="inspector-links",
                )
            else:
                yield Static(
                    "\n".join(s.lines) if s.lines else s.empty,
                    id=s.id,
                    classes="inspector-lines",
                    markup=False,
                )

    def title_of(self, data: Any) -> str:  # pragma: no cover - every inspector overrides it
        raise NotImplementedError

    def sections(self, data: Any) -> list[Section]:  # pragma: no cover - likewise
        raise NotImplementedError

    @on(OptionList.OptionSelected, ".inspector-links")
    def follow(self, event: OptionList.OptionSelected) -> None:
        from transition.tui.screens.inspectors import INSPECTORS

        link = self.links.get(event.option.id or "")
        target = INSPECTORS.get(link.kind) if link is not None else None
        if link is not None and target is not None:
            target.show(self, self.slug, link.ref, self.returned)

    def returned(self, touched: bool | None) -> None:
        """An inspector opened from this one closed: reload if it changed something."""
        if touched:
            self.touched = True
            self.reload()

    def action_close(self) -> None:
        self.dismiss(self.touched)

    def open_form(self, form: Any, note: Callable[[Any], str]) -> None:
        """Show ``form``; when it saves, say what changed and read the noun again."""

        def done(result: Any) -> None:
            if result is not None:
                self.notify(note(result))
                self.touched = True
                self.reload()

        self.app.push_screen(form, done)
