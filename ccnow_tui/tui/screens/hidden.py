"""The question an action key asks when part of the selection is not shown.

The rule (help and README say it): a key that acts on several orders acts on the
selected ones, and the header counts them ("3 selected, 2 hidden by the filter"). When
some selected orders are not shown (the filter hides them, ``z`` hides the orders that
left the list, or a new list no longer has them), the key does nothing at once: it asks,
naming how many are hidden and which, whether to act on the shown ones only (``v``), on
every selected order (``a``), or on none (``n``/``esc``: nothing happens; ``esc`` on the
queue then clears the filter, a second ``esc`` the selection). As mutt's tag prefix
acts on the tagged messages the limit shows, the shown ones are the first answer; as
lazygit and k9s never act on rows out of sight unasked, no answer is assumed.

Keys read before the question showed (typed ahead with the action key, in one burst)
do not answer it: the question says so and waits (as the confirmation does).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from ...protocol.orderid import OrderId
from ...words import counted, named_orders
from ..keys import app_keymap, binding_keys, owned_binding
from ..widgets.styled import Palette, StyledText


class Scope(StrEnum):
    SHOWN = "shown"
    ALL = "all"


class HiddenSelectionScreen(ModalScreen[Scope | None]):
    """``what`` (a phrase: "Stage ship", "Copy") for the selected orders, of which
    ``hidden`` are not shown (``why``: "hidden by the filter"). Returns the scope chosen,
    or None (nothing happens)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "v",
            "answer('shown')",
            "Shown only",
            priority=True,
            id="hidden.shown",
            tooltip="Hidden selection: act on the selected orders that are shown only",
        ),
        Binding(
            "a",
            "answer('all')",
            "All selected",
            priority=True,
            id="hidden.all",
            tooltip="Hidden selection: act on every selected order, hidden ones too",
        ),
        Binding(
            "n,escape",
            "cancel",
            "Go back",
            key_display="n/esc",
            priority=True,
            id="hidden.cancel",
            tooltip="Hidden selection: go back, nothing happens",
        ),
    ]

    def __init__(self, what: str, selected: list[OrderId], hidden: list[OrderId], why: str) -> None:
        super().__init__()
        self.what = what
        self.selected = selected
        self.hidden = hidden
        hidden_set = set(hidden)
        self.shown = [oid for oid in selected if oid not in hidden_set]
        self.why = why
        self.shown_at = float("inf")  # until mounted, nothing answers
        self.note = ""

    def keys(self, binding_id: str) -> list[str]:
        return binding_keys(owned_binding(HiddenSelectionScreen, binding_id), app_keymap(self))

    def compose(self) -> ComposeResult:
        n, h = len(self.selected), len(self.hidden)
        title = (
            f"{self.what}: {h} of the {counted(n, 'selected order', 'selected orders')} "
            f"{'is' if h == 1 else 'are'} {self.why}"
        )
        with Vertical(classes="dialog"):
            yield Label(Text(title), classes="title")
            yield StyledText(self._body, id="hidden-body")
            yield StyledText(self._keys_text, id="hidden-keys")
            yield StyledText("", id="hidden-note")

    def _body(self, p: Palette) -> Text:
        t = Text()
        t.append(f"{self.why}: ", style=p.warning)
        t.append(named_orders(self.hidden) + "\n")
        if self.shown:
            t.append("shown: ", style=p.strong)
            t.append(named_orders(self.shown) + "\n")
        else:
            t.append("None of the selected orders is shown; the highlighted order is not selected.\n", style=p.strong)
        return t

    def _keys_text(self, p: Palette) -> Text:
        def spans(binding_id: str) -> list[str | tuple[str, Style]]:
            out: list[str | tuple[str, Style]] = []
            for key in self.keys(binding_id):
                out += [" / ", (key, p.key)] if out else [(key, p.key)]
            return out

        parts: list[str | tuple[str, Style]] = []
        if self.shown:
            parts += [*spans("hidden.shown"), f" only the {len(self.shown)} shown    "]
        parts += [*spans("hidden.all"), f" all {len(self.selected)} selected    "]
        parts += [
            *spans("hidden.cancel"),
            " go back (nothing happens; esc on the queue clears the filter, a second esc the selection)",
        ]
        return Text.assemble(*parts)

    def on_mount(self, event: events.Mount) -> None:
        self.shown_at = event.time

    def _typed_ahead(self) -> bool:
        """The key being acted on was read before this question showed."""
        return bool(getattr(self.app, "key_time", self.shown_at) < self.shown_at)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters == ("shown",):
            return bool(self.shown)  # none shown: v means nothing here
        return True

    def action_answer(self, scope: str) -> None:
        if self._typed_ahead():
            self.note = "A key typed before this question showed was not taken: answer it now."
            self.query_one("#hidden-note", StyledText).update(lambda p: Text(self.note, style=p.strong))
            return
        self.dismiss(Scope(scope))

    def action_cancel(self) -> None:
        self.dismiss(None)
