"""What an export file must hold beyond its row models: rows that agree with each other
(ids, references, unique keys, KT sign-off, derived handover items, task dependencies),
values held to the commands' rules (slugs, embedded JSON, credentials), and the state the
file's own audit log replays to. Each problem names its place in the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from transition.errors import ValidationFailed
from transition.services import audit
from transition.services.transfer_rows import FREE_TEXT
from transition.services.transfer_tables import REFERENCES, SECTIONS, SOURCE_SECTION
from transition.services.views.transfer import Bundle

#: Problems listed at most; the rest are counted.
SHOWN = 20


def check_bundles(path: Path, bundles: list[Bundle]) -> None:
    """Refuse (``ValidationFailed``) bundles whose rows disagree with each other, break a
    command's rule or are not the state their audit log replays to."""
    _check_references(path, bundles)
    _check_values(path, bundles)
    _check_log(path, bundles)


def schema_problems(path: Path, exc: ValidationError) -> ValidationFailed:
    """The row models' complaints about ``path``, each with its location in the file."""
    errors = [f"{path}: {_location(err['loc'])}: {_message(err)}" for err in exc.errors()[:SHOWN]]
    more = exc.error_count() - len(errors)
    if more > 0:
        errors.append(f"{path}: … and {more} more problem(s)")
    return ValidationFailed(errors)


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, str) and part.startswith(("literal[", "function-after[")):
            continue  # pydantic's name for the check, not a place in the file
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def _message(err: dict[str, Any]) -> str:
    message = str(err["msg"]).removeprefix("Value error, ")
    if err.get("type") in ("literal_error",) and "input" in err:
        return f"invalid value {err['input']!r}: {message}"
    return message


def _check_log(path: Path, bundles: list[Bundle]) -> None:
    """The rows must be the state the file's own audit log replays to."""
    problems: list[str] = []
    for n, bundle in enumerate(bundles):
        for problem in audit.replay_problems(bundle, bundle["audit_events"]):
            problems.append(f"{path}: engagements[{n}]: does not match its audit log: {problem}")
    _raise(path, problems)


def _raise(path: Path, problems: list[str]) -> None:
    if problems:
        more = len(problems) - SHOWN
        raise ValidationFailed(
            problems[:SHOWN] + ([f"{path}: … and {more} more problem(s)"] if more > 0 else [])
        )


def _check_references(path: Path, bundles: list[Bundle]) -> None:
    problems: list[str] = []
    seen: dict[str, set[int]] = {name: set() for name in SECTIONS}
    seen["engagement"] = set()
    slugs: set[str] = set()
    for n, bundle in enumerate(bundles):
        where = f"engagements[{n}]"
        eng = bundle["engagement"]
        if eng["slug"] in slugs:
            problems.append(f"{path}: {where}: engagement {eng['slug']!r} appears twice")
        slugs.add(eng["slug"])
        if eng["id"] in seen["engagement"]:
            problems.append(f"{path}: {where}.engagement.id: duplicate id {eng['id']}")
        seen["engagement"].add(eng["id"])
        local: dict[str, set[int]] = {}
        for name in SECTIONS:
            local[name] = set()
            for i, row in enumerate(bundle[name]):
                if "engagement_id" in row and row["engagement_id"] != eng["id"]:
                    problems.append(
                        f"{path}: {where}.{name}[{i}].engagement_id: {row['engagement_id']} "
                        f"is not this engagement ({eng['id']})"
                    )
                if "id" in row and row["id"] is not None:
                    if row["id"] in seen[name]:
                        problems.append(f"{path}: {where}.{name}[{i}].id: duplicate id {row['id']}")
                    seen[name].add(row["id"])
                    local[name].add(row["id"])
        for name, refs in REFERENCES.items():
            for i, row in enumerate(bundle[name]):
                for column, target in refs.items():
                    value = row.get(column)
                    if value is not None and value not in local[target]:
                        problems.append(
                            f"{path}: {where}.{name}[{i}].{column}: {value} is not in {target}"
                        )
    _raise(path, problems)


