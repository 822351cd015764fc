"""The footer's key list: one line of text, the app's own keys first (a narrow terminal
cuts the tail, and ``q`` and ``?``, quit and every other key, must stay in sight).

Textual's ``Footer`` mounts a widget per key afresh at every change of focus or screen:
most of what showing a screen again cost (the composer at the stress size, docs/scale.md: 0.24 s to
about 0.20 s when the keys were kept; the confirmation 0.22 to 0.15 s). This footer is
one widget drawing one line, redrawn only when the keys it shows change, from public
API alone: the screen's ``active_bindings`` and its ``bindings_updated_signal``.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

FIRST = ("app.quit", "app.help")


class Key(NamedTuple):
    binding: Binding
    display: str  # the key as shown ([keys] in effect)
    enabled: bool


class KeyFooter(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-footer--disabled {
            text-style: dim;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-footer--key", "key-footer--description", "key-footer--disabled"}

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[Key, ...] = ()  # as drawn
        self._spans: list[tuple[int, int, Key]] = []  # cells each key takes, for a click

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def shown(self) -> tuple[Key, ...]:
        """One key per action, as Textual's Footer shows them, the app's own first."""
        keys: dict[str, Key] = {}
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = Key(binding, self.app.get_key_display(binding), enabled)
        return tuple(sorted(keys.values(), key=lambda k: k.binding.id not in FIRST))  # stable

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys = self.shown()
        if keys != self.keys:
            self.keys = keys
            self.refresh()

    def render(self) -> RenderResult:
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        disabled = self.get_component_rich_style("key-footer--disabled")
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for k in self.keys:
            start = text.cell_len
            text.append(k.display, key_style + disabled if not k.enabled else key_style)
            text.append(
                " " + k.binding.description + " ", description_style + disabled if not k.enabled else description_style
            )
            self._spans.append((start, start + cell_len(k.display) + 1 + cell_len(k.binding.description), k))
        return text

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, k in self._spans:
            if start <= event.x < end:
                if k.enabled:
                    self.app.simulate_key(k.binding.key.split(",")[0])
                else:
                    self.app.bell()
                return
