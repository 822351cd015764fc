"""A batch of staged entries: safe ordering, numbering, lint and the form it POSTs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from operator import attrgetter

from .actions import ACTION_RANK, ActionKind, StagedAction
from .orderid import OrderId
from .status import PENDING

_CHANGING = frozenset(k for k in ActionKind if k.changes_orders)
_ORDER_OF = attrgetter("order_id")  # of a StagedAction, at C speed
_KIND_OF = attrgetter("kind")  # of a StagedAction
# Entries by staged position: the batch's tuple, or a live view of a staging area's list.
ByPosition = Mapping[int, StagedAction] | Sequence[StagedAction]


class Severity(StrEnum):
    ERROR = "error"  # the batch cannot be sent
    WARNING = "warning"  # worth a look before sending
    INFO = "info"  # something the composer did for the operator


@dataclass(frozen=True, slots=True)
class Lint:
    severity: Severity
    message: str
    order_id: OrderId | None = None
    # Positions in the staged (not the sent) sequence that the finding is about.
    staged_indexes: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Totals:
    """The size of what sending a batch does, as the composer and the confirmation say it."""

    orders: int  # distinct orders the batch touches (queries too)
    changed: int  # distinct orders it changes (anything but query)
    cancels_and_discounts: int  # cancel and adjust entries, each counted (the profile's confirm_over)
    discount: Decimal  # the sum of every adjust's amount (the profile's confirm_discount_over)
    discounted_twice: tuple[OrderId, ...]  # orders with more than one adjust, in sending order
    changing_entries: int = 0  # entries that change an order (all but query): the number typed for a large batch

    @property
    def discount_text(self) -> str:
        return f"${self.discount:,.2f}"

    def over_limits(self, confirm_over: int, discount_over: Decimal, *, then: str = ", ") -> list[str]:
        """Why sending needs more than y (the number of changing entries typed): the
        limits of the profile this batch goes over, worded for a sentence (``then``
        between what the batch does and the limit); [] if none."""
        out = []
        if self.cancels_and_discounts > confirm_over:
            out.append(
                f"it has {self.cancels_and_discounts} cancel and discount entries{then}more than confirm_over "
                f"({confirm_over})"
            )
        if self.discount > discount_over:
            out.append(
                f"its discounts add up to {self.discount_text}{then}more than confirm_discount_over "
                f"(${discount_over:,.2f})"
            )
        return out


class BatchError(ValueError):
    """A batch that must not be sent; ``lints`` lists every reason."""

    def __init__(self, lints: Sequence[Lint]) -> None:
        self.lints = tuple(lints)
        super().__init__("; ".join(lint.message for lint in self.lints) or "empty batch")


def safe_order(entries: Sequence[StagedAction], repeated: dict[OrderId, list[int]] | None = None) -> list[int]:
    """Staged positions in the order they will be sent.

    Each order's entries keep the slots the operator gave them, but within those slots
    they are sorted query, adjust, track, then ship or cancel (stable otherwise), so
    adjust and track always reach a still-pending order.
    """
    result = list(range(len(entries)))
    for positions in (_repeated_orders(entries) if repeated is None else repeated).values():
        for slot, staged_index in zip(positions, ranked_positions(entries, positions), strict=True):
            result[slot] = staged_index
    return result


def ranked_positions(entries: ByPosition, positions: list[int]) -> list[int]:
    """One order's staged positions in the order its slots send them."""
    return sorted(positions, key=lambda i: (ACTION_RANK[entries[i].kind], i))


