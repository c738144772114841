"""The footer: the bindings that apply where the focus is."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """Textual's footer, with each key's compactness settled before the key is mounted.

    The stock footer binds it to the footer's, which restyles every key twice each time
    the bindings change (on every focus change); here a key is styled once, when mounted.
    The keys are rebuilt only when the bindings shown change, not on every focus change.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None

    def _bindings_shown(self) -> tuple[Any, ...]:
        return (
            self.compact,
            self.show_command_palette,
            tuple(
                (binding.key, binding.action, binding.description, enabled, tooltip)
                for _, binding, enabled, tooltip in self.screen.active_bindings.values()
                if binding.show or binding.action == "command_palette"
            ),
        )

    async def recompose(self) -> None:
        # A recompose queued before the screen was closed finds the footer detached.
        if not self.is_attached:
            return
        shown = self._bindings_shown()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                bound = getattr(widget, "_reactive_connect", None) or {}
                # Keys bound to the footer take its compactness; the others (the command
                # palette key) keep a key's own default, compact.
                compact = self.compact if bound.pop("compact", None) else True
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget
