"""The composer's list: staged entries numbered as they will be sent, then the batches
held by the store (in flight, or of unknown outcome: never re-sent by themselves), then
the unverified entries (a reconcile could not prove them; only the operator re-stages)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Unpack, overload

from rich.style import Style
from textual.strip import Strip

from ...protocol.actions import StagedAction
from ...protocol.batch import Lint, Severity
from ...storage.store import BatchState, HeldBatch, StoredEntry
from ..model import journal_time
from .line_list import CursorList, WidgetOptions, fit, printable, strip_of

if TYPE_CHECKING:
    from ...domain.staging import StagingArea


@dataclass(frozen=True, slots=True)
class Row:
    entry: StagedAction | None = None
    n: int = 0  # x_*_N as it will be sent (staged rows)
    staged_index: int | None = None  # position in the staging area when the rows were built (staged rows)
    stored: StoredEntry | None = None  # the staged entry as the rows were built: what e and d act on
    unknown: HeldBatch | None = None  # set on rows of a held batch (header and entries)
    unverified: StoredEntry | None = None  # set on unverified rows
    header: bool = False  # a section's header row (held batch, unverified)

    @property
    def is_staged(self) -> bool:
        return self.staged_index is not None


class Segment:
    """Rows of one held batch or of the unverified entries: a header, then one per entry,
    each made only when it is looked at (a batch in flight may be of the stress size, docs/scale.md)."""

    def __init__(self, header: Row, entries: Sequence[StoredEntry], unverified: bool) -> None:
        self.header = header
        self.entries = entries
        self.unverified = unverified

    def __len__(self) -> int:
        return 1 + len(self.entries)

    def row(self, i: int) -> Row:
        if i == 0:
            return self.header
        e = self.entries[i - 1]
        if self.unverified:
            return Row(entry=e.action, unverified=e)
        return Row(entry=e.action, unknown=self.header.unknown)


class Rows(Sequence[Row]):
    """The staged entries in sending order, then the held batches' and unverified rows.

    A row object is made only when a row is looked at: building them all at the stress size on every
    change to the staging area would stall the composer for a good part of a second.
    ``entries`` is a copy of the staged list as it was when the rows were built (a tuple,
    copied at C speed): the staging area changes its list in place, and a row drawn or
    acted on before the composer rebuilds must still be the entry the operator sees.
    """

    def __init__(self, entries: Sequence[StoredEntry], send_order: Sequence[int], tail: Sequence[Segment]) -> None:
        self._entries = entries
        self._send_order = send_order
        self._segments = list(tail)
        self._tail_len = sum(len(seg) for seg in self._segments)

    def __len__(self) -> int:
        return len(self._send_order) + self._tail_len

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        staged = len(self._send_order)
        if 0 <= index < staged:
            i = self._send_order[index]
            stored = self._entries[i]
            return Row(stored.action, index + 1, i, stored=stored)
        if staged <= index < len(self):
            index -= staged
            for seg in self._segments:
                if index < len(seg):
                    return seg.row(index)
                index -= len(seg)
        raise IndexError(index)


def fields_text(entry: StagedAction) -> str:
    """The entry's fields, worded as everywhere else (protocol.actions.describe_fields)."""
    return entry.fields_text()


