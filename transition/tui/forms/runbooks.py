"""Form to generate a runbook skeleton."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from transition.tui.forms.base import Field, FormScreen, choices


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
            Field("system", "System", "select", systems, required=True),
            Field(
                "template",
                "Template",
                "select",
                choices(templates),
                required=True,
            ),
            Field(
                "out_dir",
                "Folder",
                placeholder="default: runbooks/<engagement>",
            ),
        ],
        submit,
        preview=preview,
        intro="ctrl+s shows the skeleton first; ctrl+s again writes it.",
        form_id="runbook",
    )
