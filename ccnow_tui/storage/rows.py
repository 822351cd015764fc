"""An entry's row in the store: reading it back (checked for values no ccnow-tui writes)
and the values written for it (typed data as it is, network words masked)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter, countOf
from typing import Any, NamedTuple

from ..protocol.actions import ActionKind, StagedAction, format_amount
from ..protocol.orderid import OrderId
from ..protocol.redact import redact
from ..protocol.status import STATUS_CODES
from .records import CorruptRow, EntryState, StoredEntry


def mask(text: str) -> str:
    """Free text as stored: with the password masked (most of it is empty)."""
    return redact(text) if text else text


def status_word(word: str) -> str:
    """A status word from the network as stored: one of the protocol's codes is typed data,
    stored as it is; any other word is the receiver's free text, masked like the rest (a
    receiver may answer anything as a status, the password included)."""
    return word if word in STATUS_CODES else mask(word)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_KINDS = {k.value: k for k in ActionKind}
_STATES = {s.value: s for s in EntryState}
# Made without the named tuple's constructor and OrderId's class call: only in entry()
# and stored_action(), the hot loop of every start (store_bench.py's store_open_100k_s):
# the stress size's rows in 0.467 s of CPU this way, 0.554 s through the constructors
# (one process, interleaved, min of 11).
_new_id = str.__new__
_new = tuple.__new__


_ORDER_TEXT = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}").fullmatch  # as the store writes order numbers


def stored_action(
    order_id: str, action: str, notes: str, amount: str, trackname: str, tracknumber: str, *, row: object = None
) -> StagedAction:
    """An entry as the store wrote it: validated when staged, so only checked for values
    no ccnow-tui writes (a few cheap tests: all of them load at every start, docs/scale.md).
    CorruptRow names the value (and ``row``, the entries row id, when given)."""
    kind = _KINDS.get(action) if type(action) is str else None
    if (
        kind is None
        or type(order_id) is not str
        or not _ORDER_TEXT(order_id)
        or type(notes) is not str
        or type(trackname) is not str
        or type(tracknumber) is not str
    ):
        raise CorruptRow(_where(row) + _bad_fields(order_id, action, notes, trackname, tracknumber))
    value = None
    if amount:
        try:
            value = Decimal(amount)
        except (ArithmeticError, TypeError, ValueError):
            value = None
        if value is None or not value.is_finite() or value <= 0:
            raise CorruptRow(f"{_where(row)}amount {amount!r} is not an amount")
    return _new(StagedAction, (_new_id(OrderId, order_id), kind, notes, value, trackname, tracknumber))


def _where(row: object) -> str:
    return f"table entries, row id {row}: " if row is not None else "table entries: "


def _bad_fields(order_id: object, action: object, notes: object, trackname: object, tracknumber: object) -> str:
    if type(order_id) is not str or not _ORDER_TEXT(order_id):
        return f"order_id {order_id!r} is not an order number"
    if type(action) is not str or action not in _KINDS:
        return f"action {action!r} is not an action"
    for name, value in (("notes", notes), ("trackname", trackname), ("tracknumber", tracknumber)):
        if type(value) is not str:
            return f"{name} {value!r} is not text"
    return "a value cannot be read"  # pragma: no cover - one of the tests above failed


# An action's columns in the entries table, in the order of ``columns`` and
# ``column_values``: the statements that write an entry are built from them.
ACTION_COLS = ("order_id", "action", "notes", "amount", "trackname", "tracknumber")

# StagedAction's fields by name, at C speed.
ORDER_OF, _NOTES_OF, _AMOUNT_OF = attrgetter("order_id"), attrgetter("notes"), attrgetter("amount")
_KIND_OF, _TRACKNAME_OF, _TRACKNUMBER_OF = attrgetter("kind"), attrgetter("trackname"), attrgetter("tracknumber")


def column_values(actions: Sequence[StagedAction]) -> list[Iterable[str]]:
    """``columns`` of every action, column by column (to zip into rows at C speed)."""
    return [
        map(ORDER_OF, actions),
        map(str, map(_KIND_OF, actions)),  # a StrEnum's str() is its value, at C speed
        map(_NOTES_OF, actions),
        [format_amount(x) if x is not None else "" for x in map(_AMOUNT_OF, actions)],
        map(_TRACKNAME_OF, actions),
        map(_TRACKNUMBER_OF, actions),
    ]


def alike(actions: Sequence[StagedAction]) -> bool:
    """Every action has the same kind and fields (only the order differs). Compared at C
    speed, field by field against the first action's, with no object made per action
    (``countOf`` tries identity first: the fields of a whole list staged at once are the
    same objects); about three times faster than a set of per-action tuples at the stress
    size (docs/scale.md)."""
    if not actions:
        return True
    first, n = actions[0], len(actions)
    return all(
        countOf(map(field, actions), field(first)) == n
        for field in (_KIND_OF, _NOTES_OF, _AMOUNT_OF, _TRACKNAME_OF, _TRACKNUMBER_OF)
    )


def columns(a: StagedAction) -> tuple[str, str, str, str, str, str]:
    return (
        a.order_id,
        a.kind.value,
        a.notes,
        format_amount(a.amount) if a.amount is not None else "",
        a.trackname,
        a.tracknumber,
    )


def fields_json(a: StagedAction) -> str:
    d = {
        k: v
        for k, v in (
            ("amount", format_amount(a.amount) if a.amount is not None else ""),
            ("trackname", a.trackname),
            ("tracknumber", a.tracknumber),
            ("notes", a.notes),
        )
        if v
    }
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")) if d else ""


# The columns a live entry is read from: its action's (ACTION_COLS, in stored_action's
# order), then what the store keeps of it.
ENTRY_COLUMNS = ("id", *ACTION_COLS, "state", "batch_id", "remark", "rev", "pos")
ENTRY_COLS = ", ".join(ENTRY_COLUMNS)
# Where entry() and entries.snapshot() read each column of such a row, by position (the
# hot loop below): named from ENTRY_COLUMNS, so a column added anywhere moves them all.
ID_AT, STATE_AT, BATCH_AT, REMARK_AT, REV_AT, POS_AT = map(
    ENTRY_COLUMNS.index, ("id", "state", "batch_id", "remark", "rev", "pos")
)
ACTION_AT = slice(ENTRY_COLUMNS.index(ACTION_COLS[0]), ENTRY_COLUMNS.index(ACTION_COLS[-1]) + 1)


def entry(row: Sequence[Any]) -> StoredEntry:
    """A row of ``ENTRY_COLS`` as the entry it holds. Read by position: this is the hot
    loop of every start (``Store.snapshot``, timed as ``store_open_100k_s`` by
    tests/benchmarks/store_bench.py)."""
    staged = stored_action(*row[ACTION_AT], row=row[ID_AT])
    state = _STATES.get(row[STATE_AT]) if type(row[STATE_AT]) is str else None
    if state is None:
        raise CorruptRow(f"{_where(row[ID_AT])}state {row[STATE_AT]!r} is not an entry's state")
    return _new(StoredEntry, (row[ID_AT], staged, state, row[BATCH_AT], row[REMARK_AT], row[REV_AT], row[POS_AT]))


class EntryRow(NamedTuple):
    """An entries row in full (``ROW_COLS``): what a change reads before it writes, and
    what an undo step keeps (as a JSON array, in this order) to put the row back."""

    id: int
    pos: int
    order_id: str
    action: str
    notes: str
    amount: str
    trackname: str
    tracknumber: str
    state: str
    batch_id: str | None
    remark: str
    rev: int
    origin: str

    def restored(self) -> tuple[Any, ...]:
        """The values an undo puts back (``RESTORED_COLS``)."""
        return _RESTORED_OF(self)

    def staged(self) -> StagedAction:
        """The action the row holds (CorruptRow if it holds what no ccnow-tui writes)."""
        return stored_action(
            self.order_id, self.action, self.notes, self.amount, self.trackname, self.tracknumber, row=self.id
        )

    def entry(self) -> StoredEntry:
        """The live entry the row holds."""
        staged = self.staged()
        state = _STATES.get(self.state) if type(self.state) is str else None
        if state is None:
            raise CorruptRow(f"{_where(self.id)}state {self.state!r} is not an entry's state")
        return StoredEntry(self.id, staged, state, self.batch_id, self.remark, self.rev, self.pos)


ROW_COLS = ", ".join(EntryRow._fields)
RESTORED_COLS = tuple(c for c in EntryRow._fields if c not in ("id", "rev", "origin"))  # what an undo puts back
_RESTORED_OF = attrgetter(*RESTORED_COLS)
