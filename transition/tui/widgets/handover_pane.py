"""The Handover tab: the exit checklist, kept in step with the engagement."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from textual.binding import Binding

from transition.services import handover
from transition.services.views.handover import GrantRef, HandoverItemView, RunbookRef, SystemRef
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


class HandoverPane(Pane[HandoverItemView]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(
        cmd.HANDOVER_DONE, cmd.HANDOVER_SYNC, cmd.HANDOVER_UPGRADE, cmd.HANDOVER_PACK
    )
    KEY = "handover"

    COLUMNS = (
        ("status", "Status"),
        ("due", "Due"),
        ("title", "Item"),
        Column("owner", "Owner", min_width=140),
        Column("section", "Section", min_width=180),
        Column("source", "Source", min_width=220),
    )

    def reload(self) -> None:
        self.read_into(self.Loaded, handover.show, self.slug, group=self.KEY)

    def show_rows(self, rows: list[HandoverItemView]) -> None:
        t = self.table
        self.rows = {r.key: r for r in rows}
        t.show([(r.key, self.cells(t, r)) for r in rows], has_more=False)
        from transition.services.exit_readiness import figure

        counts = Counter(r.status for r in rows)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        ready = figure(rows).describe() if rows else ""
        self.note(
            f"{summary or 'no items'} · {ready or 'no exit readiness yet'} · derived items "
            "follow their grant/system/runbook"
        )

    @staticmethod
    def source(r: HandoverItemView) -> str:
        ref = r.source_ref
        if isinstance(ref, GrantRef):
            return f"grant {ref.grant_id}: {ref.person or '?'} on {ref.system or '?'}"
        if isinstance(ref, SystemRef):
            return f"system {ref.system or ref.system_id}"
        if isinstance(ref, RunbookRef):
            return f"runbook {ref.runbook_id}: {ref.system or '?'}"
        return f"checklist {ref.checklist or r.source}"

    def cells(self, t: PagedTable, r: HandoverItemView) -> list[Any]:
        states = {"done": "green", "resolved": "green", "retired": "muted", "open": "amber"}
        return [
            t.styled(r.status, states.get(r.status, "amber")),
            t.styled(f"{r.due_date} overdue", "red")
            if r.overdue
            else (str(r.due_date) if r.due_date else ""),
            r.title,
            r.owner or "",
            r.section_title or r.section,
            self.source(r),
        ]

    def action_toggle(self) -> None:
        row = self.current()
        if not row:
            return
        status = "open" if row.status == "done" else "done"
        self.write_then(
            f"handover item {status}",
            handover.set_item_status,
            self.slug,
            row.id,
            status,
            expected_version=row.version,
        )

    def action_sync(self) -> None:
        self.write_then(
            lambda result: f"handover sync: {result.describe() or 'already in step'}",
            handover.sync,
            self.slug,
        )

    def action_upgrade(self) -> None:
        from transition.services import handover_upgrade
        from transition.tui.forms.handover import upgrade_form

        self.open_form(
            upgrade_form(self.backend, self.slug),
            lambda result: f"exit checklist: {handover_upgrade.summary(result)}",
        )

    def action_write_pack(self) -> None:
        from transition.tui.forms.pack import pack_form

        def done(result: Any) -> None:
            if result is not None:
                self.notify(
                    f"hand-back pack written to {result.path}: {len(result.files)} files "
                    "and manifest.json",
                    markup=False,
                )

        self.app.push_screen(pack_form(self.backend, self.slug), done)
