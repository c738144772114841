"""SQLModel tables. Tables only: the rules live in ``transition.services``.

One module per area; every table is importable from ``transition.models``.
"""

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
from transition.models.evidence import *  # noqa: F401,F403
from transition.models.exit import *  # noqa: F401,F403
from transition.models.golive import *  # noqa: F401,F403
from transition.models.meetings import *  # noqa: F401,F403
from transition.models.raid import *  # noqa: F401,F403
from transition.models.readiness import *  # noqa: F401,F403
from transition.models.scorecard import *  # noqa: F401,F403
