"""The footer: the bindings that apply where the focus is."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """Textual's footer, with each key's compactness settled before the key is mounted.

    The stock footer binds it to the footer's, which restyles every key twice each time
    the bindings change (on every focus change); here a key is styled once, when mounted.
    The keys are rebuilt only when the bindings shown (or the terminal's width) change, not
    on every focus change.

    On a narrow terminal the footer condenses before it drops anything (the compact style:
    less space around each key); then it drops the keys of the outer screen from the
    right, but never ``? help``, which lists every key.
    """

    #: The action whose key stays whatever the width.
    KEEP = "help"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None

    def _bindings_shown(self) -> tuple[Any, ...]:
        return (
            self.app.size.width,
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

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        keys = [
            w for w in widgets if isinstance(w, FooterKey) and "-command-palette" not in w.classes
        ]
        others = [w for w in widgets if w not in keys]
        room = self.app.size.width - sum(_width(w, True) for w in others)
        compact = self.compact or sum(_width(k, False) for k in keys) > room
        if compact:  # condensed first; then the outer keys give way, help last of all
            while keys and sum(_width(k, True) for k in keys) > room:
                drop = next((k for k in reversed(keys) if k.action != self.KEEP), None)
                if drop is None:
                    break
                keys.remove(drop)
        self.set_class(compact, "-compact")
        for widget in widgets:
            if widget in others or widget in keys:
                if isinstance(widget, FooterKey):
                    bound = getattr(widget, "_reactive_connect", None) or {}
                    # Keys bound to the footer take its compactness; the others (the
                    # command palette key) keep a key's own default, compact.
                    own = compact if bound.pop("compact", None) else True
                    widget.set_reactive(FooterKey.compact, own)
                    widget.set_class(own, "-compact", update=False)
                yield widget


def _width(key: Any, compact: bool) -> int:
    """The cells ``key`` takes: ``␣k␣Label␣`` (``k Label`` and a margin when compact);
    a grouped key's label or group is not measured (none of ours are grouped)."""
    if not isinstance(key, FooterKey):
        return 0
    text = cell_len(key.key_display) + (cell_len(key.description) + 1 if key.description else 0)
    return text + (1 if compact else 3)
