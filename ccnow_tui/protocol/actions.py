"""The five ``x_action_N`` actions, their fields and the rules those fields follow."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import repeat
from typing import Any, NamedTuple

from .orderid import InvalidOrderId, OrderId
from .redact import contains_secret, redact

MAX_NOTES = 500
MAX_AMOUNT = Decimal("1000000")
MAX_TRACK_FIELD = 100


class ActionKind(StrEnum):
    QUERY = "query"
    CANCEL = "cancel"
    SHIP = "ship"
    ADJUST = "adjust"
    TRACK = "track"

    @property
    def changes_orders(self) -> bool:
        """Whether sending it changes money or goods (never re-sent automatically)."""
        return self is not ActionKind.QUERY


# Within one order the composer sends entries in this order: adjust and track need a
# pending order, so they must come before the ship or cancel that ends it.
ACTION_RANK: dict[ActionKind, int] = {
    ActionKind.QUERY: 0,
    ActionKind.ADJUST: 1,
    ActionKind.TRACK: 2,
    ActionKind.SHIP: 3,
    ActionKind.CANCEL: 3,
}

# Which fields each action sends besides x_orderid_N/x_action_N.
ACTION_FIELDS: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.QUERY: (),
    ActionKind.CANCEL: ("notes",),
    ActionKind.SHIP: (),
    ActionKind.ADJUST: ("amount", "notes"),
    ActionKind.TRACK: ("trackname", "tracknumber", "notes"),
}
# Every field an action may carry, in the order ACTION_FIELDS first names them.
ALL_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for fields in ACTION_FIELDS.values() for f in fields))
# The fields of free text (where a pasted password could hide); the rest are amounts.
TEXT_FIELDS: tuple[str, ...] = tuple(f for f in ALL_FIELDS if f != "amount")
# Actions with no fields at all; a StrEnum set also holds their plain-text spellings.
_FIELDLESS = frozenset(k for k, fields in ACTION_FIELDS.items() if not fields)
_FIELDLESS_BY_NAME: dict[str, ActionKind] = {k.value: k for k in _FIELDLESS}


class ActionError(ValueError):
    """A staged entry that breaks a rule; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def parse_action_kind(value: object) -> ActionKind:
    text = str(value).strip().lower()
    try:
        return ActionKind(text)
    except ValueError:
        raise ActionError("action", f"{str(value)!r} is not an action (query, cancel, ship, adjust, track)") from None


def parse_amount(value: object) -> Decimal:
    """A USD discount: plain decimal, > 0, at most two places. No '$', commas or exponents."""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ActionError("amount", "a discount amount is required for adjust")
    if any(c not in "0123456789." for c in text) or text.count(".") > 1 or text in {"."}:
        raise ActionError(
            "amount", f"{text!r} is not a plain amount like 5.00 (digits and one '.', no $, commas or signs)"
        )
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the character check above guards this
        raise ActionError("amount", f"{text!r} is not a number") from None
    if amount <= 0:
        raise ActionError("amount", f"{text!r} must be greater than 0")
    if "." in text and len(text.split(".", 1)[1]) > 2:
        raise ActionError("amount", f"{text!r} has more than two decimal places")
    if amount >= MAX_AMOUNT:
        raise ActionError("amount", f"{text!r} is implausibly large for a discount")
    return amount.quantize(Decimal("0.01"))


