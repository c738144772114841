"""Exit: checklist items due relative to the notice and exit dates (0011)."""

from __future__ import annotations

__all__: list[str] = []
