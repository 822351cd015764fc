"""Keys in the order typed: the app's part of typeahead (screens/typeahead.py says why).

Keys that arrive in one read (fast typing, or SSH delivering several at once) are acted
on here, one by one, each to the end before the next: a key that closes a form or the
filter has closed it before the key after it is looked at, so that key acts on the
screen underneath. Text fields take their keys here too (rather than from their own
message queue, later), so enter reads every character typed before it; so does a screen
that reads typed characters itself (the number to type in the confirmation). Keys read while
a form is still being built, or while a request a screen posted waits, wait for it.

The app owns one :class:`KeyOrder` and hands it every key it reads (``on_event``), every
request a screen posts (``post_message``) and the end of each request's handling.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

from textual import events
from textual.app import App
from textual.command import CommandPalette

from .screens.typeahead import as_typed, mounting_form
from .textual_private import run_priority_bindings
from .widgets.field_input import FieldInput


class KeyOrder:
    """The keys read and not yet acted on, and the requests that hold them back."""

    def __init__(self, app: App[int], dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        self.app = app
        self.dispatch = dispatch  # Textual's own handling of a key (the app's bindings, the focused widget)
        self.key_time = 0.0  # when the key being acted on was read: see ConfirmScreen
        self.last_key_at = time.monotonic()  # the operator's last key (idle work waits for a pause)
        self.held: list[events.Key] = []  # read while a form was built or a request waited, in order
        self.requests = 0  # AppRequests posted and not yet handled
        self._releasing = False  # a _release_one is scheduled

    async def read(self, event: events.Key) -> None:
        """A key as Textual read it (several, when they came in one read)."""
        for key in as_typed(event):
            if self.held or self.requests or mounting_form(self.app):
                self.held.append(key)
            else:
                await self._take(key)

    async def _take(self, event: events.Key) -> None:
        app = self.app
        self.key_time = event.time
        self.last_key_at = time.monotonic()
        if app.screen.has_class("-too-small") and event.key not in self._quit_keys():
            app.bell()  # nothing is shown to act on (BaseScreen._check_size); quit still quits
            return
        screen = app.screen
        if event.key == "escape" and isinstance(screen, CommandPalette):
            # Textual's palette closes on an ordinary binding, run after the next key was
            # handed to it (and dropped there): closed here at once, the key after esc
            # acts on the screen underneath, as after every other screen.
            await screen.run_action("escape")
            return
        takes_key = getattr(screen, "takes_key", None)  # a screen that reads typed characters itself
        if takes_key is not None and takes_key(event):
            screen.take_key(event)  # type: ignore[attr-defined]  # at once: a priority enter after it reads it
            return
        focused = app.focused
        if isinstance(focused, FieldInput) and focused.takes(event):
            # Priority bindings first (enter and esc of a form, tab), then the field.
            if not await run_priority_bindings(app, event.key):
                await focused.take_key(event)
            return
        await self.dispatch(event)

    def _quit_keys(self) -> set[str]:
        """The keys of the app's quit binding, as config.toml's [keys] may have made them."""
        keymap: Mapping[str, str] = getattr(self.app, "keymap", {})
        keys = keymap.get("app.quit")
        return {k.strip() for k in keys.split(",")} if keys else {"q"}

    def release(self) -> None:
        """A form's fields are up, or a request is done: act on the keys held, in order
        (from the app's own message loop, so keys still arriving queue up behind them)."""
        if not self._releasing:  # one at a time: two would take two keys in one turn
            self._releasing = True
            self.app.call_next(self._release_one)

    async def _release_one(self) -> None:
        # One key per turn: a form it closes hands its result to the screen underneath
        # (a callback queued for after this turn) before the next key acts there.
        self._releasing = False
        if self.held and not self.requests and not mounting_form(self.app):
            await self._take(self.held.pop(0))
            if self.held:
                self.release()

    def request_posted(self) -> None:
        self.requests += 1  # keys read from now on wait until it is handled (request_done)

    def request_done(self) -> None:
        self.requests -= 1
        if not self.requests and self.held:
            self.release()
