"""The Systems tab: systems in scope with runbook, access and KT coverage."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding

from transition.services import dependencies, systems
from transition.services.views.raid import SystemContext
from transition.services.views.systems import SystemView
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


def _context(c: SystemContext) -> str:
    """One system's dependencies, linked open RAID entries and KT flag, or nothing."""
    parts = []
    if c.depends_on:
        parts.append(f"depends on {', '.join(c.depends_on)}")
    if c.used_by:
        parts.append(f"used by {', '.join(c.used_by)}")
    if c.kt_flagged:
        parts.append(f"KT flagged: none signed off for {', '.join(c.kt_flagged)}")
    if c.raid:
        parts.append(f"RAID {'; '.join(c.raid)}")
    return f"{c.system} · {' · '.join(parts)}" if parts else ""


class SystemsPane(Pane[SystemView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.SYSTEM_ADD, cmd.SYSTEM_EDIT, cmd.SYSTEM_OWNERS, cmd.SYSTEM_TOPICS, cmd.SYSTEM_INSPECT
    )
    KEY = "systems"

    COLUMNS = (
        ("tier", "Tier"),
        ("name", "System"),
        ("runbooks", "Runbooks"),
        ("access", "Access"),
        ("ready", "Ready"),
        ("risk", "Key person"),
        ("topics", "Topics"),
        Column("kt", "KT signed off", min_width=120),
        ("owners", "Owners"),  # free text last: a narrow terminal cuts only its end
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, systems.coverage, self.slug, group=self.KEY)

    def show_rows(self, coverage: list[SystemView]) -> None:
        t = self.table
        self.rows = {s.slug: s for s in coverage}
        rows = []
        for s in coverage:
            missing = ", ".join(s.kt_missing)
            rows.append(
                (
                    s.slug,
                    [
                        str(s.tier),
                        s.name,
                        f"{s.runbooks_accepted}/{s.runbooks_required} accepted",
                        str(s.access_active) if s.access_active else t.styled("none", "alert"),
                        t.styled("ready", "green") if s.ready else t.styled("not yet", "amber"),
                        t.styled("RISK", "red") if s.key_person_risk else "",
                        str(s.topics),
                        ", ".join(s.kt_signed_off) or t.styled(f"missing {missing}", "muted"),
                        ", ".join(s.owners) or t.styled("none", "muted"),
                    ],
                )
            )
        t.show(rows, has_more=False)
        risky = sorted((s for s in coverage if s.key_person_risk), key=lambda s: s.name.lower())
        text = "\n".join(f"Key-person risk · {s.name}: {s.key_person_risk_reason}" for s in risky)
        self.note(text if rows else "No system in scope yet: press n to add one.")
        if rows:
            self.read_then(
                lambda: self.backend.read(dependencies.system_context, self.slug),
                lambda context: self.note("\n".join(filter(None, [text, *map(_context, context)]))),
            )

    def action_add_system(self) -> None:
        from transition.tui.forms.systems import add_system_form

        self.open_form(
            add_system_form(self.backend, self.slug), lambda slug: f"system {slug} added"
        )

    def action_edit_system(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.systems import edit_system_form

        self.read_then(
            lambda: self.backend.read(systems.details, self.slug, row.slug),
            lambda current: self.open_form(
                edit_system_form(self.backend, self.slug, current),
                lambda name: f"system {name} saved",
            ),
        )

    def action_owners(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.tui.forms.owners import owners_form

        self.open_form(owners_form(self.backend, self.slug, row.name, self.people_options()), str)

    def action_topics(self) -> None:
        row = self.current()
        if row is None:
            return
        from transition.services import system_people
        from transition.tui.forms.owners import topics_form

        def read() -> list[str]:
            topics = self.backend.read(system_people.topics_for, self.slug)
            return [t.title for t in topics if t.system == row.name]

        self.read_then(
            read,
            lambda titles: self.open_form(
                topics_form(self.backend, self.slug, row.name, titles), str
            ),
        )

    @on(PagedTable.RowSelected, "#systems-table")
    def action_inspect(self) -> None:
        row = self.current()
        if row is not None:
            from transition.tui.screens.inspectors import SystemInspector

            self.inspect(SystemInspector, row.slug)
