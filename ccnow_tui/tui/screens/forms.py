"""Forms for the actions that take fields, and for going to an order by number.

Validation is the core's own (StagedAction.make, OrderId.parse), run as you type; the
error shows under the field once that field has been touched (or on enter). Enter
submits, escape cancels; both act before the next key is looked at (see typeahead.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from ...protocol.actions import ActionError, ActionKind, StagedAction, format_amount
from ...protocol.orderid import InvalidOrderId, OrderId
from ...protocol.redact import contains_secret
from ...words import counted
from ..widgets.field_input import FieldInput
from .typeahead import TypeAheadTarget

# (field, label, placeholder) per action; the field names are StagedAction.make's.
FORM_FIELDS: dict[ActionKind, list[tuple[str, str, str]]] = {
    ActionKind.CANCEL: [("notes", "Reason (shown to the consumer; optional)", "e.g. out of stock")],
    ActionKind.TRACK: [
        ("trackname", "Carrier", "e.g. UPS, FedEx, DHL"),
        ("tracknumber", "Tracking number", "e.g. 1Z999AA10123456784"),
        ("notes", "Notes (shown to the consumer; optional)", ""),
    ],
    ActionKind.ADJUST: [
        ("amount", "Discount in USD", "e.g. 5.00"),
        ("notes", "Reason (shown to the consumer; optional)", ""),
    ],
}


def _orders_text(orders: list[OrderId]) -> str:
    shown = ", ".join(orders[:3])
    return shown + (f" and {len(orders) - 3} more" if len(orders) > 3 else "")


class ActionForm(TypeAheadTarget[list[StagedAction] | None]):
    """Fields of one action, for one or more orders. Returns the entries, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority bindings run as the app takes the key, before it looks at the next one:
        # keys typed after tab in one burst (common over SSH) land in the next field, and
        # keys typed after enter or esc act on the screen underneath, not in this form.
        Binding(
            "enter",
            "submit",
            "Stage",
            show=False,
            priority=True,
            id="form.submit",
            tooltip="Stage the entries and close the form",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            priority=True,
            id="form.cancel",
            tooltip="Close the form without staging",
        ),
        Binding("tab", "next_field", "Next field", show=False, priority=True, id="form.next"),
        Binding("shift+tab", "previous_field", "Previous field", show=False, priority=True, id="form.previous"),
    ]

    def __init__(self, kind: ActionKind, orders: list[OrderId], initial: StagedAction | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.orders = orders
        self.initial = initial
        self.touched: set[str] = set()

    def compose(self) -> ComposeResult:
        verb = "Edit" if self.initial else "Stage"
        n = len(self.orders)
        with Vertical(classes="dialog"):
            yield Label(Text(f"{verb} {self.kind.value} for {counted(n, 'order', 'orders')}"), classes="title")
            yield Static(Text(_orders_text(self.orders)), classes="muted")
            for name, label, placeholder in FORM_FIELDS[self.kind]:
                yield Label(label)
                yield FieldInput(
                    self._initial(name), placeholder=placeholder, id=f"f-{name}", select_on_focus=False, compact=True
                )
                yield Static("", id=f"e-{name}", classes="field-error")
                if name == "amount":  # a plausible amount, as typed: above the profile's limit is flagged
                    yield Static("", id="w-amount", classes="field-warning")
            yield Static(Text("enter: stage   esc: cancel   tab: next field"), classes="muted")

    def _initial(self, name: str) -> str:
        e = self.initial
        if e is None:
            return ""
        if name == "amount":
            return format_amount(e.amount) if e.amount is not None else ""
        return str(getattr(e, name, ""))

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#f-{name}", Input).value for name, _, _ in FORM_FIELDS[self.kind]}

    def build(self, orders: list[OrderId] | None = None) -> tuple[list[StagedAction], ActionError | None]:
        values = self.values()
        try:
            return [StagedAction.make(oid, self.kind, **values) for oid in (orders or self.orders)], None
        except ActionError as exc:
            return [], exc

    @property
    def max_discount(self) -> Decimal | None:
        """The profile's limit above which a discount is flagged (None: no session yet)."""
        session = getattr(self.app, "session", None)
        return session.settings.max_discount if session is not None else None

    def show_warning(self, entries: list[StagedAction]) -> None:
        """A discount above the profile's max_discount, flagged as it is typed (it may still
        be staged: the lint and the confirmation flag it again)."""
        if self.kind is not ActionKind.ADJUST:
            return
        limit = self.max_discount
        amount = entries[0].amount if entries else None
        box = self.query_one("#w-amount", Static)
        if limit is None or amount is None or amount <= limit:
            box.update("")
            return
        box.update(
            Text(
                f"⚠ ${amount:,.2f} for {_orders_text(self.orders)} is more than this profile's "
                f"max_discount (${limit:,.2f}): check the amount (a missing dot?)"
            )
        )

    def show_errors(self, every: bool) -> ActionError | None:
        # The fields are the same for every order: checking one per keystroke is enough.
        entries, error = self.build(self.orders[:1])
        self.show_warning(entries)
        for name, _, _ in FORM_FIELDS[self.kind]:
            box = self.query_one(f"#e-{name}", Static)
            if error is not None and error.field == name and (every or name in self.touched):
                box.update(Text(error.message))
            else:
                box.update("")
        return error

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self.touched.add(event.input.id.removeprefix("f-"))
        self.show_errors(every=False)

    def action_submit(self) -> None:
        entries, error = self.build()
        if error is None:
            self.dismiss(entries)
            return
        self.show_errors(every=True)
        bad = self.query(f"#f-{error.field}")
        if bad:
            self.set_focus(bad.first())  # at once: the keys after enter go to the bad field

    def action_cancel(self) -> None:
        self.dismiss(None)


GOTO_CLEARED = "What was typed holds the API password: it was cleared (it is never shown). Type an order number."


class GoToForm(TypeAheadTarget[OrderId | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Open", show=False, priority=True, id="form.submit", tooltip="Open the order"),
        Binding("escape", "cancel", "Cancel", priority=True, id="form.cancel", tooltip="Close without going anywhere"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text("Go to order"), classes="title")
            yield FieldInput(placeholder="396-10-1142 or 396101142", id="f-order", compact=True)
            yield Static("", id="e-order", classes="field-error")
            yield Static(Text("enter: open   esc: cancel"), classes="muted")

    def _parse(self) -> tuple[OrderId | None, str]:
        """The order typed, or why it is none. The reason never repeats the text typed (it
        is in the field above it): a password pasted here by mistake is not shown twice."""
        try:
            return OrderId.parse(self.query_one(Input).value), ""
        except InvalidOrderId as exc:
            return None, f"What is typed {exc.without_value()}"

    cleared = False  # the field held the password and was emptied

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.cleared and not event.value:
            self.query_one("#e-order", Static).update(Text(GOTO_CLEARED))
            return
        self.cleared = False
        # A half-typed number is not an error yet; a letter or an eleventh digit is.
        text = event.value.strip()
        hopeless = any(c not in "0123456789-" for c in text) or len(text) > 11
        _, error = self._parse()
        self.query_one("#e-order", Static).update(Text(error) if error and (hopeless or len(text) >= 9) else "")

    def action_submit(self) -> None:
        oid, error = self._parse()
        if oid is not None:
            self.dismiss(oid)
            return
        field = self.query_one(Input)
        if contains_secret(field.value):  # the password pasted here: off the screen at once
            self.cleared = True  # said by _changed, once the field is empty
            field.value = ""
            return
        self.query_one("#e-order", Static).update(Text(error))

    def action_cancel(self) -> None:
        self.dismiss(None)
