"""The footer's key list, the app's own keys first: a narrow terminal cuts the tail, and
``q`` and ``?`` (quit, and every other key) must stay in sight."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from ..textual_private import FooterKey, bindings_ready

FIRST = ("app.quit", "app.help")

Shown = tuple[tuple[Binding, str, bool, str], ...]  # (binding, key as shown, enabled, tooltip)


class KeyFooter(Footer):
    _composed: Shown | None = None  # the keys the children show

    def shown(self) -> Shown:
        keys: dict[str, tuple[Binding, str, bool, str]] = {}  # one key per action, as Footer shows them
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = (binding, self.app.get_key_display(binding), enabled, tooltip)
        return tuple(sorted(keys.values(), key=lambda item: item[0].id not in FIRST))  # stable

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Footer recomposes at every change of focus or screen, mounting its keys afresh:
        # most of what showing a screen again costs (the composer at 100,000 entries). The
        # keys the children already show need no new children.
        if self._composed is not None and self.is_attached and screen is self.screen \
                and self.shown() == self._composed:
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if not bindings_ready(self):
            return
        self._composed = shown = self.shown()
        self.styles.grid_size_columns = len(shown)
        for binding, display, enabled, tooltip in shown:
            yield FooterKey(
                binding.key, display, binding.description, binding.action, disabled=not enabled, tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
