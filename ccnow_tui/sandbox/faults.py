"""Faults the sandbox can inject, so the client's handling of a misbehaving receiver can be
exercised on purpose.

Three families (a fourth, below, shapes the batch itself):

* refusals (``maintenance``, ``http500``, ``html``, ``pending-list``) answer before
  anything is applied;
* post-apply faults apply the batch first, then damage the answer: ``slow=S`` (wait S
  seconds first), ``drop-after-apply`` (no answer), ``truncate`` (cut mid-line),
  ``http=CODE`` (status CODE, the answer lines as its body; none for 204/304),
  ``garbage`` (a 200 body of lines that are not the protocol), ``upper`` (the answer in
  capitals: ``MARK_SHIPPED``), ``empty`` (a 200 with an empty body), ``gzip`` (the answer
  gzipped although the client asked for identity), ``gzip-bad`` (``Content-Encoding:
  gzip`` on a body that is not gzip) and ``drip=S`` (the answer one byte every S seconds).

Receivers that answer in a shape the client must not over-read (each protocol-notes
"What one line for an order can prove" case):

* ``first-error`` (shapes the batch): each order's entries are applied one by one, and an
  order with several entries has its last entry refused after the ones before it were
  applied; the order is answered with that error (a discount given, then the tracking
  refused);
* ``per-entry-reversed`` (shapes the batch): one line per entry, each order's lines in the
  reverse of the order sent (combine with ``first-error`` for lines that disagree);
* ``late-error`` (post-apply): the batch is applied, then answered ``message processing``
  and ``error_message request timed out``;
* ``two-errors`` (post-apply): the batch is applied, then answered with two whole-request
  ``error_message`` lines;
* ``pending-list`` (a refusal): nothing is applied and the pending list is answered
  instead of the batch's results.

Of the refusals only ``maintenance`` is the protocol's own refusal (``error_message``);
``http500`` and ``html`` look, to a client, exactly like a receiver that failed half-way
through a batch. A lost, cut or unreadable answer after the batch was applied is the
"unknown outcome" the client must reconcile rather than re-send.

Syntax on the command line: ``KIND[=VALUE][:COUNT][@SCOPE]`` (``http500``, ``slow=2.5``,
``http=500``, ``truncate:1``, ``drop-after-apply@updates``); VALUE is the seconds of
``slow`` and ``drip`` and the status of ``http``. COUNT limits the fault to the next COUNT
requests it fires on; without it the fault fires on every request. SCOPE picks which
requests: ``updates`` (a batch with cancel, ship, adjust or track: the ones whose lost
answer matters), ``reads`` (the pending list and query-only batches) or ``all`` (the
default). With ``@updates`` the demo's queue still loads while every batch is faulted.
"""

from __future__ import annotations

import math
from collections.abc import MutableSequence
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    MAINTENANCE = "maintenance"
    SLOW = "slow"
    DROP_AFTER_APPLY = "drop-after-apply"
    HTTP500 = "http500"
    HTML = "html"
    TRUNCATE = "truncate"
    HTTP = "http"
    GARBAGE = "garbage"
    UPPER = "upper"
    EMPTY = "empty"
    GZIP = "gzip"
    GZIP_BAD = "gzip-bad"
    DRIP = "drip"
    FIRST_ERROR = "first-error"
    PER_ENTRY_REVERSED = "per-entry-reversed"
    LATE_ERROR = "late-error"
    TWO_ERRORS = "two-errors"
    PENDING_LIST = "pending-list"

    @property
    def refuses(self) -> bool:
        """Answers instead of the receiver, before the batch is applied."""
        return self in (FaultKind.MAINTENANCE, FaultKind.HTTP500, FaultKind.HTML, FaultKind.PENDING_LIST)

    @property
    def shapes(self) -> bool:
        """Changes how the batch is applied and answered (fires beside the others)."""
        return self in (FaultKind.FIRST_ERROR, FaultKind.PER_ENTRY_REVERSED)

    @property
    def damages(self) -> bool:
        """Applies the batch, then damages (or drops) its answer."""
        return not self.refuses and not self.shapes and self is not FaultKind.SLOW

    @property
    def takes_seconds(self) -> bool:
        return self in (FaultKind.SLOW, FaultKind.DRIP)


class FaultScope(StrEnum):
    """Which requests a fault fires on."""

    ALL = "all"
    UPDATES = "updates"
    READS = "reads"

    def covers(self, updating: bool) -> bool:
        return self is FaultScope.ALL or (self is FaultScope.UPDATES) == updating


@dataclass
class Fault:
    """One injected fault. ``remaining`` counts the requests left to fire on (None: all)."""

    kind: FaultKind
    seconds: float = 0.0  # slow: the wait before the answer's first byte; drip: between bytes
    remaining: int | None = None
    scope: FaultScope = FaultScope.ALL
    status: int = 0  # only for http: the HTTP status answered

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        self.scope = FaultScope(self.scope)

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def __str__(self) -> str:
        text = self.kind.value
        if self.kind.takes_seconds:
            text += f"={self.seconds:g}"
        elif self.kind is FaultKind.HTTP:
            text += f"={self.status}"
        if self.remaining is not None:
            text += f":{self.remaining}"
        if self.scope is not FaultScope.ALL:
            text += f"@{self.scope.value}"
        return text


