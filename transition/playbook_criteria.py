"""Gate criteria as a playbook writes them: a name, or a one-key mapping with options."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_serializer

SLUG = r"^[a-z0-9][a-z0-9-]*$"
KT_KINDS = ("walkthrough", "shadow", "reverse-shadow", "qa")
CRITERIA = (
    "tasks_done",
    "systems_registered",
    "kt_coverage",
    "runbooks_accepted",
    "access_provisioned",
    "release_ready",
    "scorecard",
    "interventions",
    "exercises",
    "go_decision",
    "no_high_risks",
)
#: Criteria with one whole-number option, its name and (lowest value, default).
NUMBER_OPTIONS = {
    "scorecard": ("periods", 1, 2),
    "interventions": ("max", 0, 0),
    "no_high_risks": ("min_score", 1, 15),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    """One gate criterion. ``kinds``/``max_tier`` apply to ``kt_coverage``;
    ``max_tier`` also narrows ``runbooks_accepted``; ``keys`` are the scenarios of
    ``exercises``; ``number`` is the one option of a criterion in ``NUMBER_OPTIONS``
    (``scorecard: {periods: 2}``, ``interventions: {max: 0}``,
    ``no_high_risks: {min_score: 15}``)."""

    name: str
    kinds: tuple[str, ...] = ()
    max_tier: int | None = None
    keys: tuple[str, ...] = ()
    number: int | None = None

    @model_serializer(mode="wrap")
    def _stored(self, handler: Any) -> Any:
        # The options a criterion does not use stay out of the stored form, which keeps
        # the form of the first release's criteria (compared when a playbook is upgraded).
        data = handler(self)
        if isinstance(data, dict):
            if not self.keys:
                data.pop("keys", None)
            if self.number is None:
                data.pop("number", None)
        return data

    def label(self) -> str:
        extra = []
        if self.kinds:
            extra.append(", ".join(self.kinds))
        if self.keys:
            extra.append(", ".join(self.keys))
        if self.max_tier is not None:
            extra.append(f"tier ≤ {self.max_tier}")
        if self.name in NUMBER_OPTIONS:
            extra.append(f"{NUMBER_OPTIONS[self.name][0]} {self.option}")
        return f"{self.name} ({'; '.join(extra)})" if extra else self.name

    @property
    def option(self) -> int:
        """The whole-number option of a criterion in ``NUMBER_OPTIONS`` (or its default)."""
        return self.number if self.number is not None else NUMBER_OPTIONS[self.name][2]


def _number_option(name: str, options: Any) -> Criterion:
    """``scorecard`` | ``{scorecard: {periods: 3}}`` (and the same for the other criteria
    of ``NUMBER_OPTIONS``)."""
    key, lowest, _default = NUMBER_OPTIONS[name]
    if options is None:
        return Criterion(name=name)
    if not isinstance(options, dict) or set(options) != {key}:
        raise ValueError(f"{name} takes one option, e.g. {{{name}: {{{key}: N}}}}")
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= 10_000:
        raise ValueError(f"{key} of {name} must be a whole number of at least {lowest}")
    return Criterion(name=name, number=value)


def _keys_option(name: str, options: Any) -> Criterion:
    """``{exercises: [vendor-security-incident, key-person-departure]}``."""
    if not isinstance(options, list) or not options:
        raise ValueError(
            f"{name} needs a list of keys, e.g. {{{name}: [vendor-security-incident]}}"
        )
    keys = tuple(str(k) for k in options)
    bad = [k for k in keys if not re.fullmatch(SLUG, k)]
    if bad:
        raise ValueError(f"{name} keys are slugs such as key-person-departure, not {bad[0]!r}")
    return Criterion(name=name, keys=keys)


def _criterion(value: Any) -> Criterion:
    """``tasks_done`` | ``{kt_coverage: [walkthrough]}`` | ``{kt_coverage: {kinds: […], max_tier: 1}}``."""
    if isinstance(value, Criterion):
        return value
    stored = {"name", "kinds", "max_tier", "keys", "number"}
    if isinstance(value, dict) and "name" in value and set(value) <= stored:
        return Criterion(**value)  # the stored (JSON) form
    if isinstance(value, str):
        name, options = value, None
    elif isinstance(value, dict) and len(value) == 1:
        name, options = next(iter(value.items()))
    else:
        raise ValueError(
            "a gate criterion is a name or a one-key mapping such as {kt_coverage: [walkthrough]}"
        )
    if name not in CRITERIA:
        raise ValueError(f"unknown gate criterion {name!r}; known: {', '.join(CRITERIA)}")
    if name in NUMBER_OPTIONS:
        return _number_option(name, options)
    if name == "exercises":
        return _keys_option(name, options)
    if name == "go_decision" and options is not None:
        raise ValueError("go_decision takes no options")
    kinds: tuple[str, ...] = ()
    max_tier = None
    if options is None:
        pass
    elif isinstance(options, list):
        kinds = tuple(str(k) for k in options)
    elif isinstance(options, dict):
        unknown = set(options) - {"kinds", "max_tier"}
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(map(repr, sorted(unknown)))} for {name}"
            )
        raw_kinds = options.get("kinds") or ()
        if not isinstance(raw_kinds, list | tuple):
            raise ValueError(f"kinds of {name} must be a list such as [walkthrough, shadow]")
        kinds = tuple(str(k) for k in raw_kinds)
        max_tier = options.get("max_tier")
        if max_tier is not None and (not isinstance(max_tier, int) or not 1 <= max_tier <= 3):
            raise ValueError("max_tier must be 1, 2 or 3")
    else:
        raise ValueError(f"options of {name} must be a list of kinds or a mapping")
    if name == "kt_coverage":
        if not kinds:
            raise ValueError(
                "kt_coverage needs the KT kinds it requires, e.g. [walkthrough, shadow]"
            )
        bad = [k for k in kinds if k not in KT_KINDS]
        if bad:
            raise ValueError(
                f"unknown KT kind(s) {', '.join(map(repr, bad))}; known: {', '.join(KT_KINDS)}"
            )
    elif kinds:
        raise ValueError(f"{name} takes no list of kinds")
    return Criterion(name=name, kinds=kinds, max_tier=max_tier)
