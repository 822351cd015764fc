"""Keys typed ahead of a form: the ones that arrive before its fields can take them.

Keys that come in one read (fast typing, or SSH sending several at once) are handed on
one by one, each to whatever has focus at that moment. The keys that open a form are
priority bindings, so the form is on the screen stack before the next key is handed on;
that key then goes to the form itself, whose fields may not exist yet. The form keeps
such keys and types them into its fields once they do.
"""

from __future__ import annotations

from textual import events
from textual.screen import ModalScreen
from textual.widgets import Input


class TypeAheadTarget(ModalScreen):
    """A form that takes the keys typed before its fields had focus."""

    def __init__(self) -> None:
        super().__init__()
        self._typed_ahead: list[tuple[str, str | None]] | None = []  # None once mounted

    def on_key(self, event: events.Key) -> None:
        # Keys reach the screen itself only while it has no focused field: before mount.
        # (tab and shift+tab never get here: they are the priority bindings below.)
        if self._typed_ahead is not None and event.is_printable:
            self._typed_ahead.append((event.key, event.character))
            event.stop()
            event.prevent_default()

    # tab and shift+tab are priority bindings of the forms (so that a burst moves on
    # before its next key): before the fields exist they are kept like any other key.
    def action_next_field(self) -> None:
        if self._typed_ahead is not None:
            self._typed_ahead.append(("tab", "\t"))
        else:
            self.focus_next()

    def action_previous_field(self) -> None:
        if self._typed_ahead is not None:
            self._typed_ahead.append(("shift+tab", None))
        else:
            self.focus_previous()

    def on_mount(self) -> None:
        # A focus change takes effect later, so the kept keys are played against the
        # list of fields rather than through the focus.
        fields = list(self.query(Input))
        at = 0
        for key, character in self._typed_ahead or []:
            if key == "tab":
                at = min(at + 1, len(fields) - 1)
            elif key == "shift+tab":
                at = max(at - 1, 0)
            elif character:
                fields[at].insert_text_at_cursor(character)
        self._typed_ahead = None
        self.set_focus(fields[at])
