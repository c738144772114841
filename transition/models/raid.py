"""The RAID log and the system dependency map (0010)."""

from __future__ import annotations

__all__: list[str] = []
