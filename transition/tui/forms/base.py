"""Modal forms. Each checks what it can at once (required fields, dates, numbers) and
shows every problem next to its field; what the services refuse is shown the same way,
and nothing is written until the service accepts the whole form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static
from textual.worker import Worker, WorkerState

from transition.errors import TransitionError
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import error_text, running

if TYPE_CHECKING:
    pass

Check = Callable[[str], None]  # raises TransitionError with the message to show

#: The worker group of a form's preview and save (one at a time).
FORM = "form"


@dataclass
class Field:
    name: str
    label: str
    kind: str = "input"  # input | select | multi (several of ``options``: a list)
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    placeholder: str = ""
    value: str = ""
    check: Check | None = None
    #: The service argument this field fills, when its name differs: an error the service
    #: raises with ``field=`` that argument is shown beside this field.
    argument: str | None = None
    #: ``multi``: the values ticked at first.
    selected: list[str] = field(default_factory=list)
    #: The options follow another field: (its name, its value → the options).
    options_from: tuple[str, Callable[[str], list[tuple[str, str]]]] | None = None


def arguments(fields: list[Field], values: dict[str, Any]) -> dict[str, Any]:
    """What the user filled in, keyed by the service argument each field fills, as typed;
    an empty field is left out, so the service's own default stands."""
    return {f.argument or f.name: values[f.name] for f in fields if values.get(f.name)}


def edits(fields: list[Field], values: dict[str, Any]) -> dict[str, Any]:
    """An edit form's values keyed by the service argument each field fills, every field
    included: an emptied field clears what it held (the service says when it cannot)."""
    return {f.argument or f.name: values.get(f.name, "") for f in fields}


