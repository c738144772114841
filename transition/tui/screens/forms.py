"""Modal forms. Each checks what it can at once (required fields, dates, numbers) and
shows every problem next to its field; what the services refuse is shown the same way,
and nothing is written until the service accepts the whole form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from transition.errors import TransitionError
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import error_text

if TYPE_CHECKING:
    from transition.services.views import TaskView

Check = Callable[[str], None]  # raises TransitionError with the message to show


@dataclass
class Field:
    name: str
    label: str
    kind: str = "input"  # input | select
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    placeholder: str = ""
    value: str = ""
    check: Check | None = None
    #: Words that, found in a service error, point at this field.
    words: tuple[str, ...] = ()


class FormScreen(ModalScreen[Any]):
    """A titled list of fields. ``submit(values)`` runs in a thread worker; its result
    closes the form. With ``preview``, the first save shows what would be written and the
    second writes it."""

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
    ) -> None:
        super().__init__(id=form_id)
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.intro = intro
        self.preview = preview
        self.previewed: dict[str, Any] | None = None

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
                first = "Preview" if self.preview else "Save"
                yield Button(f"{first} (ctrl+s)", id="submit", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#f-{self.fields[0].name}").focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.name}")
            value = widget.value
            out[f.name] = value.strip() if isinstance(value, str) else ""
        return out

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
        values = self.values()
        if not self.check(values):
            return
        if self.preview is not None and values != self.previewed:
            self.run_preview(values)
            return
        self.run_submit(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
    def run_submit(self, values: dict[str, Any]) -> None:
        result = self.submit(values)
        self.app.call_from_thread(self.dismiss, result)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
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
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        message = error_text(event.worker.error)
        lowered = message.lower()
        for f in self.fields:
            words = f.words or (f.name.replace("_", " "), f.label.lower())
            if any(w in lowered for w in words):
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


# ------------------------------------------------------------------------------ forms


def new_engagement_form(backend: Any, playbooks: list[str]) -> FormScreen:
    """``playbooks``: the names to offer (read off the UI thread: ``backend.playbooks()``)."""
    from transition.services.engagements import LOCATIONS, MODELS

    return FormScreen(
        "New engagement",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("engagement name"),
                placeholder="e.g. Acme Helpdesk",
                words=("engagement", "name"),
            ),
            Field(
                "playbook",
                "Playbook",
                "select",
                choices(playbooks),
                required=True,
                words=("playbook",),
            ),
            Field("client", "Client", placeholder="who owns the service"),
            Field("incumbent", "Incumbent", placeholder="who hands over"),
            Field("provider", "Provider", placeholder="who takes over"),
            Field("model", "Model", "select", choices(MODELS), value="managed-service"),
            Field("location", "Location", "select", choices(LOCATIONS), value="onshore"),
            Field(
                "start",
                "Start",
                placeholder="YYYY-MM-DD (default today)",
                check=check_date("start date"),
                words=("start",),
            ),
        ],
        backend.new_engagement,
        intro="Phases and tasks are laid out from the playbook with real due dates.",
        form_id="new-engagement",
    )


def add_system_form(backend: Any, slug: str) -> FormScreen:
    return FormScreen(
        "Add a system",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("system name"),
                placeholder="e.g. Service desk",
                words=("system",),
            ),
            Field(
                "tier",
                "Tier",
                "select",
                [("1 · most critical", "1"), ("2", "2"), ("3 · least critical", "3")],
                value="2",
                required=True,
                words=("tier",),
            ),
        ],
        partial(backend.add_system, slug),
        form_id="add-system",
    )


def add_person_form(backend: Any, slug: str) -> FormScreen:
    from transition.services.people import SIDES

    return FormScreen(
        "Add a person",
        [
            Field(
                "name",
                "Name",
                required=True,
                check=check_name("person name"),
                words=("person", "name"),
            ),
            Field("side", "Side", "select", choices(SIDES), required=True, words=("side",)),
            Field("role", "Role", placeholder="e.g. service desk lead", words=("role",)),
            Field("email", "Email", words=("email",)),
            Field(
                "release",
                "Release date",
                placeholder="YYYY-MM-DD, when they leave",
                check=check_date("release date"),
                words=("release",),
            ),
        ],
        partial(backend.add_person, slug),
        form_id="add-person",
    )


def assign_form(backend: Any, slug: str, task: TaskView, people: list) -> FormScreen:
    def submit(values: dict[str, Any]) -> str:
        backend.assign_task(slug, task.key, values["person"] or None, task.version)
        return values["person"]

    return FormScreen(
        f"Assign {task.key}",
        [
            Field(
                "person",
                "Person",
                "select",
                people,
                placeholder="nobody",
                value=task.assignee or "",
                words=("person",),
            )
        ],
        submit,
        intro=task.title,
        form_id="assign",
    )


def grant_form(backend: Any, slug: str, people: list, systems: list) -> FormScreen:
    return FormScreen(
        "Grant access",
        [
            Field("person", "Person", "select", people, required=True, words=("person",)),
            Field("system", "System", "select", systems, required=True, words=("system",)),
            Field(
                "role",
                "Role",
                required=True,
                placeholder="e.g. read-only, admin",
                words=("role", "admin"),
            ),
            Field(
                "expires",
                "Expires",
                placeholder="YYYY-MM-DD or cutover+30d",
                words=("expir", "milestone"),
            ),
            Field(
                "justification",
                "Justification",
                check=check_text("the justification"),
                words=("justification",),
            ),
        ],
        partial(backend.grant, slug),
        intro="Every grant adds a revocation item to the exit checklist.",
        form_id="grant",
    )


def revoke_form(backend: Any, slug: str, grant: dict[str, Any]) -> FormScreen:
    def submit(values: dict[str, Any]) -> int:
        return backend.revoke(slug, grant["id"], {**values, "version": grant["version"]})

    return FormScreen(
        f"Revoke grant {grant['id']}",
        [Field("reason", "Reason", check=check_text("the reason"), words=("reason",))],
        submit,
        intro=f"{grant['person']} · {grant['role']} on {grant['system']}",
        form_id="revoke",
    )


def kt_schedule_form(backend: Any, slug: str, people: list, systems: list) -> FormScreen:
    from transition.playbooks import KT_KINDS

    return FormScreen(
        "Schedule a KT session",
        [
            Field("system", "System", "select", systems, required=True, words=("system",)),
            Field("topic", "Topic", required=True, check=check_text("the topic"), words=("topic",)),
            Field(
                "kind", "Kind", "select", choices(KT_KINDS), value="walkthrough", words=("kind",)
            ),
            Field("presenter", "Presenter", "select", people, required=True, words=("presenter",)),
            Field(
                "attendees", "Attendees", placeholder="names, comma-separated", words=("attendee",)
            ),
            Field(
                "at",
                "When (UTC)",
                required=True,
                placeholder="YYYY-MM-DDTHH:MM in UTC, or with an offset (+01:00)",
                check=check_datetime("session time"),
                words=("time", "date"),
            ),
            Field(
                "minutes",
                "Minutes",
                value="60",
                check=check_int("minutes", 5, 600),
                words=("minute",),
            ),
        ],
        partial(backend.kt_schedule, slug),
        form_id="kt-schedule",
    )


def kt_signoff_form(backend: Any, slug: str, row: dict[str, Any], attendees: list) -> FormScreen:
    def submit(values: dict[str, Any]) -> int:
        backend.kt_signoff(slug, row["id"], {**values, "version": row["version"]})
        return row["id"]

    return FormScreen(
        f"Sign off KT session {row['id']}",
        [
            Field("by", "Signed by", "select", attendees, required=True, words=("attendee", "by")),
            Field(
                "confidence",
                "Confidence",
                "select",
                [
                    (f"{n} · {w}", str(n))
                    for n, w in ((1, "low"), (2, "shaky"), (3, "fair"), (4, "good"), (5, "high"))
                ],
                words=("confidence",),
            ),
            Field(
                "follow_ups", "Follow-ups", check=check_text("the follow-ups"), words=("follow",)
            ),
        ],
        submit,
        intro=f"{row['system']} · {row['kind']} · {row['topic']}",
        form_id="kt-signoff",
    )


def runbook_form(backend: Any, slug: str, systems: list, templates: list[str]) -> FormScreen:
    """``templates``: the names to offer (read off the UI thread: ``backend.templates()``)."""

    def preview(values: dict[str, Any]) -> str:
        result = backend.runbook_generate(slug, values, dry_run=True)
        head = f"would write {result.get('path')}\n"
        return head + "─" * 40 + "\n" + str(result.get("text", ""))

    def submit(values: dict[str, Any]) -> str:
        return str(backend.runbook_generate(slug, values, dry_run=False).get("path"))

    return FormScreen(
        "Generate a runbook",
        [
            Field("system", "System", "select", systems, required=True, words=("system",)),
            Field(
                "template",
                "Template",
                "select",
                choices(templates),
                required=True,
                words=("template",),
            ),
            Field(
                "out_dir",
                "Folder",
                placeholder="default: runbooks/<engagement>",
                words=("folder", "out", "path", "exists"),
            ),
        ],
        submit,
        preview=preview,
        intro="ctrl+s shows the skeleton first; ctrl+s again writes it.",
        form_id="runbook",
    )
