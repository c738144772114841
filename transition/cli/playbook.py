"""``transition playbook list|show|validate``."""

from __future__ import annotations

from pathlib import Path

import typer

from transition.cli.options import AsJson
from transition.cli.output import emit_json, say, table
from transition.errors import ValidationFailed

app = typer.Typer(help="Shipped and user playbooks: list, show, validate.", no_args_is_help=True)


def _summary(pb, path: Path) -> dict:
    return {
        "name": pb.name,
        "title": pb.title,
        "version": pb.version,
        "phases": [p.key for p in pb.phases],
        "tasks": sum(len(p.tasks) for p in pb.phases),
        "handover": pb.handover,
        "path": str(path),
    }


@app.command("list")
def list_playbooks(as_json: AsJson = False) -> None:
    """Every playbook the tool can start an engagement from."""
    from transition.playbooks import load_playbook, playbook_files

    rows = []
    for name, path in playbook_files().items():
        try:
            rows.append(_summary(load_playbook(path), path))
        except ValidationFailed as exc:
            rows.append(
                {
                    "name": name,
                    "title": f"INVALID: {exc.message}",
                    "version": None,
                    "phases": [],
                    "tasks": 0,
                    "handover": None,
                    "path": str(path),
                }
            )
    if as_json:
        emit_json(rows)
        return
    table(
        rows,
        ["name", ("version", "v"), "tasks", "title"],
        empty="no playbooks found",
    )


@app.command("show")
def show(
    name: str = typer.Argument(..., metavar="NAME"),
    as_json: AsJson = False,
) -> None:
    """A playbook's phases, tasks and gates."""
    from transition.playbooks import resolve_playbook

    pb, raw, path = resolve_playbook(name)
    if as_json:
        data = pb.model_dump(mode="json")
        data["path"] = str(path)
        emit_json(data)
        return
    say(f"{pb.title} ({pb.name} v{pb.version})")
    if pb.description:
        say(pb.description.strip())
    if pb.handover:
        say(f"exit checklist: {pb.handover}")
    for phase in pb.phases:
        say("")
        say(f"{phase.key}: {phase.title} ({phase.duration})")
        for task in phase.tasks:
            deps = f"  after {', '.join(task.depends_on)}" if task.depends_on else ""
            say(f"  - {task.key} [{task.owner or '-'}, {task.due}] {task.title}{deps}")
        if phase.gate:
            say(f"  gate: {'; '.join(c.label() for c in phase.gate)}")


@app.command("validate")
def validate(paths: list[Path] = typer.Argument(..., metavar="PATH...")) -> None:
    """Check playbook files; exit 2 with file:line errors if any is invalid."""
    from transition.playbooks import load_playbook

    errors: list[str] = []
    for path in paths:
        try:
            pb = load_playbook(path)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        say(
            f"{path}: ok ({pb.name} v{pb.version}, {len(pb.phases)} phases, "
            f"{sum(len(p.tasks) for p in pb.phases)} tasks)"
        )
    if errors:
        raise ValidationFailed(errors)