def format_amount(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def describe_fields(amount: Decimal | str | None, trackname: str, tracknumber: str, notes: str) -> str:
    """An entry's fields as every view shows them: ``$5.00``, ``UPS 1Z999``, ``“late”``.

    ``amount`` as an entry holds it (a Decimal) or as the journal stores it (``"5.00"``,
    empty for none). The password masked: a note or tracking field staged by a process
    that did not know it may hold it (the lint says so; the text never shows it). Not
    escaped: callers render it as plain text.
    """
    parts = []
    if amount is not None and amount != "":
        parts.append(f"${format_amount(amount) if isinstance(amount, Decimal) else amount}")
    if trackname or tracknumber:
        parts.append(f"{trackname} {tracknumber}".strip())
    if notes:
        parts.append(f"“{notes}”")
    return redact(" ".join(parts))


# Characters that change how the rest of the text looks, or that cannot be seen at all: a
# note (or tracking field) holding one reads differently on the consumer's screen than on
# the operator's. Refused, naming the character and where it was typed. The rule is the
# Unicode category: every format character (Cf: bidi controls, zero-width characters, the
# BOM, soft hyphen, tags, interlinear annotation, ...), and the invisible characters of
# other categories that Unicode calls default-ignorable: the combining grapheme joiner,
# the Hangul fillers, the Khmer inherent vowels, and the tag and noncharacter-specials
# ranges whatever this Python's Unicode version assigns there (variation selectors stay:
# they pick an emoji's look). Unpaired surrogates cannot be sent at all (the form is UTF-8).
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff\ud800-\udfff]"
)
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cs"})
# U+2028/U+2029 (line and paragraph separator) are line breaks to a reader but not to
# split("\n"): they fold like \n does. VT, FF and NEL stay refused as control characters:
# in a note they are a paste or encoding accident (cp1252's '…' read as Latin-1 is NEL).


def first_invisible(text: str) -> tuple[int, str] | None:
    """``(index, character)`` of the first character in ``text`` that cannot be seen or
    that changes how the rest looks (see above); None when there is none."""
    if text.isascii():  # plain ASCII (nearly every note) has none of these
        return None
    for index, char in enumerate(text):
        if char > "\x7f" and (unicodedata.category(char) in _INVISIBLE_CATEGORIES or _IGNORABLE.match(char)):
            return index, char
    return None


def _invisible_kind(char: str) -> str:
    if char in _BIDI_CONTROLS:
        return "a bidi control"
    if char in _ZERO_WIDTH:
        return "a zero-width character"
    if "\ud800" <= char <= "\udfff":
        return "an unpaired surrogate"  # cannot be sent: the form is UTF-8
    if char == "\u00ad":
        return "a soft hyphen (invisible)"
    if "\U000e0000" <= char <= "\U000e0fff":
        return "a tag character (invisible)"
    if unicodedata.category(char) == "Cf":
        return "an invisible format character"
    return "an invisible character"


