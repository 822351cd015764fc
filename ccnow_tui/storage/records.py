"""The store's records and errors: what its callers hand it and get back.

Shared by the store's modules (schema, owners, entries, sending, history) and re-exported
by :mod:`ccnow_tui.storage.store`, the facade the rest of the code imports them from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from ..protocol.actions import StagedAction
from ..protocol.orderid import OrderId

GONE_REASON = "the process ended while the batch was in flight"
RECONCILE_IT = "nothing is re-sent, reconcile it"  # how a note that needs reconciling ends (a UI adds its keys)


class EntryState(StrEnum):
    STAGED = "staged"
    SENDING = "sending"
    UNKNOWN = "unknown"
    UNVERIFIED = "unverified"


class BatchState(StrEnum):
    SENDING = "sending"
    ANSWERED = "answered"  # every entry has an outcome from the receiver
    UNKNOWN = "unknown"  # some entries' outcome is unknown
    RECONCILED = "reconciled"
    FORGOTTEN = "forgotten"


class Verdict(StrEnum):
    """What reconciling decided for one entry of an unknown batch."""

    TOOK_EFFECT = "took effect"
    RESTAGED = "re-staged"
    UNVERIFIED = "unverified"  # kept for the operator: a status cannot prove it
    NOT_RESTAGED = "not re-staged"  # the order moved on: it cannot be applied any more


class StoreError(Exception):
    """The store cannot be used; the message names the file and the reason."""


class CorruptRow(StoreError):
    """A row holds a value no ccnow-tui writes (edited by hand, a damaged disk): the
    message names the table, the row and the value. Never acted on: an entry whose order
    or amount cannot be read must not be shown as something else, nor sent."""


class ClaimConflict(Exception):
    """Nothing was claimed (so nothing may be sent); the message says why."""


class StoredEntry(NamedTuple):
    """A live entry as the store holds it (a NamedTuple: all of them load at every start, docs/scale.md)."""

    id: int
    action: StagedAction
    state: EntryState
    batch_id: str | None = None
    remark: str = ""  # the receiver's words, or why it came back
    rev: int = 0  # bumped by every change, so a claim sends what the operator saw
    pos: int = 0  # place in the staging order

    @property
    def order_id(self) -> OrderId:
        return self.action.order_id


@dataclass(frozen=True)
class HeldBatch:
    """A batch whose entries nobody may touch: in flight, or its outcome unknown."""

    batch_id: str
    state: BatchState
    created_at: str
    host: str
    client_id: str
    message: str
    pid: int
    hostname: str
    mine: bool  # sent by this process
    entries: tuple[StoredEntry, ...]


@dataclass
class Snapshot:
    """Everything live in the store: what the composer shows."""

    staged: list[StoredEntry] = field(default_factory=list)
    held: list[HeldBatch] = field(default_factory=list)
    unverified: list[StoredEntry] = field(default_factory=list)


@dataclass(frozen=True)
class BatchMeta:
    """Where a batch goes: recorded with it, shown in the journal."""

    url: str
    host: str
    client_id: str
    store_id: str = ""
    profile: str = ""


@dataclass(frozen=True, slots=True)
class Settled:
    """One entry's answer, for :meth:`Store.settle`."""

    entry_id: int
    outcome: str  # EntryOutcome value: applied, refused, unknown
    status: str = ""
    message: str = ""
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Judged:
    """One entry's reconcile verdict, for :meth:`Store.reconcile`."""

    entry_id: int
    verdict: Verdict
    status: str = ""
    why: str = ""


@dataclass
class UndoResult:
    skipped: int = 0  # entries sent or changed by someone else since: left alone
    removed: range | None = None  # ids an undone add took away
    touched: list[int] = field(default_factory=list)  # ids put back or restored
    held_changed: bool = False