_KINDS = ", ".join(k.value for k in FaultKind)
_SCOPES = ", ".join(s.value for s in FaultScope)


def parse_fault(text: str) -> Fault:
    """``KIND[=VALUE][:COUNT][@SCOPE]`` to a :class:`Fault`; ValueError names the bad text."""
    rest, has_scope, scope_text = text.strip().partition("@")
    scope = FaultScope.ALL
    if has_scope:
        try:
            scope = FaultScope(scope_text.strip().lower())
        except ValueError:
            raise ValueError(f"bad fault {text!r}: the scope after '@' must be one of {_SCOPES}") from None
    spec, has_count, count_text = rest.partition(":")
    kind_text, has_seconds, seconds_text = spec.partition("=")
    try:
        kind = FaultKind(kind_text.strip().lower())
    except ValueError:
        raise ValueError(f"unknown fault {text!r}: expected one of {_KINDS}") from None
    seconds = 0.0
    status = 0
    if kind.takes_seconds:
        try:
            seconds = float(seconds_text) if has_seconds else math.nan
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"bad fault {text!r}: {kind.value} needs a delay in seconds, as {kind.value}=2.5")
    elif kind is FaultKind.HTTP:
        code = seconds_text.strip()
        if not (has_seconds and code.isascii() and code.isdigit() and 201 <= int(code) <= 599):
            raise ValueError(f"bad fault {text!r}: http needs an HTTP status from 201 to 599, as http=500")
        status = int(code)
    elif has_seconds:
        raise ValueError(f"bad fault {text!r}: {kind.value} takes no '=VALUE'")
    remaining = None
    if has_count:
        count = count_text.strip()
        if not (count.isascii() and count.isdigit() and int(count) >= 1):
            raise ValueError(f"bad fault {text!r}: the count after ':' must be a whole number >= 1")
        remaining = int(count)
    return Fault(kind, seconds, remaining, scope, status)


@dataclass(frozen=True)
class FaultPlan:
    """What the faults do to one request."""

    refuse: FaultKind | None = None  # answer this instead; nothing is applied
    delay: float = 0.0  # wait before the first byte of the answer
    cut: FaultKind | None = None  # a post-apply fault that damages (or drops) the answer
    status: int = 0  # cut is http: the status to answer
    drip: float = 0.0  # cut is drip: seconds between the answer's bytes
    shapes: frozenset[FaultKind] = frozenset()  # how the batch is applied and answered

    @property
    def fired(self) -> list[str]:
        out = [k.value for k in (self.refuse, self.cut) if k is not None]
        if self.cut is FaultKind.HTTP:
            out[-1] += f"={self.status}"
        elif self.cut is FaultKind.DRIP:
            out[-1] += f"={self.drip:g}"
        return out + sorted(k.value for k in self.shapes) + (["slow"] if self.delay else [])


def draw_faults(faults: MutableSequence[Fault], updating: bool = False) -> FaultPlan:
    """Decide which faults fire on the next request and use up the counted ones that do.

    ``updating``: the request changes orders (see :class:`FaultScope`); faults scoped to
    the other kind of request neither fire nor use up their count.

    The first active refusal wins and nothing else fires. Otherwise every active fault
    that shapes the batch fires, the first active ``slow``, and one post-apply fault:
    ``drop-after-apply`` if active (there is no answer left to damage), else
    ``truncate``, else the first active of the others in the order given. A fault that
    does not fire keeps its count. Used-up faults are removed from ``faults``. The caller
    locks.
    """
    active = [f for f in faults if f.active and f.scope.covers(updating)]
    refusal = next((f for f in active if f.kind.refuses), None)
    if refusal is not None:
        fired = [refusal]
        plan = FaultPlan(refuse=refusal.kind)
    else:
        slow = next((f for f in active if f.kind is FaultKind.SLOW), None)
        cut = (
            next((f for f in active if f.kind is FaultKind.DROP_AFTER_APPLY), None)
            or next((f for f in active if f.kind is FaultKind.TRUNCATE), None)
            or next((f for f in active if f.kind.damages), None)
        )
        shaping = [f for f in active if f.kind.shapes]
        fired = [f for f in (slow, cut) if f is not None] + shaping
        plan = FaultPlan(
            delay=slow.seconds if slow else 0.0,
            cut=cut.kind if cut else None,
            status=cut.status if cut else 0,
            drip=cut.seconds if cut and cut.kind is FaultKind.DRIP else 0.0,
            shapes=frozenset(f.kind for f in shaping),
        )
    for f in fired:
        if f.remaining is not None:
            f.remaining -= 1
    faults[:] = [f for f in faults if f.active]
    return plan
