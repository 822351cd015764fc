"""What the TUI knows about the account between requests: plain data, no widgets.

The queue is the last pending list, in the receiver's order; statuses come from that list
and from every later answer (queries, batches), each with the time it was learnt. The log
is a bounded ring of lines: the journal keeps the full history, the screen only the tail.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from ..protocol.orderid import OrderId
from ..protocol.outcome import Outcome
from ..protocol.status import PENDING
from ..words import counted as counted  # re-exported: the screens import it from here

if TYPE_CHECKING:
    from ..storage.store import HistoryItem, Store

LOG_LINES = 2000


class LogKind(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    UNKNOWN = "unknown"
    UNVERIFIED = "unverified"  # a status cannot prove it either way (an adjust, a track)
    INFO = "info"
    ERROR = "error"


# A word on every line, so the outcome reads the same without colour (NO_COLOR).
LOG_TAGS = {
    LogKind.APPLIED: "✔ applied",
    LogKind.REFUSED: "✖ refused",
    LogKind.UNKNOWN: "? UNKNOWN",
    LogKind.UNVERIFIED: "? unverified",
    LogKind.INFO: "·",
    LogKind.ERROR: "! error",
}


class Topic(StrEnum):
    """What changed, published on the app's ``changed`` signal; screens redraw what depends on it."""

    ALL = "all"  # a screen coming back: everything
    LOG = "log"  # new status log lines
    ROWS = "rows"  # the pending list's rows (a new list, more of it, or it is loading)
    STATUS = "status"  # statuses learnt from a query or batch answer
    STAGING = "staging"  # the staged entries, held or unverified batches
    FLIGHT = "flight"  # a batch started, progressed or finished
    EVENTS = "events"  # new journal lines (the "last sent" column, an order's history)


OUTCOME_KIND = {
    Outcome.OK: LogKind.APPLIED,
    Outcome.SOME_REFUSED: LogKind.REFUSED,
    Outcome.REFUSED: LogKind.REFUSED,
    Outcome.UNREACHABLE: LogKind.ERROR,
    Outcome.UNKNOWN: LogKind.UNKNOWN,
}


@dataclass(frozen=True, slots=True)
class LogLine:
    when: str  # local HH:MM:SS
    kind: LogKind
    text: str  # plain text; may hold network text, so it is never read as markup


class LogBuffer:
    """The last ``maxlen`` log lines; ``total`` counts every line ever written."""

    def __init__(self, maxlen: int = LOG_LINES) -> None:
        self.lines: deque[LogLine] = deque(maxlen=maxlen)
        self.total = 0

    def write(self, kind: LogKind, text: str) -> LogLine:
        line = LogLine(time.strftime("%H:%M:%S"), kind, " ".join(str(text).split()) or "-")
        self.lines.append(line)
        self.total += 1
        return line

    def __len__(self) -> int:
        return len(self.lines)


_FIRST = itemgetter(0)


class OrderBook:
    """The queue rows and every status learnt, with when it was learnt."""

    def __init__(self) -> None:
        self.rows: list[OrderId] = []  # the pending list, in the receiver's order
        self.status: dict[OrderId, str] = {}
        self.status_version = 0  # bumped whenever ``status`` changes (the composer's lint reads it)
        self.checked: dict[OrderId, float] = {}  # epoch seconds the status was learnt
        # The receiver's last per-order refusal (e.g. order_not_found), until a status comes.
        self.refusals: dict[OrderId, tuple[str, float]] = {}
        self.events = LastEvents()  # the last batch that named each order, from the store
        self.last_refresh: float | None = None
        self.last_complete: float | None = None  # when the last complete list came in
        self.loading_since = 0.0  # monotonic seconds: when the list now loading was asked for
        self.refresh_note = ""  # why the last list may be incomplete
        self.loading = False
        self.generation = 0  # bumped when the rows are replaced (a new list started)
        self.pending_request = 0  # id of the pending-list request the rows come from
        # Orders whose status an answer (a batch or a query) told this session, and of
        # those, the ones that then left the pending list with a new status: the queue
        # keeps showing them, dimmed, until the next start (in the order they left).
        self.learnt: set[OrderId] = set()
        self.left: dict[OrderId, None] = {}
        # Where each status came from ("the pending list", "a query", ...), and orders that
        # left the pending list while known as pending (so not pending now), with when:
        # the lint names them (an error on their staged entries, :meth:`learnt_words`).
        self.source: dict[OrderId, str] = {}
        self.left_list: dict[OrderId, float] = {}
        self.learnt_words = LearntWords(self)
        self._previous: list[OrderId] = []
        self._started = False

    # -- the pending list, as it streams -----------------------------------------------

    def begin_pending(self, request_id: int) -> None:
        """A new list is on its way; a refresh cut short by this one keeps the old rows."""
        if not (self.loading and self._started):
            self._previous = self.rows
        self.pending_request = request_id
        if not self.loading:
            self.loading_since = time.monotonic()  # the header counts the seconds from here
        self.loading = True
        self._started = False

    def restart_pending(self) -> None:
        """A cut-off attempt is retried: drop its rows, show the previous list meanwhile."""
        if self._started:
            self.rows = self._previous
            self.generation += 1
        self._started = False

    def add_pending(self, orders: Iterable[tuple[OrderId, str]]) -> int:
        """Rows from one chunk of the answer; the first chunk replaces the old list."""
        if not self._started:
            self._started = True
            self.rows = []
            self.generation += 1
        now = time.time()
        start = len(self.rows)
        self.status_version += 1
        # At C speed: a stress-size list (docs/scale.md) arrives in a few dozen chunks.
        orders = orders if isinstance(orders, list) else list(orders)
        self.status.update(orders)
        ids = list(map(_FIRST, orders))
        self.rows.extend(ids)
        self.checked.update(dict.fromkeys(ids, now))
        self.source.update(dict.fromkeys(ids, "the pending list"))
        if self.left_list:
            for oid in ids:
                self.left_list.pop(oid, None)
        return start

    def finish_pending(self, ok: bool, note: str) -> None:
        self.loading = False
        self.last_refresh = time.time()
        if not self._started and ok:  # "no pending orders": an empty list is the answer
            self.rows = []
            self.generation += 1
        self.refresh_note = "" if ok else note
        if ok:
            self.last_complete = self.last_refresh
            # Orders that left the list are no longer known to be pending.
            self.status_version += 1
            current = set(self.rows)
            for oid in self._previous:
                if oid in current:
                    continue
                status = self.status.get(oid)
                if status == PENDING:
                    del self.status[oid]
                    self.left_list[oid] = self.last_refresh
                elif status and oid in self.learnt:
                    self.left[oid] = None  # changed this session: shown, dimmed, with its new status
            for oid in [o for o in self.left if o in current]:
                del self.left[oid]  # back on the list
        self._previous = []

    # -- statuses from any other answer -----------------------------------------------

    def learn(self, statuses: Mapping[OrderId, str], source: str = "an answer", when: float | None = None) -> None:
        now = time.time() if when is None else when
        self.status_version += 1
        for oid, status in statuses.items():
            self.status[oid] = status
            self.checked[oid] = now
            self.source[oid] = source
            self.left_list.pop(oid, None)
            self.refusals.pop(oid, None)
            self.learnt.add(oid)

    def learn_refusals(self, messages: Mapping[OrderId, str]) -> None:
        now = time.time()
        for oid, message in messages.items():
            self.refusals[oid] = (message, now)

    @property
    def pending_count(self) -> int:
        return len(self.rows)


class LearntWords(Mapping[OrderId, str]):
    """Where and when the session learnt an order is not pending, in words for the lint:
    ``at 13:45:02 from a query``, or ``left the pending list at 13:45:02`` (worded when
    asked: only the few orders with a finding are)."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book

    def __getitem__(self, oid: OrderId) -> str:
        book = self.book
        status = book.status.get(oid)
        if status is not None:
            when = book.checked.get(oid)
            if when is None:
                raise KeyError(oid)
            return f"at {clock(when)} from {book.source.get(oid, 'an answer')}"
        left = book.left_list.get(oid)
        if left is None:
            raise KeyError(oid)
        return f"left the pending list at {clock(left)}"

    def __iter__(self) -> Iterator[OrderId]:
        return iter({**dict.fromkeys(self.book.checked), **dict.fromkeys(self.book.left_list)})

    def __len__(self) -> int:
        return len(set(self.book.checked) | set(self.book.left_list))


BULK_FROM = 64  # orders to look up at once: fewer, a query each; more, one bulk query


class LastEvents:
    """The queue's "last sent" column: one indexed query per order drawn, cached until the
    journal changes (never a scan of the whole journal). Sorting by last sent needs every
    order's: ``fill`` looks them all up in one bulk query instead."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._cache: dict[str, HistoryItem | None] = {}

    def get(self, order_id: str) -> HistoryItem | None:
        if self.store is None:
            return None
        try:
            return self._cache[order_id]
        except KeyError:
            pass
        try:
            item = self.store.last_event(order_id)
        except Exception:  # sqlite3.Error: a cell is not worth an error; the log has the store's
            return None
        self._cache[order_id] = item
        return item

    def fill(self, order_ids: Iterable[str]) -> None:
        """Cache the last event of every one of ``order_ids`` (None for those never
        sent): one bulk query for the ones not cached yet, or a query each if only a few
        are missing."""
        if self.store is None:
            return
        cache = self._cache
        missing = [oid for oid in order_ids if oid not in cache]
        if len(missing) < BULK_FROM:
            for oid in missing:
                self.get(oid)
            return
        try:
            found = self.store.last_events(missing)
        except Exception:  # sqlite3.Error: blank cells (until the journal changes), not one failing query per row
            found = {}
        cache.update(dict.fromkeys(missing))
        cache.update(found)

    def __contains__(self, order_id: object) -> bool:
        return isinstance(order_id, str) and self.get(order_id) is not None

    def invalidate(self, order_ids: Iterable[str] | None = None) -> None:
        """Forget the cached last events of ``order_ids`` (None: of every order, when it
        is not known which changed: another process wrote to the journal)."""
        if order_ids is None:
            self._cache.clear()
            return
        # Consumed at C speed (itertools' "consume" recipe): a stress-size batch names every
        # order of the list when it is answered (docs/scale.md), on the UI's loop.
        deque(map(self._cache.pop, order_ids, repeat(None)), maxlen=0)


def clock(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def journal_time(value: object) -> str:
    """A journal timestamp (UTC ISO) as local time: HH:MM today, else the date too."""
    try:
        when = datetime.fromisoformat(str(value)).astimezone()
    except ValueError:
        return str(value or "")
    today = datetime.now(UTC).astimezone().date()
    return when.strftime("%H:%M" if when.date() == today else "%Y-%m-%d %H:%M")


def describe_event(item: HistoryItem | None, order_id: str = "") -> str:
    """The last batch that named one order, in a few words for a table cell."""
    if item is None:
        return ""
    when = journal_time(item.time)
    if item.state == "sending":
        actions = "+".join(str(row.get("action", "?")) for row in item.entries)
        return f"{when} sending {actions or 'batch'}…"
    outcome = item.outcome
    if outcome == "reconciled":
        verdicts = sorted({str(r.get("outcome", "")) for r in item.results if r.get("kind") == "reconciled"})
        return f"{when} reconciled: {', '.join(verdicts)}" if verdicts else f"{when} reconciled"
    rows = [r for r in item.results if r.get("kind") == "outcome"]
    if rows:
        return f"{when} " + ", ".join(f"{r.get('action', '?')} {r.get('outcome', '?')}" for r in rows)
    if not outcome:
        actions = "+".join(str(row.get("action", "?")) for row in item.entries)
        return f"{when} sent {actions or 'batch'}, no answer yet"
    return f"{when} batch {outcome}"
