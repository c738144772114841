"""Command palette: jump to any engagement, system, person or runbook, or run any command
that applies on the current screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from transition.tui.screens.base import error_text

EMPTY: dict[str, list[dict[str, Any]]] = {
    "engagements": [],
    "systems": [],
    "people": [],
    "runbooks": [],
}


def highlight(matcher: Matcher, text: str) -> Content:
    """``text`` as literal content with the letters that match the query marked (Textual's
    ``Matcher.highlight`` reads the text as markup)."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class JumpProvider(Provider):
    """Everything the palette can jump to, read once per opening in a thread.

    The read starts when the palette opens and every search waits for it. It is not tied
    to the search that happens to be running: typing cancels that search, and a read
    cancelled with it would leave the rest of the opening without a single jump."""

    async def startup(self) -> None:
        backend = self.app.backend  # type: ignore[attr-defined]
        self._index = asyncio.ensure_future(asyncio.to_thread(backend.palette_index))

    async def index(self) -> dict[str, list[dict[str, Any]]]:
        try:
            return await asyncio.shield(self._index)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the palette still offers commands without the database
            if not getattr(self, "_told", False):
                self._told = True
                self.app.notify(error_text(exc), severity="error", timeout=8, markup=False)
            return EMPTY

    async def entries(self) -> list[tuple[str, str, Any]]:
        index = await self.index()
        open_ = self.app.open_engagement  # type: ignore[attr-defined]
        out: list[tuple[str, str, Any]] = []
        for e in index["engagements"]:
            out.append(
                (f"Engagement {e['name']}", "open the engagement", partial(open_, e["slug"]))
            )
        for s in index["systems"]:
            out.append(
                (
                    f"System {s['name']} · {s['engagement']}",
                    "coverage: runbooks, access, KT",
                    partial(open_, s["engagement"], "systems"),
                )
            )
        for p in index["people"]:
            out.append(
                (
                    f"Person {p['name']} ({p['side']}) · {p['engagement']}",
                    "their access grants",
                    partial(open_, p["engagement"], "access"),
                )
            )
        for r in index["runbooks"]:
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
        for name, help_text, callback in self.commands() + (await self.entries())[:20]:
            yield DiscoveryHit(Content(name), callback, text=name, help=literal(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands() + await self.entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score, highlight(matcher, name), callback, text=name, help=literal(help_text)
                )


def literal(text: str) -> Any:
    """Help text as literal content (the palette reads a string as markup)."""
    return Content(text)
