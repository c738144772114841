"""The Scorecard tab: per KPI and party a sparkline of the weekly values with the target
beside it, the table of KPIs below; ``r`` records a value."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Sparkline, Static

from transition.services import scorecard
from transition.services.views.scorecard import KPISeries, Scorecard
from transition.tui.commands import registry as cmd
from transition.tui.widgets.paged_table import Column, PagedTable
from transition.tui.widgets.pane import Pane


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _target(kpi: KPISeries) -> str:
    return ("≥ " if kpi.better == "higher" else "≤ ") + _num(kpi.target) + kpi.unit


def _last(values: list[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


class ScorecardPane(Pane[KPISeries]):
    BINDINGS: ClassVar[list[Binding]] = cmd.bindings(cmd.SCORE_RECORD)
    KEY = "scorecard"
    DEFAULT_CSS = """
    ScorecardPane #scorecard-sparks { height: auto; max-height: 60%; }
    ScorecardPane .spark-row { height: 1; }
    ScorecardPane .spark-label { width: 34; }
    ScorecardPane .spark-target { width: 22; padding-left: 1; }
    ScorecardPane Sparkline { width: 1fr; }
    ScorecardPane .spark-title { margin-top: 1; text-style: bold; }
    """

    COLUMNS = (
        ("kpi", "KPI"),
        # The title gives way on a narrow terminal (the sparklines below name each KPI),
        # so the state (provider met) stays on screen.
        Column("title", "Title", min_width=120),
        ("target", "Target"),
        ("incumbent", "Incumbent (last)"),
        ("provider", "Provider (last)"),
        ("met", "Provider met"),
    )

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="scorecard-sparks")
        yield from super().compose()

    def reload(self) -> None:
        self.read_into(self.Loaded, scorecard.scorecard, self.slug, group=self.KEY)

    def show_rows(self, card: Scorecard) -> None:  # type: ignore[override]
        """The pane's data is the whole scorecard, not a list of rows."""
        t = self.table
        self.rows = {k.key: k for k in card.kpis}
        t.show([(k.key, self.cells(t, k)) for k in card.kpis], has_more=False)
        sparks = self.query_one("#scorecard-sparks", VerticalScroll)
        sparks.remove_children()
        sparks.mount_all(self.spark_rows(card))
        weeks = f"{card.periods[0]} to {card.periods[-1]}" if card.periods else "no week yet"
        stepped = len({i.period for i in card.interventions})
        self.note(
            f"{len(card.kpis)} KPI(s) · {weeks} · interventions in {stepped} week(s) · "
            "r record a value"
            if card.kpis
            else "The engagement's playbook declares no KPIs (scorecard:)."
        )

    @staticmethod
    def spark_rows(card: Scorecard) -> list[Any]:
        rows: list[Any] = []
        for kpi in card.kpis:
            rows.append(Static(Text(f"{kpi.title} ({kpi.key})"), classes="spark-title"))
            for party in scorecard.PARTIES:
                values = getattr(kpi, party)
                data = [v for v in values if v is not None]
                rows.append(
                    Horizontal(
                        Static(
                            Text(f"  {party}: {_num(_last(values))}{kpi.unit}"),
                            classes="spark-label",
                        ),
                        Sparkline(data, id=f"spark-{kpi.key}-{party}"),
                        Static(Text(f"target {_target(kpi)}"), classes="spark-target"),
                        classes="spark-row",
                    )
                )
        return rows

    @staticmethod
    def cells(t: PagedTable, k: KPISeries) -> list[Any]:
        met = sum(k.provider_met)
        shown = len([v for v in k.provider if v is not None])
        state = t.styled(
            f"{met} of {shown} week(s)", "green" if shown and met == shown else "amber"
        )
        return [
            k.key,
            k.title,
            _target(k),
            _num(_last(k.incumbent)),
            _num(_last(k.provider)),
            state,
        ]

    def action_record_score(self) -> None:
        from transition.tui.forms.scorecard import score_form

        row = self.current()
        kpis = [(k.title, k.key) for k in self.rows.values()]
        if not kpis:
            self.notify("the engagement's playbook declares no KPIs", severity="warning")
            return
        form = score_form(self.backend, self.slug, kpis, row.key if row else None)
        self.open_form(form, lambda r: f"{r.kpi} {r.party} {r.period}: {r.value:g}")
