"""Faults the sandbox can inject, so the client's handling of a misbehaving receiver can be
exercised on purpose.

Two families, because they differ in what the client may conclude:

* refusals (``maintenance``, ``http500``, ``html``) answer before anything is applied;
* post-apply faults (``slow``, ``drop-after-apply``, ``truncate``) apply the batch first,
  then damage the answer. A lost or cut answer after the batch was applied is exactly the
  "unknown outcome" the client must reconcile rather than re-send.

Syntax on the command line: ``KIND[=SECONDS][:COUNT][@SCOPE]`` (``http500``, ``slow=2.5``,
``truncate:1``, ``drop-after-apply@updates``). COUNT limits the fault to the next COUNT
requests it fires on; without it the fault fires on every request. SCOPE picks which
requests: ``updates`` (a batch with cancel, ship, adjust or track: the ones whose lost
answer matters), ``reads`` (the pending list and query-only batches) or ``all`` (the
default). With ``@updates`` the demo's queue still loads while every batch is faulted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import MutableSequence


class FaultKind(StrEnum):
    MAINTENANCE = "maintenance"
    SLOW = "slow"
    DROP_AFTER_APPLY = "drop-after-apply"
    HTTP500 = "http500"
    HTML = "html"
    TRUNCATE = "truncate"

    @property
    def refuses(self) -> bool:
        """Answers instead of the receiver, before the batch is applied."""
        return self in (FaultKind.MAINTENANCE, FaultKind.HTTP500, FaultKind.HTML)


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
    seconds: float = 0.0  # only for slow: the wait before the answer's first byte
    remaining: int | None = None
    scope: FaultScope = FaultScope.ALL

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        self.scope = FaultScope(self.scope)

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def __str__(self) -> str:
        text = self.kind.value
        if self.kind is FaultKind.SLOW:
            text += f"={self.seconds:g}"
        if self.remaining is not None:
            text += f":{self.remaining}"
        if self.scope is not FaultScope.ALL:
            text += f"@{self.scope.value}"
        return text


_KINDS = ", ".join(k.value for k in FaultKind)
_SCOPES = ", ".join(s.value for s in FaultScope)


def parse_fault(text: str) -> Fault:
    """``KIND[=SECONDS][:COUNT][@SCOPE]`` to a :class:`Fault`; ValueError names the bad text."""
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
    if kind is FaultKind.SLOW:
        try:
            seconds = float(seconds_text) if has_seconds else math.nan
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"bad fault {text!r}: slow needs a delay in seconds, as slow=2.5")
    elif has_seconds:
        raise ValueError(f"bad fault {text!r}: {kind.value} takes no '=SECONDS'")
    remaining = None
    if has_count:
        count = count_text.strip()
        if not (count.isascii() and count.isdigit() and int(count) >= 1):
            raise ValueError(f"bad fault {text!r}: the count after ':' must be a whole number >= 1")
        remaining = int(count)
    return Fault(kind, seconds, remaining, scope)


@dataclass(frozen=True)
class FaultPlan:
    """What the faults do to one request."""

    refuse: FaultKind | None = None  # answer this instead; nothing is applied
    delay: float = 0.0  # wait before the first byte of the answer
    cut: FaultKind | None = None  # drop-after-apply or truncate the answer

    @property
    def fired(self) -> list[str]:
        out = [k.value for k in (self.refuse, self.cut) if k is not None]
        return out + (["slow"] if self.delay else [])


def draw_faults(faults: MutableSequence[Fault], updating: bool = False) -> FaultPlan:
    """Decide which faults fire on the next request and use up the counted ones that do.

    ``updating``: the request changes orders (see :class:`FaultScope`); faults scoped to
    the other kind of request neither fire nor use up their count.

    The first active refusal wins and nothing else fires. Otherwise the first active
    ``slow`` fires, and the first active of ``drop-after-apply``/``truncate`` (dropping
    wins if both are active: there is no answer left to truncate). A fault that does not
    fire keeps its count. Used-up faults are removed from ``faults``. The caller locks.
    """
    active = [f for f in faults if f.active and f.scope.covers(updating)]
    refusal = next((f for f in active if f.kind.refuses), None)
    if refusal is not None:
        fired = [refusal]
        plan = FaultPlan(refuse=refusal.kind)
    else:
        slow = next((f for f in active if f.kind is FaultKind.SLOW), None)
        cut = next((f for f in active if f.kind is FaultKind.DROP_AFTER_APPLY), None) or next(
            (f for f in active if f.kind is FaultKind.TRUNCATE), None
        )
        fired = [f for f in (slow, cut) if f is not None]
        plan = FaultPlan(delay=slow.seconds if slow else 0.0, cut=cut.kind if cut else None)
    for f in fired:
        if f.remaining is not None:
            f.remaining -= 1
    faults[:] = [f for f in faults if f.active]
    return plan
