"""Typed read models: what the services return to the CLI, the TUI and the report.

Each view is built from selected columns (``model_validate`` of a row mapping) or from an
ORM row (``from_attributes``), never handed out as the live table row. ``--json`` prints
``model_dump(mode="json")``: the field names and their order are the keys scripts read
(pinned by tests/test_json_keys.py), so rename nothing here without a deprecation.
Timestamps dump as ``datetime.isoformat()`` (``+00:00``), as they always have.
"""

from transition.services.views.base import Timestamp, View
from transition.services.views.engagements import EngagementDetail, EngagementRow, PhaseRow
from transition.services.views.people import PersonView
from transition.services.views.phases import CriterionResult, GateStatus, KeyPersonRisk, PhaseStatus
from transition.services.views.systems import SystemView
from transition.services.views.tasks import TaskView

__all__ = [
    "Timestamp",
    "View",
    "PersonView",
    "TaskView",
    "SystemView",
    "CriterionResult",
    "PhaseStatus",
    "KeyPersonRisk",
    "GateStatus",
    "EngagementRow",
    "PhaseRow",
    "EngagementDetail",
]
