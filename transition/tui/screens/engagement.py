"""One engagement: the phase stepper on top, a tab per concern below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Label, TabbedContent, TabPane

from transition.services import gates, overview
from transition.services.views.overview import EngagementOverview
from transition.services.views.phases import AdvanceResult, CurrentGate
from transition.tui.commands import registry as cmd
from transition.tui.screens.base import DataMixin, refused_archived
from transition.tui.screens.live import LiveMixin
from transition.tui.widgets.access_pane import AccessPane
from transition.tui.widgets.audit_pane import AuditPane
from transition.tui.widgets.footer import KeyFooter
from transition.tui.widgets.golive_pane import GoLivePane
from transition.tui.widgets.handover_pane import HandoverPane
from transition.tui.widgets.kt_pane import KTPane
from transition.tui.widgets.meetings_pane import MeetingsPane
from transition.tui.widgets.pane import Pane
from transition.tui.widgets.people_pane import PeoplePane
from transition.tui.widgets.raid_pane import RaidPane
from transition.tui.widgets.runbooks_pane import RunbooksPane
from transition.tui.widgets.scorecard_pane import ScorecardPane
from transition.tui.widgets.stepper import PhaseStepper
from transition.tui.widgets.systems_pane import SystemsPane
from transition.tui.widgets.tasks_pane import TasksPane
from transition.tui.widgets.upcoming import ahead_line

TABS = (
    ("tasks", "Tasks", TasksPane),
    ("systems", "Systems", SystemsPane),
    ("people", "People", PeoplePane),
    ("access", "Access", AccessPane),
    ("kt", "KT", KTPane),
    ("runbooks", "Runbooks", RunbooksPane),
    ("handover", "Handover", HandoverPane),
    ("raid", "RAID", RaidPane),
    ("scorecard", "Scorecard", ScorecardPane),
    ("golive", "Go-live", GoLivePane),
    ("meetings", "Meetings", MeetingsPane),
    ("audit", "Audit", AuditPane),
)


class EngagementScreen(LiveMixin, DataMixin, Screen):
    """The engagement's header, phases and tabs. Others' changes to it show within the
    poll interval: the header and the shown tab reload, the other tabs when next shown."""

    #: The shown tab's list takes the focus at once (not the filters before it), so the
    #: footer is built once, with the keys that apply to that list.
    AUTO_FOCUS = "Pane PagedTable"
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.BACK,
        cmd.ADVANCE,
        cmd.UPCOMING,
        cmd.ADD_SYSTEM,
        cmd.ADD_PERSON,
        cmd.EDIT_ENGAGEMENT,
        cmd.TAB_NEXT,
        cmd.TAB_PREV,
        cmd.UPGRADE_PLAYBOOK,
        cmd.REPLAN,
        cmd.START_EXIT,
        cmd.ACCESS_REVIEW,
        cmd.WRITE_REPORT,
        cmd.EXPORT_CALENDAR,
        cmd.EXPORT_CHECKLIST,
        cmd.RELOAD,
    )

    @dataclass
    class Loaded(Message):
        data: EngagementOverview
        pane: Pane | None = None
        first: Message | None = None

    @dataclass
    class GateLoaded(Message):
        gate: CurrentGate

    def __init__(self, slug: str, tab: str = "tasks") -> None:
        super().__init__()
        self.slug = slug
        self.initial_tab = tab
        self.data: EngagementOverview | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="eng-head"):
            yield Label("Loading…", id="eng-title", markup=False)
            yield Label("", id="eng-figures", markup=False)
            yield Label("", id="eng-state", markup=False)
        yield Label("", id="eng-ahead", markup=False)
        yield PhaseStepper(id="eng-stepper")
        with TabbedContent(initial=self.initial_tab, id="tabs"):
            for key, title, pane in TABS:
                # Only the first tab shown is built now; the others when first opened.
                with TabPane(title, id=key):
                    if key == self.initial_tab:
                        yield pane(self.slug, id=f"pane-{key}")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = self.slug
        self.reload()

    def live_scope(self) -> str | None:
        return self.slug

    def live_refresh(self) -> None:
        self.action_reload()

    def reload(self) -> None:
        key = self.query_one(TabbedContent).active
        shown = next(self.query(f"#pane-{key}").results(Pane), None)
        self.load(shown if shown is not None and shown.stale else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="engagement")
    def load(self, pane: Pane | None = None) -> None:
        """The engagement, and the first data of ``pane`` (shown next, and stale) with it."""
        data = self.backend.read(overview.header, self.slug)
        first = pane.prefetch(data) if pane is not None else None
        self.post_latest(self.Loaded(data, pane, first))

    def on_engagement_screen_loaded(self, message: Loaded) -> None:
        data = self.data = message.data
        s = data.summary
        self.sub_title = s.name
        parties = f"{s.client or '?'} → {s.provider or '?'}"
        done = f"{s.tasks_done}/{s.tasks_total} done"
        cut = s.days_to_cutover
        when = "" if cut is None or s.status != "active" else f" · cutover in {cut}d"
        if cut is not None and cut < 0 and s.status == "active":
            when = f" · cutover {-cut}d ago"
        if s.status != "active":
            when = f" · {s.status}"
        # The name and parties give way (cut, with an ellipsis) before the figures do.
        self.query_one("#eng-title", Label).update(f"{s.name} · {parties}")
        self.query_one("#eng-figures", Label).update(f"{done}{when}")
        late = s.tasks_overdue
        state = self.query_one("#eng-state", Label)
        state.update(f" · {late} late" if late else "")
        state.set_class(bool(late), "-alert")
        if data.upcoming is not None:
            self.query_one("#eng-ahead", Label).update(ahead_line(data.upcoming))
        self.query_one(PhaseStepper).phases = data.phases
        self.start_live()
        for pane in self.query(Pane):
            pane.engagement = data
        key = self.query_one(TabbedContent).active
        if message.pane is not None and message.pane.id == f"pane-{key}":
            message.pane.activate(message.first)  # built already: no need to wait a turn
        else:
            self.run_worker(self.show_active(message.pane, message.first), group="tabs")

    async def show_active(self, fetched: Pane | None = None, first: Message | None = None) -> None:
        """Build the active tab's pane if this is its first showing, then load it."""
        key = self.query_one(TabbedContent).active
        panes = self.query(f"#pane-{key}").results(Pane)
        pane = next(panes, None)
        if pane is None:
            cls = next(c for k, _, c in TABS if k == key)
            pane = cls(self.slug, id=f"pane-{key}")
            pane.engagement = self.data
            await self.query_one(f"TabPane#{key}", TabPane).mount(pane)
        pane.activate(first if pane is fetched else None)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if self.data is not None:
            self.run_worker(self.show_active(), group="tabs")

    @on(Pane.Changed)
    def changed(self, event: Pane.Changed) -> None:
        """Something changed the engagement: refresh the header; other tabs reload when
        next shown."""
        for pane in self.query(Pane):
            if pane is not event.pane:
                pane.stale = True
        self.reload()

    @property
    def help_here(self) -> str | None:
        """The help group listed first when ``?`` is pressed here: the shown tab's."""
        active = self.query_one(TabbedContent).active
        return next((f"{title} tab" for key, title, _ in TABS if key == active), None)

    def refuse_change(self, action: str) -> bool:
        """Whether ``action`` is refused at once: it would change an archived engagement
        (``TransitionApp.run_action``)."""
        return refused_archived(self, self.data, action)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.show_dashboard()

    def action_reload(self) -> None:
        for pane in self.query(Pane):
            pane.stale = True
        self.reload()

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_prev_tab(self) -> None:
        self._step_tab(-1)

    def _step_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        keys = [k for k, _, _ in TABS]
        tabs.active = keys[(keys.index(tabs.active) + step) % len(keys)]

    def show_tab(self, key: str) -> None:
        self.query_one(TabbedContent).active = key

    def action_upcoming(self) -> None:
        """The next 14 days in full (the header's line counts them)."""
        if self.data is None or self.data.upcoming is None:
            return
        from transition.tui.screens.upcoming import UpcomingScreen

        self.app.push_screen(UpcomingScreen(self.data.upcoming))

    # -- the gate --------------------------------------------------------------------

    def action_gate(self) -> None:
        self.read_into(self.GateLoaded, gates.ahead_in_full, self.slug, group="gate")

    def on_engagement_screen_gate_loaded(self, message: GateLoaded) -> None:
        from transition.tui.screens.dialogs import GateScreen

        if message.gate.phase is None:
            self.notify("every phase is done: nothing left to advance")
            return
        self.app.push_screen(GateScreen(self.slug, message.gate), self.advanced)

    def advanced(self, result: AdvanceResult | None) -> None:
        """The gate dialog closed: on an advance, say what happened and reload."""
        if result is None:
            return
        verb = "overridden" if result.decision == "overridden" else "passed"
        target = f"now in {result.entered}" if result.entered else "engagement completed"
        moved = ""
        if result.replanned:
            first = result.replanned[0]
            moved = f"; {len(result.replanned)} phase(s) re-laid from {first.new_start}"
        self.notify(f"gate of {result.left} {verb}; {target}{moved}")
        self.action_reload()

    # -- what a manager takes out of the engagement weekly ----------------------------

    def action_access_review(self) -> None:
        """Every access finding, in full, on a scrolling screen."""
        from transition.tui.screens.access_review import open_access_review

        def closed(changed: bool | None) -> None:
            if changed:
                self.action_reload()

        name = self.data.summary.name if self.data else self.slug
        open_access_review(self, self.slug, name, closed)

    def action_write_report(self) -> None:
        from transition.dates import today
        from transition.tui.forms.exports import report_form

        self._written(report_form(self.backend, self.slug, today()), "status report")

    def action_export_calendar(self) -> None:
        from transition.tui.forms.exports import calendar_form

        self._written(calendar_form(self.backend, self.slug), "calendar")

    def action_export_checklist(self) -> None:
        from transition.tui.forms.exports import checklist_form

        self._written(checklist_form(self.backend, self.slug), "exit checklist")

    def _written(self, form: Any, what: str) -> None:
        """Show an export form; when it has written its file, say where."""

        def finished(path: Any) -> None:
            if path is not None:
                self.notify(f"wrote the {what} to {path}")

        self.app.push_screen(form, finished)

    # -- forms that belong to the whole engagement -----------------------------------

    def action_replan(self) -> None:
        from transition.tui.forms.plan import replan_form

        if self.data is None:
            return
        if not any(p.status == "pending" for p in self.data.phases):
            self.notify("no phase is waiting to start: nothing to replan")
            return

        def finished(result: Any) -> None:
            if result is None:
                return
            if not result.phases:
                self.notify("nothing moved: the phases already start on those dates")
            else:
                first = result.phases[0]
                self.notify(
                    f"{first.key} now starts {first.new_start}; {len(result.phases)} "
                    f"phase(s) and {result.tasks_moved} open task(s) moved"
                )
            self.action_reload()

        self.app.push_screen(replan_form(self.backend, self.slug, self.data.phases), finished)

    def action_upgrade_playbook(self) -> None:
        """Preview the newer playbook merged in (a dry run), then apply it on request."""
        from transition.services.playbook_upgrade import upgrade
        from transition.tui.screens.upgrade import UpgradeScreen

        def previewed(preview: Any) -> None:
            def finished(result: Any) -> None:
                if result is not None:
                    self.notify(
                        f"playbook upgraded to v{result.to_version}: {len(result.applied)} "
                        f"change(s), {len(result.conflicts)} conflict(s), "
                        f"{len(result.to_decide)} to decide"
                    )
                    self.action_reload()

            self.app.push_screen(UpgradeScreen(self.slug, preview), finished)

        # A dry run works in a writing unit of work and writes nothing.
        self.read_then(lambda: self.backend.write(upgrade, self.slug, dry_run=True), previewed)

    def action_add_system(self) -> None:
        from transition.tui.forms.systems import add_system_form

        self._form(add_system_form(self.backend, self.slug), "system {} added")

    def action_add_person(self) -> None:
        from transition.tui.forms.people import add_person_form

        self._form(add_person_form(self.backend, self.slug), "person {} added")

    def action_edit_engagement(self) -> None:
        from transition.services import engagements
        from transition.tui.forms.engagement import edit_engagement_form

        def opened(current: Any) -> None:
            self.app.push_screen(edit_engagement_form(self.backend, current), self.edited)

        self.read_then(lambda: self.backend.read(engagements.settings, self.slug), opened)

    def edited(self, slug: str | None) -> None:
        """The edit form closed: a renamed engagement is shown under its new slug."""
        if slug is None:
            return
        self.notify(f"engagement {slug} saved")
        if slug != self.slug:
            self.slug = slug
            for pane in self.query(Pane):
                pane.slug = slug
        self.action_reload()

    def action_start_exit(self) -> None:
        from transition.tui.forms.exits import start_exit_form

        if self.data is not None:
            form = start_exit_form(self.backend, self.slug, self.data.summary.name)
            self._form(form, "started {0.slug}: the exit of {0.exit_of}")

    def _form(self, form: Any, done: str) -> None:
        def finished(result: Any) -> None:
            if result is not None:
                self.notify(done.format(result))
                self.action_reload()

        self.app.push_screen(form, finished)
