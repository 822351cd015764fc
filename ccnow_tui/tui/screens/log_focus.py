"""The status log pane, focused: ``L`` on every screen that shows it (BaseScreen's).

``L`` hands the focus to the log pane. There the arrows, pgup/pgdn and home/end move its
highlighted line; ``/`` searches it (a field at the bottom: the cursor follows as one
types, ``enter`` keeps the match, ``esc`` puts the cursor back where the search started);
``n`` finds the next (older) match; ``C`` copies the highlighted line by OSC 52, masked as
shown, and the log says so; ``esc`` gives the focus back to the screen's list.

``/`` and ``C`` are the log's own keys (StatusLog's bindings, live only while it has the
focus), so a screen that gives them a meaning of its own (the queue's filter and copy,
the history's filter) keeps that meaning on its list, and ``[keys]`` remaps each apart.
While the log or its search field has the focus, the screen's other keys do not act
(:meth:`LogFocusScreen.check_action`): ``d`` in the composer's log removes no entry,
``s`` in the queue's stages nothing. ``l`` (the log hidden: the focus goes back to the
list), ``esc`` and the app's own keys (``q``, ``?``) still do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

from textual import events, on
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from ..host import ScreenHost
from ..keys import app_keymap, bindings_of, display_key, key_of
from ..model import LogKind
from ..textual_private import node_bindings
from ..widgets.field_input import FieldInput
from ..widgets.status_log import StatusLog, shown_text

# The screen's actions that act while the log or its search field has the focus.
LOG_MODE_ACTIONS = frozenset({"focus_log", "next_match", "log_search", "log_copy", "back", "toggle_log"})
# ... and those that act only there (on the list, the key means nothing or something else).
LOG_ONLY_ACTIONS = frozenset({"next_match", "log_search", "log_copy"})


class LogSearch(FieldInput):
    """The log's search field. ``enter`` keeps the match at once, before the next key is
    read (Input's own submit is a message, handled after keys typed ahead of it)."""

    DEFAULT_CSS = "LogSearch { display: none; }"  # shown by / in the focused log

    def __init__(
        self, done: Callable[[bool], None], *, placeholder: str = "", id: str | None = None, compact: bool = False
    ) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=compact)
        self._done = done

    async def key_first(self, event: events.Key) -> bool:
        if any(b.action == "submit" for b in node_bindings(self, event.key)):
            event.stop()
            event.prevent_default()
            self._done(True)
            return True
        return await super().key_first(event)


class LogFocusScreen(Screen[None]):
    """A screen with the status log pane (a StatusLog) and its search field (a LogSearch)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "L",
            "focus_log",
            "Log focus",
            show=False,
            priority=True,
            id="log.focus",
            tooltip='Focus the log: scroll it, search it, copy a line (its keys: help, "In the focused log")',
        ),
        Binding(
            "n",
            "next_match",
            "Next match",
            show=False,
            priority=True,
            id="log.next",
            tooltip="In the focused log: the next (older) line matching the search",
        ),
    ]

    _search_from: int | None = None  # the log line the search started on
    _list: Widget | None = None  # what had the focus before L: the screen's list

    @property
    def ccnow(self) -> ScreenHost:
        return cast("ScreenHost", self.app)

    def search_hint(self) -> str:
        """The search field's placeholder, naming the keys in effect (``[keys]``)."""
        # esc in the field is the screen's "back" (nav.back; the queue's queue.clear), which
        # puts the log back as it was (leave_log).
        back = next(b for b in bindings_of(type(self)) if b.action == "back")
        next_key, back_key = key_of(self, type(self), "log.next"), display_key(back, app_keymap(self))
        return f"search the log (enter: keep, then {next_key}: next match; {back_key}: cancel)"

    @property
    def log_pane(self) -> StatusLog:
        return self.query_one(StatusLog)

    @property
    def log_search(self) -> LogSearch:
        return self.query_one(LogSearch)

    def log_focused(self) -> bool:
        """The log or its search field has the focus: the screen's other keys do not act."""
        return isinstance(self.focused, (StatusLog, LogSearch))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LOG_ONLY_ACTIONS:
            return isinstance(self.focused, StatusLog)
        return action in LOG_MODE_ACTIONS or not self.log_focused()

    def action_focus_log(self) -> None:
        if not self.ccnow.log_visible:
            self.ccnow.log_visible = True  # shows it (the app's watcher) before it takes the focus
        log = self.log_pane
        if not log.display:
            self.app.bell()  # the terminal is too small for it
            return
        if not self.log_focused():
            self._list = self.focused
        log.take_focus()

    def leave_log(self) -> bool:
        """``esc``: from the search field back to the log (the search cancelled), from the
        log back to the list. False when neither had the focus."""
        if self.focused is self.log_search:
            self._search_done(keep=False)
            return True
        if self.focused is self.log_pane:
            self.focus_list()  # at once: the keys after esc act on the list
            return True
        return False

    def log_hidden(self) -> None:
        """The pane is no longer shown (``l``, a terminal too small): the list takes the focus."""
        if self.log_focused():
            self.log_search.display = False
            self.focus_list()

    def focus_list(self) -> None:
        """The focus to the screen's list: what had it before ``L`` (else the first widget
        that takes the focus, the log aside)."""
        target = self._list
        if target is None or not target.is_attached or not target.focusable:
            target = next((w for w in self.focus_chain if not isinstance(w, (StatusLog, LogSearch))), None)
        self.set_focus(target)

    def action_next_match(self) -> None:
        log = self.log_pane
        text = self.log_search.value
        if not text.strip() or log.cursor is None or not log.search(text, log.cursor - 1):
            self.app.bell()

    def action_log_copy(self) -> None:
        line = self.log_pane.current_line()
        if line is None:
            self.app.bell()
            return
        text = shown_text(line)
        self.app.copy_to_clipboard(text)
        self.ccnow.log_line(LogKind.INFO, f"copied a log line ({line.when}, {len(text)} characters)")

    def action_log_search(self) -> None:
        box = self.log_search
        self._search_from = self.log_pane.cursor
        box.value = ""
        box.display = True
        self.set_focus(box)  # at once: the keys typed ahead go into it

    @on(Input.Changed, "LogSearch")
    def _search_changed(self, event: Input.Changed) -> None:
        box = self.log_search
        # Only while it is typed in: a Changed handled after enter (and an n) moves nothing.
        if self.focused is box and box.value.strip():
            self.log_pane.search(box.value, self._search_from)

    def _search_done(self, keep: bool) -> None:
        box = self.log_search
        log = self.log_pane
        if keep and box.value.strip():
            log.search(box.value, self._search_from)  # the keys after enter act on the match
        else:
            box.value = ""
            if self._search_from is not None:
                log.move_to(self._search_from)
        box.display = False
        log.take_focus()
