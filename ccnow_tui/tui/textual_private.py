"""Every use of Textual's private API, in one place.

Keys typed ahead must act in the order typed (see key_order.py and typeahead.py), which
Textual's public API cannot do: a text field has to run its editing bindings itself as
it takes each key, and the app has to run the priority bindings of one key before it
looks at the next. That needs a few of Textual's private names; they are used here and
nowhere else in ccnow_tui, and tests/tui/test_textual_private.py checks each of them
(by :data:`PRIVATE_NAMES`), so an upgrade of Textual that changes one fails that test,
with the name, rather than breaking the keys quietly.

Two more, not about keys, each kept for a figure a benchmark shows and no public API
gives (tests/benchmarks/tui_scale.py): mounting an installed screen before it is first
shown, so that showing it costs no mount (:func:`premount`); and which screens show
under the top one (:class:`SeeThroughApp`: not those under an opaque screen).

The footer, the theme's styles and the setup form used private names too; each now
does the same with public API (widgets/key_footer.py, widgets/styled.py).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Input

__all__ = [
    "PRIVATE_NAMES",
    "HookedInput",
    "SeeThroughApp",
    "node_bindings",
    "premount",
    "run_priority_bindings",
]

# (owner, private name, what we rely on): checked by tests/tui/test_textual_private.py.
PRIVATE_NAMES: list[tuple[str, str, str]] = [
    ("textual.widgets.Input", "_on_key", "async (self, event): the handler that types a printable key"),
    ("textual.dom.DOMNode", "_bindings", "a BindingsMap whose key_to_bindings maps a key to its Bindings"),
    ("textual.app.App", "_check_bindings", "async (self, key, priority=False) -> bool: runs a key's bindings"),
    # Read by the tests and screenshots/make_screenshots.py, to draw a screen as text.
    ("textual.screen.Screen", "_compositor", "its render_update(full=, screen_stack=)"),
    # Overridden by SeeThroughApp; read by the tests too (what shows under a modal screen).
    (
        "textual.app.App",
        "_background_screens",
        "a property: the screens visible under the top one (Screen.is_current, the compositor)",
    ),
    # Read by the tests: the toasts.
    ("textual.app.App", "_notifications", "the toasts shown, each with .message"),
    # premount.
    ("textual.app.App", "_load_screen_css", "(self, screen): adds a screen's CSS to the app's stylesheet"),
    ("textual.app.App", "_register", "(self, parent, *widgets): starts and mounts widgets (a screen: composes it)"),
]


def node_bindings(node: DOMNode, key: str) -> tuple[Binding, ...]:
    """The bindings ``node`` itself declares for ``key`` (not its ancestors')."""
    return tuple(node._bindings.key_to_bindings.get(key, ()))


async def run_priority_bindings(app: App[int], key: str) -> bool:
    """Run ``key``'s priority bindings (app, screen, focused chain); True if one acted."""
    return await app._check_bindings(key, priority=True)


def premount(app: App[int], screen: Screen[Any]) -> None:
    """Compose and mount ``screen`` (installed with ``app.install_screen``) without showing
    it: what ``push_screen`` does first for a screen not yet running. Its later push only
    shows it (``push_screen`` skips the mount of a running screen).

    What it buys: opening the composer at the stress size (``b``, docs/scale.md), 0.24 s without
    it and about 0.18 s with it (tui_scale.py's composer open, floor 0.2). Textual decided that
    installing a screen does not add it to the DOM (Textualize/textual#1775), so there is
    no public way to mount one ahead of its first push."""
    if not screen.is_running:
        app._load_screen_css(screen)
        app._register(app, screen)


class SeeThroughApp(App[int]):
    """An app whose screens show through only where they can be seen through.

    Textual counts the screen right under the top one as visible behind it
    (``_background_screens``) whatever the top one is like. So the queue under the
    opaque composer stayed "current": each of its repaints marked the whole composer for
    a full redraw (161 full redraws in one stress-size send, a third of the frames),
    and its own work on every model change went on, unseen. Here a screen is behind the
    top one only while every screen above it lets it show (a question's dim backdrop).

    What it buys: full redraws of the composer in one stress-size send, 161 to 6; the
    send's p95 stall 0.027 to 0.025 s (floor 0.03). Textual's rule that the screen under
    the top one is visible comes from Textualize/textual#3055 (screens under a modal
    refresh) and its "node refresh" change (Textualize/textual#6307); an opaque top
    screen that hides the one below would make this unnecessary."""

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        stack = self.screen_stack
        shown: list[Screen[Any]] = []
        for above, below in zip(reversed(stack[1:]), reversed(stack[:-1]), strict=True):
            if above.styles.background.a >= 1:
                break
            shown.append(below)
        return shown[::-1]


class HookedInput(Input):
    """An Input that sees each key before Textual's own handler does.

    Textual hands a key to ``Input._on_key`` (private): that is where a printable key is
    typed. Subclasses override :meth:`key_first`; :meth:`feed_key` hands a key to the
    field directly, as if Textual had dispatched it.
    """

    async def key_first(self, event: events.Key) -> bool:
        """Act on ``event`` before the field types it; True: it is taken, type nothing."""
        return False

    async def feed_key(self, event: events.Key) -> None:
        await self._on_key(event)

    async def _on_key(self, event: events.Key) -> None:
        if not await self.key_first(event):
            await super()._on_key(event)