class EntryTable(CursorList):
    DEFAULT_CSS = """
    EntryTable > .entry-table--error { color: $text-error; text-style: bold; }
    EntryTable > .entry-table--warning { color: $text-warning; }
    EntryTable > .entry-table--remark { color: $text-error; }
    EntryTable > .entry-table--unknown { color: $text-warning; text-style: bold; }
    EntryTable > .entry-table--dim { color: $text-muted; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = CursorList.COMPONENT_CLASSES | {
        "entry-table--error",
        "entry-table--warning",
        "entry-table--remark",
        "entry-table--unknown",
        "entry-table--dim",
    }

    def __init__(
        self,
        staging: StagingArea,
        *,
        restage: str = "r",
        forget: str = "d",
        reconcile: str = "R",
        **kwargs: Unpack[WidgetOptions],
    ) -> None:
        """``restage``, ``forget``, ``reconcile``: the keys in effect the headers name."""
        super().__init__(**kwargs)
        self.staging = staging
        self.restage_key, self.forget_key, self.reconcile_key = restage, forget, reconcile
        self.rows: Rows = Rows((), [], [])
        self.lints_by_index: dict[int, list[Lint]] = {}

    def rebuild(self, lints: list[Lint]) -> None:
        staging = self.staging
        tail = [Segment(Row(unknown=held, header=True), held.entries, False) for held in staging.held]
        if staging.unverified:
            tail.append(Segment(Row(header=True, unverified=staging.unverified[0]), staging.unverified, True))
        self.rows = Rows(tuple(staging.staged), staging.send_order(), tail)
        by_index: dict[int, list[Lint]] = {}
        for lint in lints:
            for i in lint.staged_indexes:
                by_index.setdefault(i, []).append(lint)
        self.lints_by_index = by_index
        self.rows_changed()

    def row_count(self) -> int:
        return len(self.rows)

    @property
    def current(self) -> Row | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def render_row(self, index: int, width: int, base: Style, cursor: Style | None) -> Strip:
        row = self.rows[index]
        style = self.get_component_rich_style
        if row.header:
            b = row.unknown
            if b is None:
                text = (
                    " ── UNVERIFIED · may already have been applied · not sent · "
                    f"{self.restage_key} re-stages, {self.forget_key} forgets "
                )
            elif b.state is BatchState.SENDING:
                who = "this window" if b.mine else f"process {b.pid} on {b.hostname}"
                text = f" ── SENDING · batch {b.batch_id} · by {who} · to {b.host} · cannot be changed "
            else:
                text = (
                    f" ── OUTCOME UNKNOWN · batch {b.batch_id} · sent {journal_time(b.created_at)}"
                    f"{' to ' + b.host if b.host else ''} · not re-sent · {self.reconcile_key} reconciles "
                )
            return strip_of([(fit(printable(text), width), cursor or style("entry-table--unknown"))], width, base)
        entry = row.entry
        assert entry is not None
        if row.unknown is not None:
            mark = "…" if row.unknown.state is BatchState.SENDING else "?"
            number, mark_cls = "    ", "entry-table--unknown"
        elif row.unverified is not None:
            number, mark, mark_cls = "    ", "?", "entry-table--unknown"
        else:
            staged_index = row.staged_index if row.staged_index is not None else -1
            lints = self.lints_by_index.get(staged_index, [])
            severities = {lint.severity for lint in lints}
            number = f"{row.n:>4}"
            if Severity.ERROR in severities:
                mark, mark_cls = "✖", "entry-table--error"
            elif Severity.WARNING in severities:
                mark, mark_cls = "⚠", "entry-table--warning"
            elif row.stored is not None and row.stored.remark:
                mark, mark_cls = "!", "entry-table--remark"
            else:
                mark, mark_cls = " ", ""
        remark = row.stored.remark if row.stored is not None else ""
        rest_w = max(0, width - 4 - 3 - 12 - 8)
        details = printable(fields_text(entry))
        if remark:
            details = f"{details}  ← {printable(remark)}" if details else f"← {printable(remark)}"
        cells = [
            (number, "entry-table--unknown" if not row.is_staged else ""),
            (f" {mark} ", mark_cls),
            (fit(entry.order_id, 11) + " ", "entry-table--unknown" if not row.is_staged else ""),
            (fit(entry.kind.value, 7) + " ", "entry-table--unknown" if not row.is_staged else ""),
            (fit(details, rest_w), "entry-table--remark" if remark else "entry-table--dim"),
        ]
        if cursor is not None:
            return strip_of([(t, cursor) for t, _ in cells], width, base)
        return strip_of([(t, style(c) if c else Style()) for t, c in cells], width, base)
