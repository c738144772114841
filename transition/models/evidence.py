"""Runbook evidence: exercises of a runbook, its owner and review dates (0006)."""

from __future__ import annotations

__all__: list[str] = []
