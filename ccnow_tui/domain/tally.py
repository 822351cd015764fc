"""What the composer says about the staged entries, kept up to date change by change.

The composer redraws its summary (entries per action, orders, the total discount) and its
lint after every change. Counted afresh at the stress size (docs/scale.md) that is about 0.1 s per
keystroke; a :class:`Tally` is counted once after a big change (staging a whole list) and
then patched with the few entries a small change touches (a removal, an edit, an undo), so
a keystroke costs what it changed.

The findings are the batch's own (:meth:`Batch.lint`: the same words, the same order and
the same staged positions, checked against it in the tests), computed only for the
orders worth a word: those with more than one entry and those whose last known status is
not pending. Positions are found when asked, by bisection: entries are kept in staging
order, ``(pos, id)``, so a removal shifts them but never reorders them.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import compress, repeat
from operator import attrgetter, ne
from typing import TypeVar, overload

from ..protocol.actions import ACTION_FIELDS, ActionKind, StagedAction
from ..protocol.batch import Lint, Severity, Totals, lint_together, ranked_positions, status_lint
from ..protocol.orderid import OrderId
from ..protocol.status import PENDING
from ..storage.store import StoredEntry

_ACTION_OF = attrgetter("action")  # of a StoredEntry, at C speed
_ORDER_OF = attrgetter("order_id")  # of a StagedAction
_KIND_OF = attrgetter("kind")  # of a StagedAction
# Kinds that send no fields: text on one is never sent, so it cannot leak the password.
_WITHOUT_TEXT = frozenset(k.value for k, sent in ACTION_FIELDS.items() if not sent)


def staging_key(e: StoredEntry) -> tuple[int, int]:
    """Where an entry stands in the staging order."""
    return (e.pos, e.id)


def locate(staged: Sequence[StoredEntry], e: StoredEntry) -> int | None:
    """Where ``e`` stands in ``staged`` (a list in staging order), if it is there."""
    i = bisect_left(staged, staging_key(e), key=staging_key)
    return i if i < len(staged) and staged[i].id == e.id else None


def has_text(action: StagedAction) -> bool:
    """Notes, carrier or number: the fields that might hold a pasted password.

    protocol.actions.TEXT_FIELDS spelled out (it runs for every entry a tally is built
    from: twice as fast as reading them by name); tests/test_tally.py checks they agree."""
    return bool(action.notes or action.trackname or action.tracknumber)


class Tally:
    """Per-order facts about ``staged`` (a list in staging order, shared with its owner)."""

    def __init__(self, staged: list[StoredEntry]) -> None:
        self.staged = staged
        actions = list(map(_ACTION_OF, staged))
        oids = list(map(_ORDER_OF, actions))
        self.count: Counter[OrderId] = Counter(oids)  # entries per order
        self.one: dict[OrderId, StoredEntry] = dict(zip(oids, staged, strict=True))  # an entry of each order
        self.multi: dict[OrderId, list[StoredEntry]] = {}  # orders with more than one entry: all of them
        if len(self.count) != len(staged):
            for e in staged:
                oid = e.action.order_id
                if self.count[oid] > 1:
                    self.multi.setdefault(oid, []).append(e)
        query, adjust, cancel = ActionKind.QUERY, ActionKind.ADJUST, ActionKind.CANCEL
        # Counted by kind with list.count (identity first, at C speed) and kept by plain
        # value: hashing an enum member runs Python code. A kind not staged at all is not
        # looked for (staging ship for a whole list is the common big change).
        kind_of = list(map(_KIND_OF, actions))
        self.kinds: Counter[str] = Counter({k.value: n for k in ActionKind if (n := kind_of.count(k))})
        kinds = self.kinds
        changing = [a for a in actions if a.kind is not query] if query.value in kinds else actions
        adjusts = [a for a in changing if a.kind is adjust] if adjust.value in kinds else []
        # Non-query entries per order: with no query staged, the count itself (copied at C speed).
        self.changing: Counter[OrderId] = (
            Counter(map(_ORDER_OF, changing)) if changing is not actions else self.count.copy()
        )
        self.adjusts: Counter[OrderId] = Counter(map(_ORDER_OF, adjusts))
        cuts = adjusts if cancel.value not in kinds else [a for a in changing if a.kind is cancel or a.kind is adjust]
        self.cuts: Counter[OrderId] = Counter(map(_ORDER_OF, cuts))  # cancels and adjusts per order
        self.discount = sum((a.amount for a in adjusts if a.amount is not None), Decimal("0.00"))
        with_text = kinds.keys() - _WITHOUT_TEXT
        self.texted: dict[int, StoredEntry] = {e.id: e for e in staged if has_text(e.action)} if with_text else {}
        # Orders with changing entries whose last known status is not pending, as of one
        # status map at one version; orders touched since are checked again when asked.
        self._not_pending: set[OrderId] = set()
        self._status_key: tuple[int, int] | None = None
        self._touched: set[OrderId] = set()

    # -- small changes -----------------------------------------------------------------------

    def patch(self, removed: Iterable[StoredEntry], added: Iterable[StoredEntry]) -> None:
        """Follow a change the owner already made to ``staged``."""
        for e in removed:
            self._take(e)
        for e in added:
            self._put(e)

    def _take(self, e: StoredEntry) -> None:
        a = e.action
        oid = a.order_id
        n = self.count[oid] - 1
        if n < 0:
            raise KeyError(oid)  # not counted: the owner's list and the tally disagree
        if n == 0:
            del self.count[oid], self.one[oid]
        else:
            self.count[oid] = n
            group = self.multi[oid]
            group.remove(e)
            if n == 1:
                del self.multi[oid]
            self.one[oid] = group[0]
        kind = a.kind
        _down(self.kinds, kind.value)
        if kind is not ActionKind.QUERY:
            _down(self.changing, oid)
            self._touched.add(oid)
        if kind is ActionKind.ADJUST:
            _down(self.adjusts, oid)
            if a.amount is not None:
                self.discount -= a.amount
        if kind is ActionKind.ADJUST or kind is ActionKind.CANCEL:
            _down(self.cuts, oid)
        self.texted.pop(e.id, None)

    def _put(self, e: StoredEntry) -> None:
        a = e.action
        oid = a.order_id
        n = self.count[oid] + 1
        self.count[oid] = n
        if n == 1:
            self.one[oid] = e
        elif n == 2:
            self.multi[oid] = sorted((self.one[oid], e), key=staging_key)
        else:
            insort(self.multi[oid], e, key=staging_key)
        kind = a.kind
        self.kinds[kind.value] += 1
        if kind is not ActionKind.QUERY:
            self.changing[oid] += 1
            self._touched.add(oid)
        if kind is ActionKind.ADJUST:
            self.adjusts[oid] += 1
            if a.amount is not None:
                self.discount += a.amount
        if kind is ActionKind.ADJUST or kind is ActionKind.CANCEL:
            self.cuts[oid] += 1
        if has_text(a):
            self.texted[e.id] = e

    # -- what the composer shows -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.staged)

    def entries_of(self, oid: OrderId) -> list[StoredEntry]:
        """One order's entries in staging order (none: not staged)."""
        group = self.multi.get(oid)
        if group is not None:
            return group
        one = self.one.get(oid)
        return [one] if one is not None else []

    def position(self, e: StoredEntry) -> int:
        """Where ``e`` stands in ``staged`` now."""
        return bisect_left(self.staged, staging_key(e), key=staging_key)

    def positions(self, oid: OrderId) -> list[int]:
        return [self.position(e) for e in self.entries_of(oid)]

    def first_key(self, oid: OrderId) -> tuple[int, int]:
        """Where an order's first entry stands: findings and lists follow staging order."""
        return staging_key(self.entries_of(oid)[0])

    def counts(self) -> Counter[ActionKind]:
        return Counter({ActionKind(v): n for v, n in self.kinds.items()})

    @property
    def totals(self) -> Totals:
        """As :attr:`Batch.totals` says it, without counting the batch again."""
        twice = [oid for oid, n in self.adjusts.items() if n > 1]
        twice.sort(key=self.first_key)
        kinds = self.kinds
        return Totals(
            orders=len(self.count),
            changed=len(self.changing),
            cancels_and_discounts=kinds[ActionKind.CANCEL.value] + kinds[ActionKind.ADJUST.value],
            discount=self.discount,
            discounted_twice=tuple(twice),
            changing_entries=len(self.staged) - kinds[ActionKind.QUERY.value],
        )

    def send_order(self) -> Sequence[int]:
        """Staged positions in sending order, as :attr:`Batch.send_order` gives them."""
        if not self.multi:
            return range(len(self.staged))
        out = list(range(len(self.staged)))
        entries = ActionsView(self.staged)
        for oid in self.multi:
            positions = self.positions(oid)
            for slot, staged_index in zip(positions, ranked_positions(entries, positions), strict=True):
                out[slot] = staged_index
        return out

    def number(self, i: int) -> int:
        """N, the number the entry at staged position ``i`` is sent with."""
        oid = self.staged[i].action.order_id
        if oid not in self.multi:
            return i + 1
        slots = self.positions(oid)
        return slots[ranked_positions(ActionsView(self.staged), slots).index(i)] + 1

    def not_pending(self, known_status: Mapping[OrderId, str], version: int | None = None) -> set[OrderId]:
        """Orders with changing entries whose last known status is not pending.

        ``version`` names the state of ``known_status`` (bumped whenever a status changes):
        with it, only the orders touched since the last call are looked up again."""
        key = (id(known_status), version) if version is not None else None
        get = known_status.get
        if key is None or key != self._status_key:
            # At C speed (opening the composer at the stress size): an unknown status is
            # "" here, and not pending, as None is below.
            orders = list(self.changing)
            self._not_pending = set(compress(orders, map(ne, map(get, orders, repeat("")), repeat(PENDING))))
        else:
            for oid in self._touched:
                if oid in self.changing and get(oid) != PENDING:
                    self._not_pending.add(oid)
                else:
                    self._not_pending.discard(oid)
        self._status_key = key
        self._touched.clear()
        return self._not_pending

    def lint(
        self,
        known_status: Mapping[OrderId, str] | None = None,
        version: int | None = None,
        learnt: Mapping[OrderId, str] | None = None,
    ) -> list[Lint]:
        """:meth:`Batch.lint` of the staged entries: the same findings in the same order."""
        if not self.staged:
            return [Lint(Severity.ERROR, "the batch is empty")]
        worth = set(self.multi)
        not_pending = self.not_pending(known_status, version) if known_status is not None else set()
        worth |= not_pending
        if not worth:
            return []
        out: list[Lint] = []
        entries = ActionsView(self.staged)
        for oid in sorted(worth, key=self.first_key):
            positions = self.positions(oid)
            if oid in self.multi:
                out.extend(lint_together(entries, oid, positions))
            if oid in not_pending:
                out.append(
                    status_lint(
                        oid,
                        known_status.get(oid) if known_status is not None else None,
                        tuple(positions),
                        learnt.get(oid, "") if learnt is not None else "",
                    )
                )
        return out


class ActionsView(Sequence[StagedAction]):
    """The actions of a list of stored entries, by position, read live (a view's rows and
    the per-order lint read a few; copying them all on every change would cost more)."""

    def __init__(self, staged: list[StoredEntry]) -> None:
        self._staged = staged

    @overload
    def __getitem__(self, i: int) -> StagedAction: ...

    @overload
    def __getitem__(self, i: slice) -> list[StagedAction]: ...

    def __getitem__(self, i: int | slice) -> StagedAction | list[StagedAction]:
        if isinstance(i, slice):
            return [e.action for e in self._staged[i]]
        return self._staged[i].action

    def __len__(self) -> int:
        return len(self._staged)


_K = TypeVar("_K")


def _down(counter: Counter[_K], key: _K) -> None:
    """One fewer; a key counted down to nothing leaves (``len`` counts distinct keys)."""
    n = counter[key] - 1
    if n > 0:
        counter[key] = n
    else:
        del counter[key]
