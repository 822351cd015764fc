"""The sandbox's order book: the orders a merchant account holds, and the receiver's rules
for answering a decoded request (docs/protocol.md, "A batch and its answer" and "Malformed
requests"; per-order atomicity is our reading where the page is silent).

Time is read from an injected clock and everything time-driven (settling, arrivals) is
evaluated lazily when the book is next used. There is no background thread, so a test
that advances a fake clock sees exactly the same book every run.
"""

from __future__ import annotations

import heapq
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from ..protocol import STATUS_CODES, ActionError, ActionKind, OrderId, StagedAction
from ..protocol.form import DecodedEntry, DecodedRequest
from ..protocol.orderid import InvalidOrderId
from ..protocol.status import PENDING

ARRIVAL_STEP = 10.0
"""Seconds a new arrival spends as ``received``, then as ``processing``, before it is
``pending`` (so an arrival becomes actionable 20 s after it appears)."""

# Demo orders sit in every state but pending; they never move (only batches settle).
DEMO_STATES: tuple[str, ...] = tuple(sorted(STATUS_CODES - {PENDING}))

# What a ship or cancel leaves an order in, and what settling then turns that into.
_AFTER_ACTION = {ActionKind.SHIP: "mark_shipped", ActionKind.CANCEL: "mark_canceled"}
_ZERO = Decimal("0.00")
# The fields besides x_orderid_N/x_action_N an applied entry is recorded with.
_LOGGED_FIELDS = ("notes", "amount", "trackname", "tracknumber")

AppliedAction = tuple[str, str, dict[str, str]]
"""(canonical order number, action name, the entry's other fields as they were sent)."""


class Tracking(NamedTuple):
    carrier: str
    number: str
    notes: str


@dataclass(frozen=True)
class OrderRecord:
    """A snapshot of one order, for tests and the demo to inspect."""

    order_id: OrderId
    status: str
    discount: Decimal  # sum of every recorded adjust
    tracking: tuple[Tracking, ...]
    notes: tuple[str, ...]  # consumer-facing reasons given with cancel and adjust
    applied: tuple[str, ...]  # every non-query action applied, in order
    settle_at: float | None  # when mark_shipped/mark_canceled settles (clock time)


class _Order:
    __slots__ = (
        "applied",
        "created_at",
        "discount",
        "notes",
        "order_id",
        "pending_line",
        "settle_at",
        "status",
        "tracking",
    )

    def __init__(self, order_id: OrderId, status: str, created_at: float) -> None:
        self.order_id = order_id
        self.status = status
        self.created_at = created_at
        self.discount = _ZERO
        # Tuples, grown on the rare update: most orders of a stress-size book (docs/scale.md) never get one.
        self.tracking: tuple[Tracking, ...] = ()
        self.notes: tuple[str, ...] = ()
        self.applied: tuple[str, ...] = ()
        self.settle_at: float | None = None
        # Precomputed: a stress-size pending list (docs/scale.md) is then just a list of references.
        self.pending_line = f"{order_id} {PENDING}"

    def line(self) -> str:
        return self.pending_line if self.status == PENDING else f"{self.order_id} {self.status}"

    def snapshot(self) -> OrderRecord:
        return OrderRecord(
            self.order_id, self.status, self.discount, self.tracking, self.notes, self.applied, self.settle_at
        )


# Bounds on the book, so no option grows the sandbox without limit: twice the pending
# orders of the benchmarks' stress size (docs/scale.md; about 100 MB), and ten new orders a second.
MAX_ORDERS = 200_000
MAX_ARRIVALS = 600.0


