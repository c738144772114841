"""Playbooks written by the core tests: a small one with known dates and gates, and a
generated one with as many tasks as a test needs."""

from __future__ import annotations

from pathlib import Path

SMALL = """\
name: small
title: Small playbook
version: 3
phases:
  - key: discovery
    title: Discovery
    duration: 2w
    tasks:
      - key: kickoff
        title: Kick-off workshop
        owner: transition-manager
        due: +3d
      - key: inventory
        title: System inventory
        owner: incumbent-lead
        due: +1w
        depends_on: [kickoff]
      - key: risks
        title: Risk register
        due: 2w
    gate: [tasks_done, systems_registered]
  - key: ramp-up
    title: Ramp-up
    duration: 10d
    tasks:
      - key: shadowing
        title: Shadow the incumbent
        due: +2d
        depends_on: [inventory, risks]
    gate: [tasks_done]
  - key: cutover
    title: Cutover
    duration: 1w
    tasks:
      - key: go-no-go
        title: Go/no-go meeting
        depends_on: [shadowing]
    gate: [tasks_done]
"""


def write_small(folder: Path) -> Path:
    path = folder / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def many_tasks_yaml(tasks: int, phases: int = 5, name: str = "many") -> str:
    """A valid playbook with ``tasks`` tasks over ``phases`` phases; each task depends on
    the one before it in its phase."""
    per_phase = max(1, tasks // phases)
    lines = [f"name: {name}", "title: Generated playbook", "version: 1", "phases:"]
    made = 0
    for p in range(phases):
        lines += [f"  - key: phase-{p}", f"    title: Phase {p}", "    duration: 2w", "    tasks:"]
        count = per_phase if p < phases - 1 else tasks - made
        for t in range(count):
            lines += [
                f"      - key: t-{p}-{t}",
                f"        title: Task {t} of phase {p}",
                "        owner: transition-manager",
                f"        due: +{t % 14}d",
            ]
            if t:
                lines.append(f"        depends_on: [t-{p}-{t - 1}]")
        made += count
        lines.append("    gate: [tasks_done, systems_registered]")
    return "\n".join(lines) + "\n"


def write_many(folder: Path, tasks: int, name: str = "many") -> Path:
    path = folder / f"{name}-{tasks}.yaml"
    path.write_text(many_tasks_yaml(tasks, name=name), encoding="utf-8")
    return path
