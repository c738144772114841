"""Read models: runbooks, what generating one did, status changes, templates."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from transition.services.views.base import Timestamp, View


class RunbookView(View):
    """A runbook of a system in scope, with how much of it is filled in on disk."""

    id: int
    system: str
    system_slug: str
    tier: int
    template: str
    title: str
    status: str
    path: str
    placeholders_total: int
    #: ``[[FILL:`` markers left in the file; None when the file cannot be read.
    placeholders_left: int | None
    fill_ratio: float | None
    file_missing: bool
    #: Conflict regions an update left in the file (``<<<<<<<`` markers) not yet resolved.
    conflicts: int
    template_version: int | None
    created_at: Timestamp
    created_by: str
    version: int
    #: Evidence (``runbook_evidence``): the owner, the next review and whether it is past.
    owner: str | None = None
    review_due: date | None = None
    review_overdue: bool = False
    #: Who signed the acceptance (shown while the runbook is accepted).
    accepted_by: str | None = None
    #: Exercises recorded, passes among them, the last one and whether a pass fell in the
    #: parallel-run phase; ``warning`` says what the evidence lacks (None: nothing).
    exercises: int = 0
    passes: int = 0
    last_exercised_on: date | None = None
    last_outcome: str | None = None
    passed_in_parallel_run: bool = False
    warning: str | None = None


class RunbookExerciseView(View):
    """One exercise of a runbook (``in_parallel_run``: its day falls in the parallel-run
    phase; ``warning``: why a pass does not count as parallel-run evidence)."""

    id: int
    runbook_id: int
    system: str
    template: str
    exercised_on: date
    by: str
    outcome: str
    deviations: str | None
    in_parallel_run: bool
    warning: str | None


class RunbookDetails(View):
    """A runbook's owner and next review after ``runbook set`` (``changed``: the fields
    that changed)."""

    id: int
    owner: str | None
    review_due: date | None
    changed: list[str]
    version: int


class RunbooksGenerated(View):
    """What ``runbook generate --missing`` made (or, with ``dry_run``, would make)."""

    dry_run: bool
    runbooks: list[RunbookGenerated]


class RunbookGenerated(View):
    """What ``runbook new`` did (or, with ``dry_run``, would do). ``text`` (the skeleton,
    dry run only), ``unchanged`` (an accepted runbook whose file is already the skeleton)
    and ``kept`` (where the edited file was kept) are printed only when they apply."""

    id: int | None
    system: str
    system_slug: str
    template: str
    title: str
    path: str
    status: str
    placeholders: int
    dry_run: bool
    regenerated: bool
    text: str | None = None
    unchanged: bool | None = None
    kept: str | None = None
    #: ``--force`` on a runbook recorded with its skeleton: the template merged into it.
    update: RunbookUpdated | None = None

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for key in ("text", "unchanged", "kept", "update"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class RunbookStatusChange(View):
    """A runbook moved along its lifecycle (``changed`` False: it already was there)."""

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    id: int
    from_: str = Field(alias="from")
    to: str
    changed: bool
    forced: bool
    reason: str | None
    version: int
    #: Who signed an acceptance; what the evidence lacks (a pass outside the parallel run).
    signed_by: str | None = None
    warning: str | None = None


class TemplateVariable(View):
    required: bool
    description: str


class TemplateView(View):
    """A template one can generate runbooks from (``options``: what ``--set`` may fill)."""

    name: str
    title: str
    description: str
    source: str
    path: str
    variables: dict[str, TemplateVariable]
    #: The variables a user sets with ``--set`` (the rest come from the database).
    options: list[str] = Field(default=[], exclude=True)


class RunbookUpdated(View):
    """One runbook of ``runbook update``: what merging its improved template did (or, in a
    dry run, would do). ``outcome``: ``unchanged`` (the file stays as it is), ``merged``
    (a clean merge, ``added``/``removed`` lines), ``conflicts`` (written with markers,
    at ``conflict_lines`` of the file) or ``skipped`` (``reason`` says why)."""

    id: int
    system: str
    template: str
    path: str
    from_version: int | None
    to_version: int | None
    outcome: str
    added: int
    removed: int
    conflicts: int
    conflict_lines: list[int]
    status_before: str
    status: str
    reason: str | None


class RunbookUpdates(View):
    """What ``runbook update`` did (or, with ``dry_run``, would do), runbook by runbook."""

    dry_run: bool
    runbooks: list[RunbookUpdated]


RunbookGenerated.model_rebuild()
RunbooksGenerated.model_rebuild()
