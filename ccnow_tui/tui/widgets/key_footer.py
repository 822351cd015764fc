"""The footer's key list, the app's own keys first: a narrow terminal cuts the tail, and
``q`` and ``?`` (quit, and every other key) must stay in sight."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from ..textual_private import FooterKey, bindings_ready

FIRST = ("app.quit", "app.help")


class KeyFooter(Footer):
    def compose(self) -> ComposeResult:
        if not bindings_ready(self):
            return
        shown: dict[str, tuple] = {}  # one key per action, as Footer shows them
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        ordered = sorted(shown.values(), key=lambda item: item[0].id not in FIRST)  # stable
        self.styles.grid_size_columns = len(ordered)
        for binding, enabled, tooltip in ordered:
            yield FooterKey(
                binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                disabled=not enabled, tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