@dataclass(frozen=True)
class Batch:
    """Entries as staged by the operator. ``numbered()`` gives them as they will be sent."""

    staged: tuple[StagedAction, ...]

    def __init__(self, entries: Iterable[StagedAction]) -> None:
        object.__setattr__(self, "staged", tuple(entries))

    def __len__(self) -> int:
        return len(self.staged)

    # The composer rebuilds these after every change at the stress size (docs/scale.md): each is
    # computed once per batch, at C speed where it can be (entries are NamedTuples).

    @cached_property
    def _repeated(self) -> dict[OrderId, list[int]]:
        return _repeated_orders(self.staged)

    @cached_property
    def send_order(self) -> list[int]:
        """Staged positions in sending order (computed once: the batch never changes)."""
        return safe_order(self.staged, self._repeated)

    def numbered(self) -> list[tuple[int, StagedAction]]:
        """``(N, entry)`` pairs, N = 1..len, in sending order (do not modify the list)."""
        return self._numbered

    @cached_property
    def _numbered(self) -> list[tuple[int, StagedAction]]:
        return list(enumerate(self.entries, start=1))

    @cached_property
    def entries(self) -> list[StagedAction]:
        if not self._repeated:  # nothing to re-order
            return list(self.staged)
        return list(map(self.staged.__getitem__, self.send_order))

    @cached_property
    def order_ids(self) -> list[OrderId]:
        """Distinct orders in first-appearance (sending) order: the same as staged order,
        since re-ordering stays within each order's own slots."""
        return list(dict.fromkeys(map(_ORDER_OF, self.staged)))

    @property
    def changes_orders(self) -> bool:
        return any(e.kind.changes_orders for e in self.staged)

    def counts(self) -> Counter[ActionKind]:
        # Counted with list.count (identity first, at C speed): hashing a member runs Python code.
        kinds = list(map(_KIND_OF, self.staged))
        return Counter({k: n for k in ActionKind if (n := kinds.count(k))})

    @cached_property
    def totals(self) -> Totals:
        """Orders touched and changed, the total discount, orders discounted more than once."""
        staged = self.staged
        query, adjust, cancel = ActionKind.QUERY, ActionKind.ADJUST, ActionKind.CANCEL
        # Identity tests and C-speed maps: hashing an enum member runs Python code.
        changing = [e for e in staged if e.kind is not query]
        adjusts = [e for e in changing if e.kind is adjust]
        per_order = Counter(map(_ORDER_OF, adjusts))
        twice = {oid for oid, n in per_order.items() if n > 1}
        return Totals(
            orders=len(self.order_ids),
            changed=len(set(map(_ORDER_OF, changing))),
            cancels_and_discounts=len(adjusts) + sum(1 for e in changing if e.kind is cancel),
            discount=sum((e.amount for e in adjusts if e.amount is not None), Decimal("0.00")),
            discounted_twice=tuple(oid for oid in self.order_ids if oid in twice) if twice else (),
            changing_entries=len(changing),
        )

    def lint(
        self, known_status: Mapping[OrderId, str] | None = None, learnt: Mapping[OrderId, str] | None = None
    ) -> list[Lint]:
        """Everything worth telling the operator before sending.

        ``known_status`` maps orders to their last known status; an action on an order
        that is not known to be pending gets a warning (no status), or an error (another
        status; see :func:`status_lint`, with ``learnt``'s words for where and when).
        """
        said = learnt.get if learnt is not None else _nothing
        out: list[Lint] = []
        if not self.staged:
            return [Lint(Severity.ERROR, "the batch is empty")]
        staged = self.staged
        repeated = self._repeated
        if not repeated:  # one entry per order: only the status can be worth a word
            if known_status is None:
                return out
            get = known_status.get
            # "is not QUERY": an identity test; hashing an enum member runs Python code.
            query = ActionKind.QUERY
            for i in [i for i, e in enumerate(staged) if e.kind is not query and get(e.order_id) != PENDING]:
                oid = staged[i].order_id
                out.append(status_lint(oid, get(oid), (i,), said(oid, "")))
            return out
        done: set[OrderId] = set()
        for i, e in enumerate(staged):
            oid = e.order_id
            idxs = repeated.get(oid)
            if idxs is None:  # most orders have one entry: nothing to compare it with
                idxs, changes = [i], e.kind in _CHANGING
            elif oid in done:
                continue
            else:
                done.add(oid)
                out.extend(lint_together(staged, oid, idxs))
                changes = any(staged[j].kind in _CHANGING for j in idxs)
            if known_status is not None and changes:
                status = known_status.get(oid)
                if status != PENDING:
                    out.append(status_lint(oid, status, tuple(idxs), said(oid, "")))
        return out

    def errors(
        self, known_status: Mapping[OrderId, str] | None = None, learnt: Mapping[OrderId, str] | None = None
    ) -> list[Lint]:
        return [lint for lint in self.lint(known_status, learnt) if lint.severity is Severity.ERROR]

    def check(self) -> Batch:
        """Raise :class:`BatchError` if the batch must not be sent."""
        errs = self.errors()
        if errs:
            raise BatchError(errs)
        return self

    def form_fields(self) -> list[tuple[str, str]]:
        """The ``x_*_N`` fields, numbered 1..N with no gaps (credentials excluded)."""
        out: list[tuple[str, str]] = []
        for n, e in self.numbered():
            out.extend(e.form_fields(n))
        return out


def status_lint(oid: OrderId, status: str | None, idxs: tuple[int, ...], learnt: str = "") -> Lint:
    """An action on an order not known to be pending: the receiver will refuse it.

    A status the session learnt (an answer, the pending list, another window's batch) that
    is not pending is an error: the entries are not sent until they are removed. No status
    at all is a warning. ``learnt`` says where and when the session learnt it ("at
    13:45:02 from a query"); with no status it is what the session learnt instead
    ("left the pending list at 13:45:02"), and that is an error too."""
    if status is None and not learnt:
        why = "status unknown; the receiver refuses actions on orders that are not pending"
        return Lint(Severity.WARNING, f"{oid}: {why}", oid, idxs)
    if status is None:
        what = f"not pending: it {learnt}"
    else:
        what = f"last known status is {status}" + (f" (learnt {learnt})" if learnt else "") + ", not pending"
    return Lint(
        Severity.ERROR, f"{oid}: {what}; the receiver will refuse it: remove it (S does not send it)", oid, idxs
    )


