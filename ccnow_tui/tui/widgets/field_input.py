"""A text field whose editing keys act in the order they were typed.

Textual's Input inserts a typed character as soon as the key reaches it, but runs its
editing keys (backspace, delete, arrows, home/end, enter) as bindings, later, once the
key has travelled up to the app. When keys arrive in one read (fast typing, SSH), a
correction such as "5.0", backspace, "5" then comes out as "5.0" (the 5 is typed, then
deleted): a wrong amount, silently. Here the field runs its own bindings as it takes
each key, so every key acts in order. (The hook into Input is textual_private.py's.)
"""

from __future__ import annotations

from textual import events

from ..textual_private import HookedInput, node_bindings


class FieldInput(HookedInput):
    """The app hands a focused FieldInput its keys itself, as it reads them
    (``KeyOrder``, key_order.py): every character typed before an enter is in the field
    when the enter acts, and nothing typed after it lands in the field."""

    def takes(self, event: events.Key) -> bool:
        """A key this field acts on: a character it types, or one of its editing keys."""
        return event.is_printable or any(not b.priority for b in node_bindings(self, event.key))

    async def take_key(self, event: events.Key) -> None:
        await self.feed_key(event)

    async def key_first(self, event: events.Key) -> bool:
        for binding in node_bindings(self, event.key):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return True
        return False
