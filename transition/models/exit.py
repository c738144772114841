"""Exit: checklist items due relative to the notice and exit dates (0011)."""

__all__: list[str] = []
