"""Form to upgrade the exit checklist: a preview of the three-way merge, then the write."""

from __future__ import annotations

from typing import Any

from transition.services import handover_upgrade
from transition.services.views.handover import ChecklistUpgrade
from transition.tui.forms.base import Field, FormScreen


def upgrade_form(backend: Any, slug: str) -> FormScreen:
    """The service names the field a refusal is about (``to``: another checklist, an
    older version, a file with errors)."""

    def run(values: dict[str, Any], *, dry_run: bool) -> ChecklistUpgrade:
        unit = backend.read if dry_run else backend.write
        return unit(handover_upgrade.upgrade, slug, to=values.get("to") or None, dry_run=dry_run)

    def preview(values: dict[str, Any]) -> str:
        result = run(values, dry_run=True)
        was = f"v{result.from_version}" if result.from_version else "unrecorded version"
        lines = [f"{result.checklist}: {was} -> v{result.to_version}"]
        if not result.recorded:
            lines.append("no record of the checklist as applied: the items stand in for it")
        lines += handover_upgrade.describe(result)
        lines.append(handover_upgrade.summary(result))
        return "\n".join(lines)

    def submit(values: dict[str, Any]) -> ChecklistUpgrade:
        return run(values, dry_run=False)

    return FormScreen(
        "Upgrade the exit checklist",
        [
            Field(
                "to",
                "Checklist",
                placeholder="name or file; default: the newest of the one it follows",
            )
        ],
        submit,
        preview=preview,
        intro="ctrl+s shows what would change; ctrl+s again applies it.",
        form_id="handover-upgrade",
    )
