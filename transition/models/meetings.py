"""Governance cadence: meetings materialised from the playbook's cadence (0009)."""

from __future__ import annotations

__all__: list[str] = []
