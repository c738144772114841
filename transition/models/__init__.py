"""SQLModel tables. Tables only: the rules live in ``transition.services``.

One module per area; every table is importable from ``transition.models``. The core
tables load with the package; the other areas (RAID, meetings, scorecard, go-live,
evidence, readiness) load when one of their tables is first named, so a command that
never touches them does not pay for building them. ``load_all()`` loads every area, for
what needs the whole schema (migrations, deleting an engagement).
"""

from importlib import import_module

from transition.models.core import (  # noqa: F401
    AccessGrant,
    AuditEvent,
    Engagement,
    HandoverItem,
    KTParticipant,
    KTSession,
    KTTopic,
    Person,
    Phase,
    RoleAssignment,
    Runbook,
    System,
    SystemPerson,
    SystemTopic,
    Table,
    Task,
    TaskDependency,
    TaskNote,
    Versioned,
)

#: The table of each area module, by name (a test checks it against the modules).
AREAS: dict[str, tuple[str, ...]] = {
    "evidence": ("RunbookExercise",),
    "golive": ("Exercise", "ExerciseFinding", "ExerciseParticipant", "GoLiveDecision"),
    "meetings": ("Meeting", "MeetingAction", "MeetingAttendee"),
    "raid": ("RaidItem", "RaidLink", "SystemDependency"),
    "readiness": ("ReadinessSnapshot",),
    "scorecard": ("Intervention", "ScoreEntry"),
}
_AREA_OF = {name: area for area, names in AREAS.items() for name in names}


def __getattr__(name: str):
    area = _AREA_OF.get(name)
    if area is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{area}"), name)
    globals()[name] = value
    return value


def load_all() -> None:
    """Load every table, so ``SQLModel.metadata`` holds the whole schema."""
    for area in AREAS:
        import_module(f"{__name__}.{area}")
