"""The parallel-run scorecard: KPI scores per party and ISO week, interventions (0007)."""

from __future__ import annotations

__all__: list[str] = []