class FormScreen(ModalScreen[Any]):
    """A titled list of fields. ``submit(values)`` runs in a thread worker; its result
    closes the form. With ``preview``, the first save shows what would be written and the
    second writes it. Without fields, it asks to confirm: enter or ctrl+s does it, esc
    does not."""

    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SUBMIT, cmd.CANCEL)

    def __init__(
        self,
        title: str,
        fields: list[Field],
        submit: Callable[[dict[str, Any]], Any],
        *,
        intro: str = "",
        preview: Callable[[dict[str, Any]], str] | None = None,
        form_id: str = "form",
        save: str = "Save",
    ) -> None:
        super().__init__(id=form_id)
        #: The save button's word ("Archive": a form without fields is a confirmation).
        self.save = save
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.intro = intro
        self.preview = preview
        self.previewed: dict[str, Any] | None = None
        #: The save running or done (the form closes with its result).
        self._save: Worker[Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.intro:
                yield Label(self.intro, classes="hint", markup=False)
            with VerticalScroll(classes="fields"):
                for f in self.fields:
                    with Horizontal(classes="field"):
                        yield Label(
                            f.label + (" *" if f.required else ""),
                            classes="field-label",
                            markup=False,
                        )
                        with Vertical(classes="field-input"):
                            if f.kind == "select":
                                yield Select(
                                    [(Text(label), value) for label, value in f.options],
                                    prompt=f.placeholder or "choose…",
                                    id=f"f-{f.name}",
                                    value=f.value if f.value else Select.NULL,
                                    allow_blank=not f.required or not f.value,
                                    compact=True,
                                )
                            elif f.kind == "multi":
                                yield SelectionList[str](
                                    *(
                                        (Text(label), value, value in f.selected)
                                        for label, value in f.options
                                    ),
                                    id=f"f-{f.name}",
                                )
                            else:
                                yield Input(
                                    value=f.value,
                                    placeholder=f.placeholder,
                                    id=f"f-{f.name}",
                                    compact=True,
                                )
                            yield Label("", id=f"e-{f.name}", classes="error", markup=False)
                yield Label("", id="e-form", classes="error", markup=False)
                if self.preview is not None:
                    yield Static("", id="preview", classes="preview", markup=False)
            with Horizontal(classes="buttons"):
                first = "Preview" if self.preview else self.save
                yield Button(f"{first} (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        first = f"#f-{self.fields[0].name}" if self.fields else "#submit"
        self.query_one(first).focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.name}")
            if isinstance(widget, SelectionList):
                out[f.name] = list(widget.selected)
                continue
            value = widget.value
            out[f.name] = value.strip() if isinstance(value, str) else ""
        return out

    @on(Select.Changed)
    def follow(self, event: Select.Changed) -> None:
        """Fields whose options follow the select that changed are given its options."""
        source = (event.select.id or "").removeprefix("f-")
        value = event.value if isinstance(event.value, str) else ""
        for f in self.fields:
            if f.options_from is not None and f.options_from[0] == source:
                widget = self.query_one(f"#f-{f.name}", SelectionList)
                widget.clear_options()
                widget.add_options([(Text(label), v) for label, v in f.options_from[1](value)])

    def show_error(self, name: str, message: str) -> None:
        self.query_one(f"#e-{name}", Label).update(message)
        self.query_one(f"#e-{name}", Label).set_class(bool(message), "-shown")

    def clear_errors(self) -> None:
        for f in self.fields:
            self.show_error(f.name, "")
        self.show_error("form", "")

    def check(self, values: dict[str, Any]) -> bool:
        self.clear_errors()
        ok = True
        for f in self.fields:
            value = values[f.name]
            if f.required and not value:
                self.show_error(f.name, f"{f.label.lower()} is required")
                ok = False
            elif value and f.check is not None:
                try:
                    f.check(value)
                except TransitionError as exc:
                    self.show_error(f.name, exc.message)
                    ok = False
        return ok

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        if running(self, FORM):  # a press while the form is saving does nothing
            return
        values = self.values()
        if not self.check(values):
            return
        if self.preview is not None and values != self.previewed:
            self.run_preview(values)
            return
        self._save = self.run_submit(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exit_on_error=False, group=FORM)
    def run_submit(self, values: dict[str, Any]) -> Any:
        """The write, in a thread; the form closes with its result once the worker is done
        (``on_worker_state_changed``): closed from inside the worker, the form's removal
        would cancel the worker that closed it."""
        return self.submit(values)

    @work(thread=True, exit_on_error=False, group=FORM)
    def run_preview(self, values: dict[str, Any]) -> None:
        assert self.preview is not None
        text = self.preview(values)
        self.app.call_from_thread(self.show_preview, values, text)

    def show_preview(self, values: dict[str, Any], text: str) -> None:
        self.previewed = values
        box = self.query_one("#preview", Static)
        box.update(text)
        box.add_class("-shown")
        self.query_one("#submit", Button).label = "Write (ctrl+s)"
        self.query_one(".fields", VerticalScroll).scroll_end(animate=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._save and event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
            return
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        error = event.worker.error
        message = error_text(error)
        about = getattr(error, "field", None)
        for f in self.fields:
            if about is not None and about in (f.name, f.argument):
                self.show_error(f.name, message)
                return
        self.show_error("form", message)


# ------------------------------------------------------------------------ value checks


def check_date(what: str) -> Check:
    from transition.dates import parse_date

    return lambda value: parse_date(value, what) and None


def check_datetime(what: str) -> Check:
    from transition.dates import parse_datetime

    return lambda value: parse_datetime(value, what) and None


def check_int(what: str, low: int, high: int) -> Check:
    from transition.errors import BadInput

    def check(value: str) -> None:
        if not value.isdigit() or not low <= int(value) <= high:
            raise BadInput(f"{what} must be a whole number from {low} to {high}")

    return check


def check_text(what: str) -> Check:
    from transition.guard import no_secrets

    return lambda value: no_secrets(value, what) and None


def check_name(what: str) -> Check:
    from transition.text import clean_name

    return lambda value: clean_name(value, what) and None


def choices(values: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]