def clean_notes(value: object, field: str = "notes", limit: int = MAX_NOTES) -> str:
    """Notes go to the consumer: line breaks (also U+2028/U+2029) fold to single spaces;
    no control characters, invisible characters (format characters, by Unicode category, and
    the other default-ignorable ones), nor the API password;
    at most ``limit`` characters."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():
        found = first_invisible(text)
        if found:
            index, char = found
            raise ActionError(field, f"contains {_invisible_kind(char)} U+{ord(char):04X} at position {index + 1}")
        if "\u2028" in text or "\u2029" in text:
            text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    if "\n" in text or "\r" in text:
        text = " ".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    text = text.replace("\t", " ").strip()
    bad = sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 32 or 0x7F <= ord(c) < 0xA0})
    if bad:
        raise ActionError(field, f"contains control characters ({', '.join(bad)})")
    if len(text) > limit:
        raise ActionError(field, f"is {len(text)} characters long; at most {limit} are allowed")
    if text and contains_secret(text):
        # Never repeat the text: it holds the password.
        raise ActionError(field, "contains the API password; it would be sent to the consumer")
    return text


def _clean_track_field(value: object, field: str, label: str) -> str:
    text = clean_notes(value, field, MAX_TRACK_FIELD)
    if not text:
        raise ActionError(field, f"{label} is required for track")
    return text


_new = tuple.__new__  # only in StagedAction.fieldless: see there


class StagedAction(NamedTuple):
    """One entry of a batch, already validated. Build it with :meth:`make`.

    A NamedTuple (immutable, hashable, compared by value) because it is made at C speed:
    every one the store holds is loaded at every start (the stress size: docs/scale.md).
    """

    order_id: OrderId
    kind: ActionKind
    notes: str = ""
    amount: Decimal | None = None
    trackname: str = ""
    tracknumber: str = ""

    @classmethod
    def make(
        cls,
        order_id: object,
        kind: object,
        *,
        notes: object = "",
        amount: object = None,
        trackname: object = "",
        tracknumber: object = "",
    ) -> StagedAction:
        """Validate raw input (from a form, a CSV row or a draft) into an entry.

        Fields the action does not use must be empty, so that nothing the operator typed
        is silently dropped.
        """
        if (
            isinstance(kind, str)
            and kind in _FIELDLESS
            and notes == ""
            and amount is None
            and trackname == ""
            and tracknumber == ""
        ):
            # Nothing but the order number to check: staging ship at the stress size, or
            # loading a draft of them, need not walk the field rules for each.
            try:
                return cls(OrderId.parse(order_id), _FIELDLESS_BY_NAME[kind])
            except InvalidOrderId as exc:
                raise ActionError("order_id", str(exc)) from None
        try:
            oid = OrderId.parse(order_id)
        except InvalidOrderId as exc:
            raise ActionError("order_id", str(exc)) from None
        k = kind if isinstance(kind, ActionKind) else parse_action_kind(kind)
        used = ACTION_FIELDS[k]
        raw = {"notes": notes, "amount": amount, "trackname": trackname, "tracknumber": tracknumber}
        for name, value in raw.items():
            if name not in used and value not in (None, "") and str(value).strip():
                raise ActionError(name, f"{k.value} does not take {name}")
        clean_amount = parse_amount(amount) if k is ActionKind.ADJUST else None
        if k is ActionKind.TRACK:
            tname = _clean_track_field(trackname, "trackname", "a carrier (tracking service)")
            tnumber = _clean_track_field(tracknumber, "tracknumber", "a tracking number")
        else:
            tname = tnumber = ""
        return cls(oid, k, clean_notes(notes) if "notes" in used else "", clean_amount, tname, tnumber)

    def form_fields(self, n: int) -> list[tuple[str, str]]:
        """The ``x_*_N`` fields this entry sends as entry number ``n``."""
        out = [(f"x_orderid_{n}", str(self.order_id)), (f"x_action_{n}", self.kind.value)]
        if self.kind is ActionKind.ADJUST and self.amount is not None:
            out.append((f"x_amount_{n}", format_amount(self.amount)))
        if self.kind is ActionKind.TRACK:
            out.append((f"x_trackname_{n}", self.trackname))
            out.append((f"x_tracknumber_{n}", self.tracknumber))
        if self.notes:
            out.append((f"x_notes_{n}", self.notes))
        return out

    def describe(self) -> str:
        """A one-line human summary (not escaped: callers render it as plain text)."""
        fields = self.fields_text()
        return f"{self.kind.value} {self.order_id} {fields}" if fields else f"{self.kind.value} {self.order_id}"

    def fields_text(self) -> str:
        """The entry's fields alone (:func:`describe_fields`)."""
        return describe_fields(self.amount, self.trackname, self.tracknumber, self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": str(self.order_id),
            "action": self.kind.value,
            "notes": self.notes,
            "amount": format_amount(self.amount) if self.amount is not None else "",
            "trackname": self.trackname,
            "tracknumber": self.tracknumber,
        }

    @classmethod
    def fieldless(cls, kind: ActionKind, order_ids: Iterable[OrderId]) -> list[StagedAction]:
        """One ``kind`` action (ship or query: it has no fields) for each of ``order_ids``,
        order numbers already parsed. Made at C speed, from tuples zipped without the named
        tuple's Python-level constructor (it checks nothing): staging ship for a whole list
        is one keystroke, timed as tests/benchmarks/tui_scale.py's ``stage_ship_100k_s``
        (docs/scale.md)."""
        if kind not in _FIELDLESS:
            raise ActionError("action", f"{kind.value} takes fields")
        return list(
            map(_new, repeat(cls), zip(order_ids, repeat(kind), repeat(""), repeat(None), repeat(""), repeat("")))
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StagedAction:
        return cls.make(
            data.get("order_id"),
            data.get("action", ""),
            notes=data.get("notes", ""),
            amount=data.get("amount") or None,
            trackname=data.get("trackname", ""),
            tracknumber=data.get("tracknumber", ""),
        )
