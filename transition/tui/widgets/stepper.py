"""The phase stepper: discovery → access setup → ramp-up → parallel run → cutover."""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from transition.services.views.phases import PhaseStep

MARKS = {"done": "✓", "active": "▶", "pending": "·"}


def _step(phase: PhaseStep | Mapping[str, str], position: int) -> PhaseStep:
    if isinstance(phase, PhaseStep):
        return phase
    fields = {"title": "", "position": position, "status": "pending", "gate_decision": None}
    return PhaseStep.model_validate({**fields, **phase})


def step_text(step: PhaseStep) -> str:
    """A step as shown: its mark, its key, and how many days it ends after (or before) its
    baseline, when it does."""
    slip = f" {step.slip_days:+d}d" if step.slip_days else ""
    return f"{MARKS.get(step.status, '·')} {step.key}{slip}"


class PhaseStepper(Widget):
    """One line, one step per phase, drawn as one piece of text: each step styled by its
    state (the ``stepper--done``, ``--active``, ``--pending`` component classes; a late
    pending step, an overridden gate); the active step is drawn reversed. A phase is not a widget of its own: a screen
    showing a dozen phases builds, styles and lays out one widget instead of two dozen."""

    COMPONENT_CLASSES = {
        "stepper--arrow",
        "stepper--done",
        "stepper--active",
        "stepper--pending",
        "stepper--late",
        "stepper--overridden",
    }

    DEFAULT_CSS = """
    PhaseStepper {
        height: 1;
        width: 1fr;
        overflow: hidden hidden;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    PhaseStepper > .stepper--arrow { color: $foreground-muted; }
    PhaseStepper > .stepper--done { color: $success; }
    PhaseStepper > .stepper--active { color: $accent; text-style: bold; }
    PhaseStepper > .stepper--pending { color: $foreground-muted; }
    PhaseStepper > .stepper--late { color: $warning; }
    PhaseStepper > .stepper--overridden { text-style: italic; }
    """

    #: The phases in order: read models, or mappings with ``key`` and ``status`` (and
    #: ``gate_decision``), as the dashboard builds them.
    phases: reactive[list[PhaseStep | Mapping[str, str]]] = reactive(list, layout=True)

    @property
    def steps(self) -> list[str]:
        """Each step's text, in order (what the line shows between its arrows)."""
        return [step_text(_step(phase, i)) for i, phase in enumerate(self.phases)]

    def render(self) -> Content:
        parts: list[str | tuple[str, object]] = []
        for i, phase in enumerate(self.phases):
            step = _step(phase, i)
            if i:
                parts.append(("→", self.get_visual_style("stepper--arrow", partial=True)))
                parts.append(" ")
            names = [f"stepper--{step.status}"] if step.status in MARKS else []
            if step.status == "pending" and step.slip_days and step.slip_days > 0:
                names.append("stepper--late")
            if step.gate_decision == "overridden":
                names.append("stepper--overridden")
            if step.status == "active":
                parts.append(" ")
            style = self.get_visual_style(*names, partial=True) if names else None
            if style is not None and step.status == "active":
                # Reversed: the step's colour behind it, the stepper's background as its text.
                style = Style(
                    foreground=self.background_colors[1],
                    background=style.foreground,
                    bold=style.bold,
                    italic=style.italic,
                )
            parts.append((step_text(step), style) if style is not None else step_text(step))
            parts.append(" ")
        return Content.assemble(*parts)  # type: ignore[arg-type]
