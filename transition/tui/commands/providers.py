"""Command palette: jump to any engagement, system, person or runbook, or run any command
that applies on the current screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class JumpProvider(Provider):
    """Everything the palette can jump to, read once per opening in a thread."""

    async def startup(self) -> None:
        backend = self.app.backend  # type: ignore[attr-defined]
        try:
            self.index = await asyncio.to_thread(backend.palette_index)
        except Exception:  # the palette still offers commands when the database is away
            self.index = {"engagements": [], "systems": [], "people": [], "runbooks": []}

    def entries(self) -> list[tuple[str, str, Any]]:
        open_ = self.app.open_engagement  # type: ignore[attr-defined]
        out: list[tuple[str, str, Any]] = []
        for e in self.index["engagements"]:
            out.append(
                (f"Engagement {e['name']}", "open the engagement", partial(open_, e["slug"]))
            )
        for s in self.index["systems"]:
            out.append(
                (
                    f"System {s['name']} · {s['engagement']}",
                    "coverage: runbooks, access, KT",
                    partial(open_, s["engagement"], "systems"),
                )
            )
        for p in self.index["people"]:
            out.append(
                (
                    f"Person {p['name']} ({p['side']}) · {p['engagement']}",
                    "their access grants",
                    partial(open_, p["engagement"], "access"),
                )
            )
        for r in self.index["runbooks"]:
            out.append(
                (
                    f"Runbook {r['name']} · {r['engagement']}",
                    f"{r.get('status', '')}",
                    partial(open_, r["engagement"], "runbooks"),
                )
            )
        return out

    def commands(self) -> list[tuple[str, str, Any]]:
        """The bindings active on the current screen (focused widget included)."""
        screen = self.screen
        out = []
        seen = set()
        for _key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            node = active.node
            out.append(
                (
                    f"{binding.description}",
                    binding.tooltip or f"key {self.app.get_key_display(binding)}",
                    partial(self.app.call_later, node.run_action, binding.action),
                )
            )
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands() + self.entries()[:20]:
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands() + self.entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
