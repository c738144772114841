"""Time ``runbook update --all`` in one process: an improved template merged into 1,000
runbooks that people have filled in.

Seeds a fresh database with one engagement, ``--count`` systems and a dozen people, a user
template (v1) and one runbook per system generated from it; then fills every file in by
hand (two sections written, a line added) and, in every tenth, also rewords the line the
new version rewords (a conflict). The template then gets a v2 (a new section, a reworded
step), and the benchmark times, in-process through the service as the command calls it:

- ``dry run``: ``runbook_update.update(every=True, dry_run=True)``, one read transaction;
- ``update``: the same for real in one transaction (three-way merges, files written
  atomically, rows and audit events, handover reconcile);
- ``again``: the same once more, now that every runbook follows v2 (nothing to merge).

Usage: ``python bench/runbook_update.py [--count 1000] [--db URL] [--dir DIR]`` (default:
a SQLite file in a temporary folder under the current one, removed afterwards). Prints
wall-clock seconds, the process's user and system CPU seconds, per-runbook milliseconds
and SQL statements, then the outcomes.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path

from runbooks_generate import timed

from transition import db
from transition.playbooks import resolve_playbook
from transition.services import engagements, people, runbook_update, runbooks, systems
from transition.services.common import get_engagement

NAME = "bench-failover"
V1 = """---
title: Failover
version: 1
variables:
  site:
    required: true
---
# {{ system.name }} failover to {{ site }}

Tier {{ system.tier }} system of {{ engagement.name }}.

## Before you start
[[FILL: what to check before failing over]]

## Steps
1. Announce on the bridge.
2. Freeze changes.
3. [[FILL: the switch itself]]
4. Check the monitoring.

## Rollback
[[FILL: how to go back]]

## Contacts
| Name | Side | Role |
|------|------|------|
{% for p in escalation %}| {{ p.name }} | {{ p.side }} | {{ p.role }} |
{% endfor %}
Owner: {{ incumbent_owner.name }}
"""
V2 = (
    V1.replace("version: 1", "version: 2")
    .replace("1. Announce on the bridge.", "1. Announce on the bridge and in the ticket.")
    .replace("## Contacts", "## Afterwards\n[[FILL: the review after a failover]]\n\n## Contacts")
)


def fill_in(path: Path, conflict: bool) -> None:
    text = path.read_text(encoding="utf-8")
    text = text.replace("[[FILL: what to check before failing over]]", "Replication lag < 5 s.")
    text = text.replace("[[FILL: how to go back]]", "Run the same steps towards the old site.")
    if conflict:
        text = text.replace("1. Announce on the bridge.", "1. Announce in #ops.")
    path.write_text(text + "\nReviewed with the service owner.\n", encoding="utf-8")


def run(folder: Path, count: int, url: str | None) -> dict[str, float]:
    engine = db.get_engine(url or f"sqlite:///{folder / 'bench.db'}")
    db.migrate(engine)
    tpl, out = folder / "templates", folder / "out"
    tpl.mkdir()
    (tpl / f"{NAME}.md.j2").write_text(V1, encoding="utf-8")
    playbook, raw, _ = resolve_playbook("managed-service-onboarding")
    with db.session_scope(engine, actor="bench") as session:
        eng = engagements.create(
            session,
            name=f"Bench {folder.name}",
            playbook=playbook,
            raw=raw,
            client="Acme",
            incumbent="OldCo",
            provider="NewCo",
        )
        for i, side in enumerate(["incumbent", "provider", "client"] * 4):
            people.add(
                session,
                eng,
                f"Person {i:02d}",
                side=side,
                role="service owner" if i < 3 else "engineer",
                email=f"p{i}@example.com",
            )
        for i in range(count):
            systems.add(session, eng, f"System {i:04d}", tier=1 + i % 3)
            runbooks.generate(
                session,
                eng,
                system=f"System {i:04d}",
                template=NAME,
                out_dir=out,
                sets={"site": "Frankfurt"},
                template_dirs=[tpl],
            )
        slug = eng.slug
    for i, path in enumerate(sorted(out.rglob(f"{NAME}.md"))):
        fill_in(path, conflict=i % 10 == 0)
    (tpl / f"{NAME}.md.j2").write_text(V2, encoding="utf-8")

    results: dict[str, object] = {}

    def update(label: str, *, dry_run: bool) -> None:
        with db.session_scope(engine, actor="bench", write=not dry_run) as session:
            done = runbook_update.update(
                session,
                get_engagement(session, slug),
                every=True,
                dry_run=dry_run,
                template_dirs=[tpl],
            )
        results[label] = Counter(r.outcome for r in done.runbooks)

    timings = {
        label: timed(engine, label, count, partial(update, label, dry_run=label == "dry run"))
        for label in ("dry run", "update", "again")
    }
    for label, outcomes in results.items():
        print(f"{label}: {dict(sorted(outcomes.items()))}")
    if results["dry run"] != results["update"]:
        raise SystemExit("the dry run and the update disagree")
    expected = {"conflicts": -(-count // 10), "merged": count - -(-count // 10)}
    if dict(results["update"]) != expected:
        raise SystemExit(f"expected {expected}, got {dict(results['update'])}")
    print(f"database: {db.describe(engine)}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    parser.add_argument("--dir", type=Path, default=Path.cwd(), help="where the files go")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix=".transition-bench-", dir=args.dir))
    try:
        run(folder, args.count, args.db)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