def _check_values(path: Path, bundles: list[Bundle]) -> None:
    """Names, slugs, versions, embedded JSON, credentials, unique keys, KT sign-off,
    derived items and task dependencies are held to the same rules as the commands."""
    from transition.guard import looks_like_secret
    from transition.playbooks import Criterion, from_json
    from transition.text import slug_matches

    problems: list[str] = []
    for n, bundle in enumerate(bundles):
        where = f"{path}: engagements[{n}]"
        named = [("engagement", [bundle["engagement"]]), ("people", bundle["people"])]
        named.append(("systems", bundle["systems"]))
        for section, rows in named:
            slugs: set[str] = set()
            for i, row in enumerate(rows):
                at = f"{where}.{section}" + ("" if section == "engagement" else f"[{i}]")
                slug = row.get("slug")
                if slug is not None and not slug_matches(str(row.get("name", "")), str(slug)):
                    problems.append(f"{at}.slug: {slug!r} is not the slug of its name")
                if slug in slugs:
                    problems.append(f"{at}.slug: {slug!r} appears twice")
                slugs.add(slug)
        for section in SECTIONS:
            for i, row in enumerate(bundle[section]):
                at = f"{where}.{section}[{i}]"
                for column in FREE_TEXT.get(section, ()):
                    kind = looks_like_secret(str(row.get(column) or ""))
                    if kind:
                        problems.append(
                            f"{at}.{column}: looks like it contains {kind}; "
                            "transition never stores credentials"
                        )
        for section, column in (("phases", "key"), ("tasks", "key"), ("handover_items", "key")):
            keys: set[str] = set()
            for i, row in enumerate(bundle[section]):
                if row[column] in keys:
                    problems.append(f"{where}.{section}[{i}].{column}: {row[column]!r} twice")
                keys.add(row[column])
        eng = bundle["engagement"]
        try:
            from_json(eng["playbook_json"])
        except (ValueError, TypeError):
            problems.append(f"{where}.engagement.playbook_json: not a valid stored playbook")
        if eng.get("handover_json") is not None:
            from transition.handover_checklists import Checklist

            try:
                Checklist.model_validate_json(eng["handover_json"])
            except (ValueError, TypeError):
                problems.append(
                    f"{where}.engagement.handover_json: not a valid stored exit checklist"
                )
        for i, phase in enumerate(bundle["phases"]):
            try:
                gate = json.loads(phase["gate_json"])
                if not isinstance(gate, list):
                    raise ValueError
                for item in gate:
                    Criterion.model_validate(item)
            except (ValueError, TypeError):
                problems.append(f"{where}.phases[{i}].gate_json: not a valid list of criteria")
        from transition.services.access import role_key

        for i, row in enumerate(bundle["access_grants"]):
            if "role_key" in row and row["role_key"] != role_key(str(row.get("role", ""))):
                problems.append(
                    f"{where}.access_grants[{i}].role_key: {row['role_key']!r} is not the "
                    "folded form of its role"
                )
        roles: dict[tuple[int, int], str] = {}
        for row in bundle["kt_participants"]:
            roles[(row["session_id"], row["person_id"])] = row["role"]
        presented = {sid for (sid, _), role in roles.items() if role == "presenter"}
        for i, row in enumerate(bundle["kt_sessions"]):
            if row["id"] not in presented:
                problems.append(f"{where}.kt_sessions[{i}]: has no presenter")
            signer = row["signed_off_by_id"]
            if signer is not None and roles.get((row["id"], signer)) != "attendee":
                problems.append(
                    f"{where}.kt_sessions[{i}].signed_off_by_id: only an attendee signs off "
                    "a session (not its presenter, not someone absent)"
                )
        sources: set[tuple[str, int]] = set()
        known = {name: {r["id"] for r in bundle[name]} for name in set(SOURCE_SECTION.values())}
        for i, row in enumerate(bundle["handover_items"]):
            section = SOURCE_SECTION.get(row.get("source_kind"))
            if not section:
                continue
            if row.get("source_id") not in known[section]:
                problems.append(
                    f"{where}.handover_items[{i}].source_id: {row.get('source_id')} "
                    f"is not in {section}"
                )
            if (row["source_kind"], row["source_id"]) in sources:
                problems.append(f"{where}.handover_items[{i}]: a second item for the same source")
            sources.add((row["source_kind"], row["source_id"]))
        problems += _ownership_problems(where, bundle)
        deps: dict[Any, list[Any]] = {}
        for row in bundle["task_dependencies"]:
            deps.setdefault(row["task_id"], []).append(row["depends_on_id"])
        if _has_cycle(deps):
            problems.append(f"{where}.task_dependencies: dependency cycle")
    _raise(path, problems)


def _ownership_problems(where: str, bundle: Bundle) -> list[str]:
    """A system's people once per role, its topics once per folded title (the key), and
    a KT session covering only topics of its own system."""
    from transition.text import slugify

    problems: list[str] = []
    held: set[tuple[Any, Any, Any]] = set()
    for i, row in enumerate(bundle["system_people"]):
        key = (row["system_id"], row["person_id"], row["role"])
        if key in held:
            problems.append(f"{where}.system_people[{i}]: the same person and role twice")
        held.add(key)
    topic_system: dict[Any, Any] = {}
    keys: set[tuple[Any, Any]] = set()
    for i, row in enumerate(bundle["system_topics"]):
        topic_system[row["id"]] = row["system_id"]
        if row["key"] != slugify(str(row["title"])):
            problems.append(f"{where}.system_topics[{i}].key: not the folded form of its title")
        if (row["system_id"], row["key"]) in keys:
            problems.append(f"{where}.system_topics[{i}].key: {row['key']!r} twice")
        keys.add((row["system_id"], row["key"]))
    session_system = {row["id"]: row["system_id"] for row in bundle["kt_sessions"]}
    covered: set[tuple[Any, Any]] = set()
    for i, row in enumerate(bundle["kt_topics"]):
        if (row["session_id"], row["topic_id"]) in covered:
            problems.append(f"{where}.kt_topics[{i}]: the same session and topic twice")
        covered.add((row["session_id"], row["topic_id"]))
        if topic_system.get(row["topic_id"]) != session_system.get(row["session_id"]):
            problems.append(f"{where}.kt_topics[{i}]: the topic is not one of the session's system")
    return problems


def _has_cycle(deps: dict[Any, list[Any]]) -> bool:
    """Iterative depth-first search for a cycle in task → depends-on edges."""
    state: dict[Any, int] = {}
    for root in deps:
        if state.get(root):
            continue
        stack = [(root, iter(deps.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(deps.get(child, ()))))
    return False
