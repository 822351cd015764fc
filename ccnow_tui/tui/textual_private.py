"""Every use of Textual's private API, in one place.

Keys typed ahead must act in the order typed (see key_order.py and typeahead.py), which
Textual's public API cannot do: a text field has to run its editing bindings itself as
it takes each key, and the app has to run the priority bindings of one key before it
looks at the next. That needs a few of Textual's private names; they are used here and
nowhere else in ccnow_tui, and tests/tui/test_textual_private.py checks each of them
(by :data:`PRIVATE_NAMES`), so an upgrade of Textual that changes one fails that test,
with the name, rather than breaking the keys quietly.

Two more, not about keys, were kept here for figures of tests/benchmarks/tui_scale.py;
each now has a public design: the composer is mounted ahead by being pushed and popped
in one step (app.py: install_composer), and a screen under an opaque one skips its
redraws by its own rule (screens/base.py: BaseScreen.is_seen), not by overriding which
screens Textual counts as visible.

The footer, the theme's styles and the setup form used private names too; each now
does the same with public API (widgets/key_footer.py, widgets/styled.py). The tests and
screenshots/ read the screen and its toasts through public calls (tests/tui/seen.py).
"""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Input

__all__ = [
    "PRIVATE_NAMES",
    "HookedInput",
    "node_bindings",
    "run_priority_bindings",
]

# (owner, private name, what we rely on): checked by tests/tui/test_textual_private.py.
PRIVATE_NAMES: list[tuple[str, str, str]] = [
    ("textual.widgets.Input", "_on_key", "async (self, event): the handler that types a printable key"),
    ("textual.dom.DOMNode", "_bindings", "a BindingsMap whose key_to_bindings maps a key to its Bindings"),
    ("textual.app.App", "_check_bindings", "async (self, key, priority=False) -> bool: runs a key's bindings"),
]


def node_bindings(node: DOMNode, key: str) -> tuple[Binding, ...]:
    """The bindings ``node`` itself declares for ``key`` (not its ancestors')."""
    return tuple(node._bindings.key_to_bindings.get(key, ()))


async def run_priority_bindings(app: App[int], key: str) -> bool:
    """Run ``key``'s priority bindings (app, screen, focused chain); True if one acted."""
    return await app._check_bindings(key, priority=True)


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
