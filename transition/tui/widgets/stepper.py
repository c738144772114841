"""The phase stepper: discovery → access setup → ramp-up → parallel run → cutover."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.reactive import reactive
from textual.widgets import Label

from transition.services.views.phases import PhaseStep

MARKS = {"done": "✓", "active": "▶", "pending": "·"}


class PhaseStepper(HorizontalGroup):
    """One step per phase; the state of each step is a CSS class (-done, -active, -pending)."""

    DEFAULT_CSS = """
    PhaseStepper {
        height: 1;
        width: 1fr;
        overflow: hidden hidden;
    }
    PhaseStepper > .step { padding: 0 1 0 0; }
    PhaseStepper > .arrow { color: $foreground-muted; padding: 0 1 0 0; }
    PhaseStepper > .-done { color: $success; }
    PhaseStepper > .-active { color: $accent; text-style: bold reverse; padding: 0 1; }
    PhaseStepper > .-pending { color: $foreground-muted; }
    PhaseStepper > .-overridden { text-style: italic; }
    PhaseStepper > .-late.-pending { color: $warning; }
    """

    #: The phases in order: read models, or mappings with ``key`` and ``status`` (and
    #: ``gate_decision``), as the dashboard builds them.
    phases: reactive[list[PhaseStep | Mapping[str, str]]] = reactive(list, recompose=True)

    def compose(self) -> ComposeResult:
        for i, phase in enumerate(self.phases):
            if i:
                yield Label("→", classes="arrow", markup=False)
            step = (
                phase
                if isinstance(phase, PhaseStep)
                else PhaseStep.model_validate(
                    {
                        "title": "",
                        "position": i,
                        "status": "pending",
                        "gate_decision": None,
                        **phase,
                    }
                )
            )
            classes = f"step -{step.status}"
            if step.gate_decision == "overridden":
                classes += " -overridden"
            mark = MARKS.get(step.status, "·")
            # How many days the phase ends after (or before) its baseline, when it does.
            slip = f" {step.slip_days:+d}d" if step.slip_days else ""
            if step.slip_days:
                classes += " -late" if step.slip_days > 0 else " -early"
            yield Label(f"{mark} {step.key}{slip}", classes=classes, markup=False)