def tracking_key(number: str) -> str:
    """A tracking number as compared across orders: case, blanks and dashes aside."""
    return "".join(c for c in number.upper() if c not in " -\t")


def tracking_lint(entries: Sequence[StagedAction], positions: Sequence[int] | None = None) -> list[Lint]:
    """One tracking number on two or more orders: a label tool's copy-paste slip, most
    likely (one parcel has one number). ``positions``: each entry's staged position
    (default: its index). A warning per number, naming the orders, in staging order."""
    track = ActionKind.TRACK
    orders: dict[str, dict[OrderId, None]] = {}
    where: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for i, e in enumerate(entries):
        if e.kind is not track or not e.tracknumber:
            continue
        key = tracking_key(e.tracknumber)
        if not key:
            continue
        orders.setdefault(key, {})[e.order_id] = None
        where.setdefault(key, []).append(positions[i] if positions is not None else i)
        shown.setdefault(key, e.tracknumber)
    out = []
    for key, oids in orders.items():
        if len(oids) < 2:
            continue
        names = list(oids)
        named = ", ".join(str(o) for o in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.append(
            Lint(
                Severity.WARNING,
                f"tracking number {shown[key]} is on {len(names)} orders ({named}); "
                "one parcel has one number: a label copied twice?",
                names[0],
                tuple(where[key]),
            )
        )
    return out


def discount_lint(
    entries: Sequence[StagedAction], limit: Decimal, positions: Sequence[int] | None = None
) -> list[Lint]:
    """Discounts above the profile's ``max_discount``: a typo (``5000`` for ``50.00``)
    is worth a look before it moves money. One warning per entry, naming order and amount."""
    adjust = ActionKind.ADJUST
    out = []
    for i, e in enumerate(entries):
        if e.kind is adjust and e.amount is not None and e.amount > limit:
            out.append(
                Lint(
                    Severity.WARNING,
                    f"{e.order_id}: discount ${e.amount:,.2f} is more than this "
                    f"profile's max_discount (${limit:,.2f}): check the amount",
                    e.order_id,
                    (positions[i] if positions is not None else i,),
                )
            )
    return out


def lint_together(staged: ByPosition, oid: OrderId, idxs: list[int]) -> list[Lint]:
    """What is wrong with several entries for one order, taken together.

    Entries are named by N, the number they are sent with (as the composer shows them),
    not by their staged positions; ``staged_indexes`` keeps the positions.
    """
    out: list[Lint] = []
    sent_n = {staged_index: slot + 1 for slot, staged_index in zip(idxs, ranked_positions(staged, idxs), strict=True)}
    kinds = [staged[i].kind for i in idxs]
    if ActionKind.SHIP in kinds and ActionKind.CANCEL in kinds:
        out.append(Lint(Severity.ERROR, f"{oid}: ship and cancel on one order; remove one", oid, tuple(idxs)))
    seen: dict[StagedAction, int] = {}
    for i in idxs:
        e = staged[i]
        if e in seen:
            why = f"duplicate {e.kind.value} entry (#{sent_n[seen[e]]} and #{sent_n[i]} are identical)"
            out.append(Lint(Severity.WARNING, f"{oid}: {why}", oid, (seen[e], i)))
        else:
            seen[e] = i
    for kind in (ActionKind.SHIP, ActionKind.CANCEL):
        same = [i for i in idxs if staged[i].kind is kind]
        if len(same) > 1 and len({staged[i] for i in same}) > 1:
            out.append(Lint(Severity.WARNING, f"{oid}: {kind.value} staged {len(same)} times", oid, tuple(same)))
    adjusts = [i for i in idxs if staged[i].kind is ActionKind.ADJUST]
    if len({staged[i] for i in adjusts}) > 1:
        why = f"{len(adjusts)} different discounts; each one is applied"
        out.append(Lint(Severity.WARNING, f"{oid}: {why}", oid, tuple(adjusts)))
    ranks = [ACTION_RANK[k] for k in kinds]
    if ranks != sorted(ranks):
        out.append(Lint(Severity.INFO, f"{oid}: re-ordered so adjust/track go before ship/cancel", oid, tuple(idxs)))
    return out


def _nothing(oid: OrderId, default: str) -> str:
    return default


def _repeated_orders(entries: Sequence[StagedAction]) -> dict[OrderId, list[int]]:
    """Staged positions of every order with more than one entry, in first-appearance order.

    Orders with one entry are left out: in a big batch nearly all of them are, and a list
    per order would cost more than everything else the callers do.
    """
    counts = Counter(map(_ORDER_OF, entries))
    if len(counts) == len(entries):
        return {}
    out: dict[OrderId, list[int]] = {}
    for i, e in enumerate(entries):
        if counts[e.order_id] > 1:
            out.setdefault(e.order_id, []).append(i)
    return out
