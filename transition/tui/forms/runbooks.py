"""Form to generate a runbook skeleton."""

from __future__ import annotations

from typing import Any

from transition.services import runbook_update, runbooks
from transition.services.views.runbooks import RunbookGenerated, RunbookUpdates
from transition.tui.forms.base import Field, FormScreen, choices


def runbook_form(backend: Any, slug: str, systems: list, templates: list[str]) -> FormScreen:
    """``templates``: the names to offer (read off the UI thread: ``list_templates``).
    The service names the field a refusal is about (system, template, out_dir)."""

    def generate(values: dict[str, Any], *, dry_run: bool) -> RunbookGenerated:
        unit = backend.read if dry_run else backend.write
        return unit(
            runbooks.generate,
            slug,
            system=values["system"],
            template=values["template"],
            out_dir=values.get("out_dir"),
            dry_run=dry_run,
        )

    def preview(values: dict[str, Any]) -> str:
        result = generate(values, dry_run=True)
        return f"would write {result.path}\n" + "─" * 40 + "\n" + (result.text or "")

    def submit(values: dict[str, Any]) -> str:
        return generate(values, dry_run=False).path

    return FormScreen(
        "Generate a runbook",
        [
            Field("system", "System", "select", systems, required=True),
            Field("template", "Template", "select", choices(templates), required=True),
            Field("out_dir", "Folder", placeholder=f"default: {runbooks.DEFAULT_OUT}"),
        ],
        submit,
        preview=preview,
        intro="ctrl+s shows the skeleton first; ctrl+s again writes it.",
        form_id="runbook",
    )


def update_form(backend: Any, slug: str, runbook_id: int, label: str) -> FormScreen:
    """Merge the improved template into one runbook: the first ctrl+s shows what the
    update does (the service's dry run), the second does exactly that."""

    def run(values: dict[str, Any], *, dry_run: bool) -> RunbookUpdates:
        unit = backend.read if dry_run else backend.write
        folder = values.get("template_dirs")
        answer = values.get("sets")
        return unit(
            runbook_update.update,
            slug,
            [runbook_id],
            sets=[answer] if answer else (),
            dry_run=dry_run,
            template_dirs=[folder] if folder else (),
        )

    def preview(values: dict[str, Any]) -> str:
        result = run(values, dry_run=True)
        lines = [runbook_update.describe(r) for r in result.runbooks]
        return "would do:\n" + "\n".join(lines)

    def submit(values: dict[str, Any]) -> str:
        result = run(values, dry_run=False)
        return "; ".join(runbook_update.describe(r) for r in result.runbooks)

    return FormScreen(
        f"Update runbook {label}",
        [
            Field(
                "template_dirs",
                "Templates folder",
                placeholder="default: TRANSITION_TEMPLATES, then the shipped ones",
            ),
            Field("sets", "Answer", placeholder="NAME=VALUE to add or change (optional)"),
        ],
        submit,
        preview=preview,
        intro="ctrl+s shows what the update does first; ctrl+s again does it.",
        form_id="runbook-update",
    )
