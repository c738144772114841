"""Take a runbook along its lifecycle the way a team does: fill its placeholders in (for
*reviewed*), record a passing exercise (for *validated*), sign its acceptance."""

from __future__ import annotations

import re
from pathlib import Path

from transition.dates import today

STATUSES = ("drafted", "reviewed", "validated", "accepted")
_FILL = re.compile(r"\[\[FILL:[^\]]*\]\]")


def fill(path: str | Path, text: str = "Written by the team.") -> None:
    """Replace every ``[[FILL: …]]`` placeholder in the file, as its author would."""
    file = Path(path)
    file.write_text(_FILL.sub(text, file.read_text(encoding="utf-8")), encoding="utf-8")


def advance(cli, eng: str, rid: int | str, to: str, *, by: str, on: str | None = None) -> None:
    """Move runbook ``rid`` of ``eng`` step by step to ``to``: filling it, exercising it
    (``by`` on ``on``, default today) and signed ``by`` (a provider person)."""
    rows = cli("runbook", "list", eng, "--json").json()
    row = next(r for r in rows if str(r["id"]) == str(rid))
    for step in STATUSES[STATUSES.index(row["status"]) + 1 : STATUSES.index(to) + 1]:
        extra: tuple[str, ...] = ()
        if step == "reviewed":
            fill(row["path"])
        elif step == "validated":
            day = on or today().isoformat()
            done = cli(
                "runbook", "exercise", eng, str(rid), "--on", day, "--by", by, "--outcome", "pass"
            )
            assert done.exit_code == 0, done.stderr
        elif step == "accepted":
            extra = ("--by", by)
        moved = cli("runbook", "status", eng, str(rid), step, *extra)
        assert moved.exit_code == 0, moved.stderr
