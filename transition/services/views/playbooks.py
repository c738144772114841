"""Read models of playbook versions: what changed between two, which engagements follow an
older one, and what an upgrade does to an engagement."""

from __future__ import annotations

from transition.services.views.base import View


class PlaybookDiffLine(View):
    """One structural difference between two versions of a playbook.

    ``what``: phase | task | gate | duration | runbooks | kpi | meeting | handover; ``change``: added |
    removed | renamed | changed; ``field`` names the task's field that changed."""

    what: str
    key: str
    change: str
    field: str | None = None
    before: str | None = None
    after: str | None = None


class OutdatedEngagement(View):
    """``engagement outdated``: an engagement whose playbook has a newer version."""

    engagement: str
    playbook: str
    version: int
    latest_version: int
    latest_path: str
    changes: list[PlaybookDiffLine]
    #: Why the newer file cannot be applied (empty when it is valid): its changes are then
    #: unknown, and ``engagement upgrade`` would refuse it with these errors.
    errors: list[str] = []


class UpgradeStep(View):
    """One thing an upgrade did (or leaves to decide), on a phase, task, gate or the
    engagement. ``action``: add | update | rename | retire | replan | keep | conflict."""

    what: str
    key: str
    action: str
    field: str | None = None
    before: str | None = None
    after: str | None = None
    note: str = ""


class UpgradeView(View):
    """``engagement upgrade``: what changed (``applied``), what was kept because both
    sides changed it (``conflicts``: the engagement's value stays) and what someone must
    decide (``to_decide``: tasks added to phases already left, tasks removed from the
    playbook but started or changed here, gates of passed phases)."""

    engagement: str
    playbook: str
    from_version: int
    to_version: int
    dry_run: bool
    applied: list[UpgradeStep]
    conflicts: list[UpgradeStep]
    to_decide: list[UpgradeStep]
    events: int