class SandboxBook:
    """Orders by number, in creation order, behind one lock (requests arrive on many threads).

    ``orders`` pending orders are created, plus one demo order in each of the other fifteen
    states, at seeded random positions. Order numbers rise in creation order by small
    random steps, so they are unique and look like a real account's. The same ``seed``
    gives the same book (and the same arrivals for the same clock readings).

    ``settle``: seconds after the batch that ships or cancels an order, ``mark_shipped``
    becomes ``completed`` (``refunded`` if a discount was recorded) and ``mark_canceled``
    becomes ``canceled``. None: never.

    ``orders`` is at most MAX_ORDERS, ``arrivals`` at most MAX_ARRIVALS, and arrivals
    stop once the book holds MAX_ORDERS orders besides the demo ones: a sandbox's memory
    stays bounded (about 100 MB at the limit) whatever it is asked for.

    ``arrivals``: new orders a minute, one every ``60 / arrivals`` seconds of clock time
    after the book was made; each walks received -> processing -> pending, ARRIVAL_STEP
    seconds a step.
    """

    def __init__(
        self,
        orders: int = 40,
        seed: int | None = None,
        settle: float | None = None,
        arrivals: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= orders <= MAX_ORDERS:
            raise ValueError(f"orders must be 0 to {MAX_ORDERS:,}, not {orders:,}")
        if settle is not None and settle < 0:
            raise ValueError(f"settle must be >= 0 seconds, not {settle}")
        if not 0 <= arrivals <= MAX_ARRIVALS:
            raise ValueError(f"arrivals must be 0 to {MAX_ARRIVALS:,} a minute, not {arrivals}")
        self._lock = threading.Lock()
        self._clock = clock
        self._rng = random.Random(seed)
        self._settle = settle
        self._next_number = self._rng.randrange(100_000_000, 300_000_000)
        self._orders: dict[OrderId, _Order] = {}
        self._settling: list[tuple[float, int, OrderId]] = []  # heap by due time
        self._settle_seq = 0
        now = clock()
        self._origin = now
        self._arrival_interval = 60.0 / arrivals if arrivals else None
        self._arrivals_made = 0
        self._walking: deque[_Order] = deque()  # arrivals not yet pending, oldest first
        # Every action that changed an order, in the order applied (see applied()).
        self.applied_log: list[AppliedAction] = []
        slots = sorted(self._rng.sample(range(orders + len(DEMO_STATES)), len(DEMO_STATES)))
        demo_at = dict(zip(slots, DEMO_STATES, strict=True))
        for i in range(orders + len(DEMO_STATES)):
            order = self._create(demo_at.get(i, PENDING), now)
            if order.status == "refunded":
                order.discount = Decimal("5.00")

    # -- inspection (each brings the book up to the clock first) --------------------------

    def pending(self) -> list[OrderId]:
        """Pending orders, in creation order."""
        with self._lock:
            self._advance()
            return [o.order_id for o in self._orders.values() if o.status == PENDING]

    def status(self, order_id: str) -> str:
        """The order's status; KeyError for an order the book does not hold."""
        return self.record(order_id).status

    def record(self, order_id: str) -> OrderRecord:
        oid = OrderId.parse(order_id)
        with self._lock:
            self._advance()
            return self._orders[oid].snapshot()

    def with_status(self, status: str) -> list[OrderId]:
        """Orders now in ``status``, in creation order."""
        with self._lock:
            self._advance()
            return [o.order_id for o in self._orders.values() if o.status == status]

    def applied(self) -> list[AppliedAction]:
        """Every action that changed an order (ship, cancel, adjust, track), in the order
        the book applied them, across all requests: ``(order number, action, fields)``.
        Within a batch that is order by order, in first-appearance order, each order's
        entries in N order (as the answer lines go).

        ``fields`` holds the entry's x_notes_N/x_amount_N/x_trackname_N/x_tracknumber_N
        values exactly as received (only those sent). Queries and refused entries (and the
        other entries of a refused order) are not in it. A copy: the caller may keep it.
        """
        with self._lock:
            return [(oid, action, dict(fields)) for oid, action, fields in self.applied_log]

    def __len__(self) -> int:
        with self._lock:
            self._advance()
            return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        try:
            oid = OrderId.parse(order_id)
        except InvalidOrderId:
            return False
        with self._lock:
            self._advance()
            return oid in self._orders

    # -- the receiver's answer ------------------------------------------------------------

    def handle(
        self, request: DecodedRequest, *, first_error: bool = False, per_entry_reversed: bool = False
    ) -> list[str]:
        """Answer lines (no newlines) for an authenticated, decoded request.

        Broken numbering: one ``error_message invalid request: ...`` line, nothing applied.
        No entries: the pending list. Otherwise the batch, one line per distinct order.

        The two faults that shape a batch (see ``faults``): ``first_error`` applies each
        order's entries one by one and refuses the last of several after applying the
        ones before; ``per_entry_reversed`` answers one line per entry (the order's
        status after it, or its error), each order's lines in reverse.
        """
        with self._lock:
            self._advance()
            if request.error:
                return [_one_line(f"error_message {request.error}")]
            if not request.entries:
                return self._pending_lines()
            if not (first_error or per_entry_reversed):
                return [self._apply_order(key, entries) for key, entries in _group_by_order(request.entries)]
            out: list[str] = []
            for key, entries in _group_by_order(request.entries):
                lines = self._apply_one_by_one(key, entries, refuse_last=first_error and len(entries) > 1)
                out += lines[::-1] if per_entry_reversed else lines[-1:]
            return out

    def pending_lines(self) -> list[str]:
        """The pending list's answer, as a request without entries gets it."""
        with self._lock:
            self._advance()
            return self._pending_lines()

    def _pending_lines(self) -> list[str]:
        lines = [o.pending_line for o in self._orders.values() if o.status == PENDING]
        return lines or ["message no_pending_orders"]

    def _apply_order(self, key: OrderId | str, entries: list[DecodedEntry]) -> str:
        """All of one order's entries, or none of them: the first error is its answer.

        Entries are checked in N order against a simulated status, so a track after a
        ship in the same batch fails (the order is no longer pending) and the ship is not
        applied either.
        """
        order = self._orders.get(key) if isinstance(key, OrderId) else None
        simulated = order.status if order is not None else None
        plan: list[tuple[StagedAction, DecodedEntry]] = []
        for entry in entries:
            try:
                action = _staged(entry)
            except ActionError as exc:
                return _one_line(f"{key} error_message invalid {exc.field}: {exc.message}")
            if order is None:
                return f"{key} error_message order_not_found"
            if action.kind is ActionKind.QUERY:
                continue
            if simulated != PENDING:
                return f"{key} error_message order_not_pending"
            simulated = _AFTER_ACTION.get(action.kind, simulated)
            plan.append((action, entry))
        assert order is not None
        for action, entry in plan:
            self._record(order, action, entry)
        return order.line()

    def _apply_one_by_one(self, key: OrderId | str, entries: list[DecodedEntry], *, refuse_last: bool) -> list[str]:
        """Each entry applied as it is checked, up to the first error: a line per entry
        answered (the order's status after it, or the error that stopped the order)."""
        order = self._orders.get(key) if isinstance(key, OrderId) else None
        lines: list[str] = []
        for i, entry in enumerate(entries):
            if refuse_last and i == len(entries) - 1:
                lines.append(f"{key} error_message entry {entry.n} refused (fault first-error)")
                break
            try:
                action = _staged(entry)
            except ActionError as exc:
                lines.append(_one_line(f"{key} error_message invalid {exc.field}: {exc.message}"))
                break
            if order is None:
                lines.append(f"{key} error_message order_not_found")
                break
            if action.kind is not ActionKind.QUERY:
                if order.status != PENDING:
                    lines.append(f"{key} error_message order_not_pending")
                    break
                self._record(order, action, entry)
            lines.append(order.line())
        return lines

    def _record(self, order: _Order, action: StagedAction, entry: DecodedEntry) -> None:
        self._apply(order, action)
        sent = entry.fields
        self.applied_log.append(
            (str(order.order_id), action.kind.value, {name: sent[name] for name in _LOGGED_FIELDS if name in sent})
        )

    def _apply(self, order: _Order, action: StagedAction) -> None:
        order.applied += (action.kind.value,)
        if action.notes and action.kind is not ActionKind.TRACK:
            order.notes += (action.notes,)
        if action.kind is ActionKind.ADJUST and action.amount is not None:
            order.discount += action.amount
        elif action.kind is ActionKind.TRACK:
            order.tracking += (Tracking(action.trackname, action.tracknumber, action.notes),)
        elif action.kind in _AFTER_ACTION:
            order.status = _AFTER_ACTION[action.kind]
            if self._settle is not None:
                order.settle_at = self._clock() + self._settle
                self._settle_seq += 1
                heapq.heappush(self._settling, (order.settle_at, self._settle_seq, order.order_id))

    # -- time -----------------------------------------------------------------------------

    def _advance(self) -> None:
        """Settle what is due and bring arrivals up to the clock. The caller holds the lock."""
        now = self._clock()
        while self._settling and self._settling[0][0] <= now:
            _, _, oid = heapq.heappop(self._settling)
            order = self._orders[oid]
            if order.status == "mark_shipped":
                order.status = "refunded" if order.discount > 0 else "completed"
            elif order.status == "mark_canceled":
                order.status = "canceled"
        if self._arrival_interval is not None:
            due = int((now - self._origin) / self._arrival_interval)
            while self._arrivals_made < due and len(self._orders) < MAX_ORDERS + len(DEMO_STATES):
                self._arrivals_made += 1
                arrives_at = self._origin + self._arrivals_made * self._arrival_interval
                self._walking.append(self._create("received", arrives_at))
            while self._walking:
                order = self._walking[0]
                age = now - order.created_at
                if age >= 2 * ARRIVAL_STEP:
                    order.status = PENDING
                    self._walking.popleft()
                    continue
                # The rest are younger; at most one step's worth of them is still received.
                for younger in self._walking:
                    younger.status = "processing" if now - younger.created_at >= ARRIVAL_STEP else "received"
                break

    def _create(self, status: str, created_at: float) -> _Order:
        self._next_number += 1 + int(self._rng.random() * 9)  # 1..9; random() is the fast C call
        if self._next_number > 999_999_999:  # pragma: no cover - needs ~10^8 orders
            raise OverflowError("the sandbox ran out of nine-digit order numbers")
        oid = OrderId.from_digits(str(self._next_number))
        order = self._orders[oid] = _Order(oid, status, created_at)
        return order


def _staged(entry: DecodedEntry) -> StagedAction:
    """Validate one received entry with the client's own rules (one source of truth)."""
    return StagedAction.make(
        entry.get("orderid"),
        entry.get("action"),
        notes=entry.get("notes"),
        amount=entry.fields.get("amount"),
        trackname=entry.get("trackname"),
        tracknumber=entry.get("tracknumber"),
    )


def _group_by_order(entries: Iterable[DecodedEntry]) -> list[tuple[OrderId | str, list[DecodedEntry]]]:
    """Entries by order, in first-appearance order; both spellings of a number are one order.

    An entry whose order number does not parse is keyed by its raw value, made safe to
    show as the first word of an answer line.
    """
    groups: dict[OrderId | str, list[DecodedEntry]] = {}
    for entry in entries:
        raw = entry.get("orderid")
        try:
            key: OrderId | str = OrderId.parse(raw)
        except InvalidOrderId:
            key = _raw_token(raw)
        groups.setdefault(key, []).append(entry)
    return list(groups.items())


def _raw_token(raw: str) -> str:
    """The bad order number verbatim when it is one printable word; else its repr().

    Quoting keeps the line one line, and keeps an empty value or the word ``message`` from
    turning an order's error into what reads as a whole-request error.
    """
    text = raw.strip()
    if text and text.isprintable() and not any(c.isspace() for c in text) and text not in ("message", "error_message"):
        return text
    return repr(text)


MAX_ANSWER_LINE = 500  # characters of an error line; what is cut ends in "..."
SHOWN_WORD = 60  # characters kept of a longer word (a megabyte of order number, say)
_LONG_WORD = re.compile(rf"\S{{{SHOWN_WORD + 1},}}")


def _one_line(text: str) -> str:
    """An error answer as one line of sensible length: values echoed from the request
    (a bad order number, amount or action) can be as long as the body."""
    line = " ".join(text.splitlines())
    if len(line) <= MAX_ANSWER_LINE:
        return line
    line = _LONG_WORD.sub(lambda m: m.group()[:SHOWN_WORD] + "...", line)
    return line if len(line) <= MAX_ANSWER_LINE else line[:MAX_ANSWER_LINE] + "..."
