"""Keys typed ahead of a form, and after it: each acts where it was typed for.

Keys that come in one read (fast typing, or SSH sending several at once) are acted on
by the app one by one, in order (``KeyOrder.read``, key_order.py). The keys that open a form are
priority bindings, so the form is on the screen stack before the next key is looked at;
its fields may not exist yet, so the app holds the keys read meanwhile and hands them
on, in order, once the form is ready (``ready``, ``CcnowApp.release_keys``).

The keys that close a form (enter stages, esc cancels) are priority bindings too: the
form is closed, and its result handed on, before the next key is looked at, so keys
typed after enter or esc act on the screen underneath and never land in the form.

Keys read while a request a screen posted to the app waits to be handled wait too
(``CcnowApp.post_message``): a key after ``s`` acts on the entries ``s`` staged.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input

_R = TypeVar("_R")  # what the form answers


class TypeAheadTarget(ModalScreen[_R]):
    """A form whose keys wait until its fields exist."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = False  # the fields exist and the first has focus

    # tab and shift+tab are priority bindings of the forms, so that a burst moves on
    # before its next key.
    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def on_mount(self) -> None:
        fields = list(self.query(Input))
        if fields:
            self.set_focus(fields[0])  # at once (focus() waits a turn): the held keys go to it
        self.ready = True
        release = getattr(self.app, "release_keys", None)
        if release is not None:
            release()


def mounting_form(app: App[int]) -> bool:
    """A form is on top whose fields do not exist yet: keys wait for them."""
    stack = app.screen_stack
    return bool(stack) and isinstance(stack[-1], TypeAheadTarget) and not stack[-1].ready


def as_typed(event: events.Key) -> list[events.Key]:
    """The keys the operator typed: alt+X is esc followed by X.

    A terminal sends esc as one byte, and esc read together with the next key is what
    alt+key sends too: Textual reports the pair as alt+key. No key of ours is an alt key,
    so it is taken as the two keys typed. (Where esc and the next key form another
    sequence, esc then ``[`` or ``O`` followed by more, Textual reads a different key and
    the two cannot be told apart.)
    """
    key = event.key
    if not key.startswith("alt+") or len(key) == 4:
        return [event]
    rest = key[4:]
    if rest.startswith("shift+") and len(rest) == 7:
        rest = rest[6].upper()  # alt+shift+s: esc, S
    escape, after = events.Key("escape", "\x1b"), events.Key(rest, event.character)
    escape.time = after.time = event.time
    return [escape, after]
