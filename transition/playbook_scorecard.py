"""The KPIs a playbook declares for the parallel run (``scorecard:``).

```yaml
scorecard:
  - {key: p1-resolution, title: "P1 resolved within 4h", unit: "%", target: 95,
     better: higher, period: week}
```

``target`` is met by a value at or above it (``better: higher``) or at or below it
(``better: lower``). Scores are kept per ISO week (``period: week``, the only period).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from transition.playbook_criteria import SLUG
from transition.yaml_text import Line


class KPISpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, Field(pattern=SLUG, max_length=100)]
    title: Annotated[str, Field(min_length=1, max_length=200), Line]
    unit: Annotated[str, Field(max_length=20), Line] = ""
    target: float
    better: Literal["higher", "lower"] = "higher"
    period: Literal["week"] = "week"

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("target must be a number")
        if not math.isfinite(value) or abs(value) > 1e12:
            raise ValueError("target must be a finite number")
        return value

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return value >= self.target if self.better == "higher" else value <= self.target


def check_scorecard(data: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Each KPI key once (reported at the repeated key's line)."""
    items = data.get("scorecard")
    if not isinstance(items, list):
        return []
    seen: set[str] = set()
    problems: list[tuple[tuple, str]] = []
    for i, item in enumerate(items):
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str):
            if key in seen:
                problems.append((("scorecard", i, "key"), f"duplicate KPI key {key!r}"))
            seen.add(key)
    return problems
