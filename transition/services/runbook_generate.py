"""``runbook generate --missing``: every runbook the playbook requires, all or nothing.

For every active system, the runbooks its tier requires (``runbooks`` plus
``tier_runbooks``) that are not recorded yet are generated as ``runbook new`` generates
one (``runbooks.generate``: the system's owners and escalation contacts from the database),
in one transaction. The files are written only after every row is recorded and flushed,
all at once (``runbook_files.write_many``: each to a temporary file, flushed to disk, then
renamed into place), so a refusal or a failure leaves no file and no row. A process killed
after the files are renamed and before the commit leaves files no runbook records; they
are the skeletons themselves, so running the command again takes them over (an edited one
is refused, never overwritten).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from transition import errors
from transition.errors import BadInput
from transition.models import Runbook, System
from transition.playbooks import from_json
from transition.services import runbook_files as files
from transition.services import runbooks
from transition.services.common import EngagementRef, engagement_of
from transition.services.runbook_templates import BUILTIN, parse_sets
from transition.services.views.runbooks import RunbookGenerated, RunbooksGenerated


def missing_runbooks(
    session: Session, engagement_id: int, playbook_json: str
) -> list[tuple[str, str]]:
    """``(system slug, template)`` of every required runbook not recorded yet, by tier,
    system and the playbook's order (two queries)."""
    playbook = from_json(playbook_json)
    have = set(
        session.execute(
            select(Runbook.system_id, Runbook.template).where(
                Runbook.engagement_id == engagement_id
            )
        ).all()
    )
    out = []
    for sid, slug, tier in session.execute(
        select(System.id, System.slug, System.tier)
        .where(System.engagement_id == engagement_id, System.removed_at.is_(None))
        .order_by(System.tier, System.slug)
    ):
        out.extend((slug, t) for t in playbook.required_runbooks(tier) if (sid, t) not in have)
    return out


def generate_missing(
    session: Session,
    engagement: EngagementRef,
    *,
    missing: bool = True,
    out_dir: Path | str | None = runbooks.DEFAULT_OUT,
    sets: Mapping[str, str] | Iterable[str] = (),
    dry_run: bool = False,
    template_dirs: Iterable[str | Path] = (),
) -> RunbooksGenerated:
    """Generate every missing required runbook (see the module). ``sets``: template
    variables, each given to the templates that read it (one no template reads is
    refused). ``dry_run`` lists what would be made and changes nothing."""
    from transition import templates

    if not missing:
        raise BadInput("say what to generate: --missing", field="missing")
    engagement = engagement_of(session, engagement)
    sets = dict(sets) if isinstance(sets, Mapping) else parse_sets(sets)
    clash = sorted(k for k in sets if k in BUILTIN)
    if clash:
        raise BadInput(
            f"--set {', '.join(clash)}: filled from the database, cannot be set by hand",
            field="sets",
        )
    todo = missing_runbooks(session, engagement.id, engagement.playbook_json)
    with errors.about("template_dirs"):
        dirs = templates.search_dirs(template_dirs)
    reads: dict[str, set[str]] = {}
    for name in dict.fromkeys(t for _, t in todo):
        with errors.about("template"):
            info = templates.get(name, dirs=dirs)
        reads[name] = set(info.variables) | templates.referenced_variables(info, dirs)
    unused = sorted(k for k in sets if not any(k in known for known in reads.values()))
    if unused and todo:
        raise BadInput(
            f"--set {', '.join(unused)}: no template of the runbooks to generate reads "
            f"{'this variable' if len(unused) == 1 else 'these variables'}",
            field="sets",
        )
    writes: list[tuple[Path, Path, str]] = []
    made: list[RunbookGenerated] = []
    for slug, name in todo:
        result = runbooks.generate(
            session,
            engagement,
            system=slug,
            template=name,
            out_dir=out_dir,
            sets={k: v for k, v in sets.items() if k in reads[name]},
            dry_run=dry_run,
            force=True,  # only a file no runbook records can be there: unedited, it is taken over
            template_dirs=template_dirs,
            defer=writes,
        )
        result.text = None
        made.append(result)
    if not dry_run:
        session.flush()  # every row first: a refusal there leaves no file written
        files.write_many(writes)
    return RunbooksGenerated(dry_run=dry_run, runbooks=made)
