"""Form to write the hand-back pack of the engagement to a folder or a ``.zip`` file."""

from __future__ import annotations

from typing import Any

from transition.services import pack
from transition.services.views.pack import PackWritten
from transition.tui.forms.base import Field, FormScreen


def pack_form(backend: Any, slug: str) -> FormScreen:
    """The service reads in one read-only unit of work and writes the files; a target
    it refuses (not empty, not a folder) is shown beside the field."""

    def submit(values: dict[str, Any]) -> PackWritten:
        force = values.get("force") == "yes"
        return backend.read(pack.write_pack, slug, values["target"], force=force)

    return FormScreen(
        "Write the hand-back pack",
        [
            Field(
                "target",
                "Folder or .zip",
                required=True,
                placeholder="e.g. exit-pack or exit-pack.zip (a new or empty folder)",
            ),
            Field(
                "force",
                "Replace an earlier pack",
                kind="select",
                options=[("no", "no"), ("yes", "yes")],
                value="no",
            ),
        ],
        submit,
        intro="Access ledger, runbooks, KT record, exit checklist, status report and the "
        "full export, with a manifest of SHA-256 hashes (files readable by you only).",
        form_id="handover-pack",
    )
