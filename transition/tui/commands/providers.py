"""Command palette: jump to any engagement, system, person or runbook, or run any command
that applies on the current screen."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from transition.services import search
from transition.services.views.dashboard import PaletteEntry
from transition.tui.commands import registry
from transition.tui.screens.base import error_text

#: What each kind of entry says and which tab of its engagement it opens.
JUMPS = {
    "engagement": ("Engagement {name}", "open the engagement", "tasks"),
    "system": ("System {name} · {engagement}", "coverage: runbooks, access, KT", "systems"),
    "person": ("Person {name} ({detail}) · {engagement}", "their access grants", "access"),
    "runbook": ("Runbook {name} · {engagement}", "{detail}", "runbooks"),
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
        self._index = asyncio.ensure_future(asyncio.to_thread(backend.read, search.palette_index))

    async def index(self) -> list[PaletteEntry]:
        try:
            return await asyncio.shield(self._index)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the palette still offers commands without the database
            if not getattr(self, "_told", False):
                self._told = True
                self.app.notify(error_text(exc), severity="error", timeout=8, markup=False)
            return []

    async def entries(self) -> list[tuple[str, str, Any]]:
        open_ = self.app.open_engagement  # type: ignore[attr-defined]
        out: list[tuple[str, str, Any]] = []
        for entry in await self.index():
            name, help_text, tab = JUMPS[entry.kind]
            fields = entry.model_dump()
            out.append(
                (
                    name.format(**fields),
                    help_text.format(**fields),
                    partial(open_, entry.engagement, tab),
                )
            )
        return out

    def commands(self) -> list[tuple[str, str, Any]]:
        """The commands of the current screen and the focused tab, every one of them: also
        those whose key the tab uses for something else (the screen's ``U`` or ``X`` on
        the Runbooks tab), named without that key. Only the commands of the registry:
        Textual's own keys (cursor up, page left, focus next…) are not things to run from
        a palette."""
        screen = self.screen
        by_key = {(a.node, a.binding.action) for a in screen.active_bindings.values()}
        out = []
        seen = set()
        for node, bindings in screen._modal_binding_chain:
            for _key, binding in bindings:
                command = registry.by_id(binding.id)
                if command is None or not binding.description or binding.action in seen:
                    continue
                if self.app._check_action_state(binding.action, node) is False:
                    continue
                seen.add(binding.action)
                key = f"key {self.app.get_key_display(binding)}"
                if (node, binding.action) not in by_key:
                    key = "its key does something else here"
                out.append(
                    (
                        f"{tab_of(node)}{binding.description}",
                        binding.tooltip or (f"{command.help} · {key}" if command else key),
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


def tab_of(node: Any) -> str:
    """``Runbooks: `` for a command of a tab's list, so "Update" or "Add" says where it
    acts; nothing for the screen's and the app's commands."""
    from transition.tui.screens.engagement import TABS

    return next((f"{title}: " for _, title, pane in TABS if type(node) is pane), "")


def literal(text: str) -> Any:
    """Help text as literal content (the palette reads a string as markup)."""
    return Content(text)
