"""The one gate before a batch is sent, and other yes/no questions: only ``y`` says yes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from ...protocol.actions import ActionKind
from ...protocol.batch import Batch, Severity
from ...words import counted
from ..keys import NO_KEYMAP, app_keymap, binding_keys, display_key, owned_binding
from ..widgets.styled import Content, Palette, StyledText

if TYPE_CHECKING:
    from ..session import Session


TYPED_MAX = 9  # digits: no batch changes a billion orders


class KeyedBuilder:
    """A text builder (palette -> Text) that names keys: the screen showing it sets
    ``keymap`` (the app's) before it is drawn, so the text names the keys in effect."""

    def __init__(self, build: Callable[[Palette, Mapping[str, str]], Text]) -> None:
        self.build = build
        self.keymap: Mapping[str, str] = NO_KEYMAP

    def __call__(self, p: Palette) -> Text:
        return self.build(p, self.keymap)


def must_type(batch: Batch, confirm_over: int, discount_over: Decimal) -> int | None:
    """The number the operator types to send ``batch`` (the entries it sends that change
    orders), when it has more than ``confirm_over`` cancel and discount entries or its
    discounts add up to more than ``discount_over`` dollars; None: ``y`` sends it."""
    totals = batch.totals
    return totals.changing_entries if totals.over_limits(confirm_over, discount_over) else None


def describe_send(batch: Batch, session: Session, typed: int | None = None) -> tuple[str, KeyedBuilder]:
    """What ``y`` will do, in full: counts per action, orders touched, the total discount
    and orders discounted more than once, receiver, account; and, for a batch that must
    be typed (``typed``), the number to type. The keys it names are those in effect
    (the ConfirmScreen showing it gives it the app's keymap)."""
    counts = batch.counts()
    totals = batch.totals
    n, orders = len(batch), len(batch.order_ids)
    host, account = session.host, session.account
    lints = session.staging.lint(session.book.status, session.book.status_version, session.book.learnt_words)
    unverified = list(session.staging.unverified)
    limit = session.settings.max_discount
    large = [e for e in batch.staged if e.kind is ActionKind.ADJUST and e.amount is not None and e.amount > limit]
    warnings = [
        lint
        for lint in lints
        if lint.severity is Severity.WARNING
        and not lint.message.startswith("unverified:")
        and "max_discount" not in lint.message
    ]

    def body(p: Palette, keymap: Mapping[str, str]) -> Text:
        from .base import MainScreen  # where b (the composer) is bound

        composer = display_key(owned_binding(MainScreen, "nav.composer"), keymap)
        t = Text()
        t.append(f"{counted(n, 'entry', 'entries')} for {counted(orders, 'order', 'orders')}\n", style=p.strong)
        for kind, count in sorted(counts.items()):
            t.append(f"  {kind.value:<7} {count}\n")
        t.append(f"orders touched {totals.orders}, changed {totals.changed}; total discount ")
        t.append(totals.discount_text, style=p.strong)
        t.append("\n")
        if large:  # each named with its amount: a typo here moves money
            named = ", ".join(f"{e.order_id} ${e.amount:,.2f}" for e in large[:5])
            more = f" and {len(large) - 5} more" if len(large) > 5 else ""
            t.append(f"⚠ above max_discount (${limit:,.2f}): {named}{more}\n", style=p.alert)
        if totals.discounted_twice:
            named = ", ".join(str(oid) for oid in totals.discounted_twice[:5])
            more = f" and {len(totals.discounted_twice) - 5} more" if len(totals.discounted_twice) > 5 else ""
            t.append(f"more than one discount: {named}{more}\n", style=p.warning)
        t.append("to receiver ")
        t.append(host, style=p.strong)
        t.append("\nas account ")
        t.append(account, style=p.strong)
        if unverified:
            # Named one by one: each may already have been applied, and none of them is sent.
            t.append(
                f"\n\n? {len(unverified)} UNVERIFIED (not in this batch; may already have been applied):\n",
                style=p.alert,
            )
            for e in unverified[:5]:
                t.append(f"  {e.action.describe()} (batch {e.batch_id})\n", style=p.warning)
            if len(unverified) > 5:
                t.append(f"  … and {len(unverified) - 5} more ({composer} shows them)\n", style=p.warning)
        if warnings:
            t.append(
                f"\n\n⚠ {counted(len(warnings), 'warning', 'warnings')} ({composer} shows them):\n", style=p.warning
            )
            for lint in warnings[:3]:
                t.append(f"  {lint.message}\n", style=p.warning)
            if len(warnings) > 3:
                t.append(f"  … and {len(warnings) - 3} more\n", style=p.warning)
        if batch.changes_orders:
            t.append("\nShip, cancel and adjust change money and goods; they cannot be taken back.", style=p.muted)
        if typed is not None:
            settings = session.settings
            why = ";\n".join(totals.over_limits(settings.confirm_over, settings.confirm_discount_over, then=",\n"))
            t.append(f"\n\n{why[0].upper()}{why[1:]}.\nTo send it, type ", style=p.alert)
            t.append(str(typed), style=p.key)
            enter = display_key(owned_binding(ConfirmScreen, "confirm.typed"), keymap)
            yes = display_key(owned_binding(ConfirmScreen, "confirm.yes"), keymap)
            t.append(f", the number of entries that change orders,\nthen {enter} ({yes} does not).", style=p.alert)
        return t

    return "Send this batch?", KeyedBuilder(body)


class ConfirmScreen(ModalScreen[bool]):
    """A question that covers the screen; nothing covers it (toasts are hidden while it
    is up, app.tcss) and its own notices show inside it.

    The answers are priority bindings: the question is closed before the next key is
    looked at, so keys typed after ``n`` or ``esc`` act on the screen underneath.

    With ``typed`` (a number), ``y`` does not answer: the operator types that number
    (digits, backspace) and ``enter``, like typing a repository's name to delete it. A
    wrong number says so and the question stays; ``n``/``esc`` still go back. Keys read
    before the question showed (typed ahead) count for nothing, digits included.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", priority=True, id="confirm.yes", tooltip="Yes: go ahead"),
        Binding(
            "n,escape",
            "answer(False)",
            "No",
            key_display="n/esc",
            priority=True,
            id="confirm.no",
            tooltip="No: go back, nothing happens",
        ),
        Binding(
            "enter",
            "typed",
            "Send",
            show=False,
            priority=True,
            id="confirm.typed",
            tooltip="After typing the number of entries a large batch sends that change orders: send it",
        ),
        Binding(
            "backspace",
            "untype",
            "Erase",
            show=False,
            priority=True,
            id="confirm.erase",
            tooltip="Erase the last digit typed",
        ),
    ]

    def __init__(self, title: str, body: Content, *, yes: str = "yes", typed: int | None = None) -> None:
        super().__init__()
        self.shown_at = float("inf")  # until mounted, nothing answers
        self.title_text = title
        self.body = body
        self.yes = yes
        self.early_yes = False  # a y read before the question showed (it does not count)
        self.expected = None if typed is None else str(typed)  # the number to type, when y is not enough
        self.typed = ""  # the digits typed since the question showed
        self.note: str = ""  # why nothing happened (a wrong number, y where a number is asked)

    def keys(self, binding_id: str) -> list[str]:
        """The keys of one of this question's bindings in effect ([keys] in config.toml)."""
        return binding_keys(owned_binding(ConfirmScreen, binding_id), app_keymap(self))

    def key(self, binding_id: str) -> str:
        """The same, as prose writes them: ``y``, ``n or esc``."""
        return " or ".join(self.keys(binding_id))

    def compose(self) -> ComposeResult:
        if isinstance(self.body, KeyedBuilder):
            self.body.keymap = app_keymap(self)
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="title")
            yield StyledText(self.body, id="confirm-body")
            if self.expected is not None:
                yield StyledText(self._typed_text, id="confirm-typed")
            yield StyledText(self._keys_text, id="confirm-keys")
            yield StyledText("", id="confirm-note")

    def _keys_text(self, p: Palette) -> Text:
        def spans(binding_id: str) -> list[str | tuple[str, Style]]:
            out: list[str | tuple[str, Style]] = []
            for key in self.keys(binding_id):
                out += [" / ", (key, p.key)] if out else [(key, p.key)]
            return out

        go_back = *spans("confirm.no"), " go back (nothing happens)"
        if self.expected is not None:
            return Text.assemble(("0-9", p.key), " ", *spans("confirm.typed"), f" {self.yes}    ", *go_back)
        return Text.assemble(*spans("confirm.yes"), f" {self.yes}    ", *go_back)

    def _typed_text(self, p: Palette) -> Text:
        return Text.assemble("number of entries: ", (self.typed or " ", p.key), no_wrap=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("typed", "untype"):
            return self.expected is not None  # otherwise enter and backspace mean nothing here
        return True

    def on_mount(self, event: events.Mount) -> None:
        self.shown_at = event.time
        self._show_note()

    def _show_note(self) -> None:
        if not self.is_mounted:
            return
        if self.note:
            note = self.note
        elif self.early_yes and self.expected is not None:
            note = (
                f"Keys typed before this question showed were not taken: type {self.expected}, "
                f"then {self.key('confirm.typed')}."
            )
        elif self.early_yes:
            yes = self.key("confirm.yes")
            note = f"The {yes} typed before this question showed was not taken: press {yes} again to {self.yes}."
        else:
            return
        self.query_one("#confirm-note", StyledText).update(lambda p: Text(note, style=p.strong))

    def _typed_ahead(self) -> bool:
        """Whether the key being acted on was read before this question showed."""
        return bool(getattr(self.app, "key_time", self.shown_at) < self.shown_at)

    def action_answer(self, yes: bool) -> None:
        # A "y" typed before this question was up (keys typed ahead arrive in one burst
        # over SSH, and "Sy" would otherwise send unseen) does not answer it.
        if yes and self._typed_ahead():
            self.early_yes = True
            self._show_note()
            return
        if yes and self.expected is not None:
            self.note = (
                f"{self.key('confirm.yes')} does not send this batch: type {self.expected}, the number of "
                f"entries that change orders, then {self.key('confirm.typed')}."
            )
            self._show_note()
            return
        self.dismiss(yes)

    # -- a number to type ------------------------------------------------------------------

    def takes_key(self, event: events.Key) -> bool:
        """Whether ``event`` is a digit of the number to type. The app hands such a key
        here at once (``take_key``), as it reads it: ``enter`` is a priority binding, run
        as soon as it is read, so a digit left to the screen's message queue would reach
        it after an ``enter`` typed behind it (``1 1 enter`` in one burst)."""
        return self.expected is not None and event.character is not None and event.character.isdecimal()

    def take_key(self, event: events.Key) -> None:
        if self._typed_ahead():
            self.early_yes = True
            self._show_note()
            return
        if len(self.typed) < TYPED_MAX and event.character is not None and event.character in "0123456789":
            self.typed += event.character
            self._show_typed()

    def on_key(self, event: events.Key) -> None:
        # A digit the app did not hand over itself (an app without KeyOrderApp's keys).
        if self.takes_key(event):
            event.stop()
            event.prevent_default()
            self.take_key(event)

    def action_untype(self) -> None:
        if self._typed_ahead():
            return
        self.typed = self.typed[:-1]
        self._show_typed()

    def action_typed(self) -> None:
        """``enter``: send if the number typed is the number of entries that change orders."""
        if self._typed_ahead():
            self.early_yes = True
            self._show_note()
            return
        if self.typed == self.expected:
            self.dismiss(True)
            return
        typed, enter, back = self.typed, self.key("confirm.typed"), "/".join(self.keys("confirm.no"))
        self.note = (
            f"{typed} is not the number asked for: nothing was sent. "
            f"Type {self.expected}, then {enter} (or {back} to go back)."
            if typed
            else f"Type {self.expected}, the number of entries that change orders, then {enter}."
        )
        self.typed = ""
        self._show_typed()
        self._show_note()

    def _show_typed(self) -> None:
        if self.is_mounted:
            self.query_one("#confirm-typed", StyledText).update(self._typed_text)
