"""Tracking numbers from a label file (issue #9): the textual-free core of the import.

Operators buy shipping labels in bulk in a label tool (ShipStation, Pirate Ship, ...) and
export a CSV of order number, carrier and tracking number. :func:`read_label_file` reads
such an export (delimiter, header row and columns found automatically),
:func:`with_mapping` lets the operator pick other columns, and :func:`plan_import` turns
the rows into ``track`` (and ``ship``) entries, every row accepted or rejected with its
reason and its line number.

Pure functions: the caller reads the file (and decodes it); nothing here touches a disk,
the network or the terminal.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from typing import Final, Literal

from .protocol.actions import ActionError, ActionKind, StagedAction
from .protocol.orderid import OrderId
from .protocol.redact import safe_text
from .protocol.status import PENDING

DELIMITERS: Final = (",", ";", "\t")
"""The delimiters a label file may use; ties in detection go to the earlier one."""

HEADER_SCAN_ROWS: Final = 20
"""How many rows from the top may hold the header (a title or notes may come first)."""

SHOWN_CELL: Final = 40
"""How much of a cell a reason quotes."""


class Role(StrEnum):
    """What a column of the label file holds."""

    ORDER = "order"
    CARRIER = "carrier"
    NUMBER = "number"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS: Final[dict[Role, str]] = {
    Role.ORDER: "the order number",
    Role.CARRIER: "the carrier",
    Role.NUMBER: "the tracking number",
}


def normalize_header(cell: str) -> str:
    """A header cell as it is compared: case, blanks and punctuation ignored, ``#`` read
    as "number" (``Order #`` is ``ordernumber``, ``Tracking No.`` is ``trackingno``)."""
    text = cell.replace("\ufeff", "").casefold().replace("#", "number")
    return "".join(c for c in text if c.isalnum())


# Header names, normalized, for each role, most telling first: a file with both
# "Carrier" and "Service" columns (ShipStation's export has both) takes its carrier from
# "Carrier". Taken from common label tools' exports and from this program's own submit
# CSV (order_id, trackname, tracknumber).
HEADER_NAMES: Final[dict[Role, tuple[str, ...]]] = {
    Role.ORDER: tuple(normalize_header(n) for n in (
        "order_id", "Order Number", "Order #", "Order No", "Order Num", "Order ID", "Order",
        "Order Reference", "Reference", "Reference Number",
    )),
    Role.CARRIER: tuple(normalize_header(n) for n in (
        "trackname", "Carrier", "Shipping Carrier", "Carrier Name", "Provider", "Service", "Shipping Service",
    )),
    Role.NUMBER: tuple(normalize_header(n) for n in (
        "tracknumber", "Tracking Number", "Tracking #", "Tracking No", "Tracking Code", "Tracking ID", "Tracking",
    )),
}
_HEADER_RANK: Final[dict[str, tuple[Role, int]]] = {
    name: (role, rank) for role, names in HEADER_NAMES.items() for rank, name in enumerate(names)
}


def header_role(cell: str) -> Role | None:
    """The role a header cell names, if it is one of :data:`HEADER_NAMES`."""
    found = _HEADER_RANK.get(normalize_header(cell))
    return found[0] if found else None


@dataclass(frozen=True)
class ColumnMapping:
    """Which column (0-based index into the header) holds each role; None: not chosen."""

    order: int | None = None
    carrier: int | None = None
    number: int | None = None

    def column(self, role: Role) -> int | None:
        index: int | None = getattr(self, role.value)
        return index

    @property
    def complete(self) -> bool:
        return None not in (self.order, self.carrier, self.number)


@dataclass(frozen=True)
class LabelRow:
    """One data row: the physical line it starts on (1-based) and its cells as read."""

    line: int
    cells: tuple[str, ...]

    def cell(self, index: int | None) -> str:
        """The cell in column ``index``; empty for a row too short to have it."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


@dataclass(frozen=True)
class LabelFile:
    """A label file as read: what was found in it and what is wrong with it.

    ``header_line`` is the physical line of the header row (None: no header was found and
    every row is data; ``header`` then names the columns ``Column 1``, ``Column 2``, ...).
    ``rows`` are the non-blank rows after the header. ``read_problems`` are what went
    wrong reading (a quote never closed, an empty file); :attr:`problems` adds what the
    mapping lacks. Build one with :func:`read_label_file`.
    """

    name: str
    delimiter: str
    header: tuple[str, ...]
    header_line: int | None
    mapping: ColumnMapping
    rows: tuple[LabelRow, ...]
    read_problems: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        return self.read_problems + mapping_problems(self.name, self.header, self.mapping)


def mapping_problems(name: str, header: Sequence[str], mapping: ColumnMapping) -> tuple[str, ...]:
    """What is wrong with ``mapping`` for a file with this header: a role no column was
    chosen for, one column chosen for two roles."""
    out: list[str] = []
    if not header:
        return ()
    for role in Role:
        if mapping.column(role) is None:
            out.append(f"{name}: no column looks like {role.label}; choose one")
    chosen: dict[int, Role] = {}
    for role in Role:
        index = mapping.column(role)
        if index is None:
            continue
        if index in chosen:
            out.append(
                f"{name}: column {index + 1} ({safe_text(header[index], SHOWN_CELL)!r}) is chosen for both "
                f"{chosen[index].label} and {role.label}; choose another"
            )
        else:
            chosen[index] = role
    return tuple(out)


# -- reading ------------------------------------------------------------------------------


def _is_blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _header_score(cells: Sequence[str]) -> int:
    """How many different roles a row's cells name as header names."""
    return len({role for cell in cells if (role := header_role(cell)) is not None})


def _loose_rows(text: str, delimiter: str) -> list[list[str]]:
    """The first rows read forgivingly (for detection only; errors end the sample)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass
    return rows


def detect_delimiter(text: str) -> str:
    """The delimiter among :data:`DELIMITERS` that makes a row read as the best header
    (most roles recognized); with no header recognized under any, the one that occurs
    most on the first non-blank line; ``,`` when none occurs."""
    sample = "".join(text.splitlines(keepends=True)[: HEADER_SCAN_ROWS * 2])
    scores = {d: max((_header_score(r) for r in _loose_rows(sample, d)), default=0) for d in DELIMITERS}
    best = max(scores.values())
    if best > 0:
        return next(d for d in DELIMITERS if scores[d] == best)
    first = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    most = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == most) if most else ","


def _csv_problem(exc: csv.Error, spans_lines: bool) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "field larger than field limit" in text:
        return ("a quoted field starts on this line and its closing quote never comes "
                "(nothing after it was read); close the quote, or double a quote inside it (\"\")")
    if spans_lines and "expected after" in text:
        return (f"{text}: a quoted field starts on this line and runs over several lines to a stray quote; "
                "is a closing quote missing?")
    return f"{text} (a quote inside a quoted field must be doubled: \"\")"


def _strict_rows(text: str, delimiter: str, name: str) -> tuple[list[LabelRow], list[str]]:
    """Every row (blank ones too) with the physical line it starts on; a csv error ends
    the reading and is the one problem, naming the line where its row starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[LabelRow] = []
    start = 1
    try:
        for row in reader:
            rows.append(LabelRow(start, tuple(row)))
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [f"{name}: line {start}: {_csv_problem(exc, reader.line_num > start)}"]
    return rows, []


def _guess_mapping(header: Sequence[str]) -> ColumnMapping:
    """Each role's column whose header names it best (:data:`HEADER_NAMES` order; the
    first such column on a tie)."""
    best: dict[Role, tuple[int, int]] = {}  # role -> (rank, index)
    for index, cell in enumerate(header):
        found = _HEADER_RANK.get(normalize_header(cell))
        if found is not None:
            role, rank = found
            if role not in best or rank < best[role][0]:
                best[role] = (rank, index)
    column = {role: index for role, (_, index) in best.items()}
    return ColumnMapping(column.get(Role.ORDER), column.get(Role.CARRIER), column.get(Role.NUMBER))


def decode_label_bytes(data: bytes, name: str) -> str:
    """A label file's bytes as text: UTF-8, with or without a BOM. Anything else is a
    ValueError naming the file and where the first byte that is not UTF-8 is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                         "export or save it as UTF-8 (\"CSV UTF-8\")") from None


def read_label_file(text: str, name: str) -> LabelFile:
    """Read a label export (already decoded): find its delimiter, header row and columns.

    The header is the first of the top :data:`HEADER_SCAN_ROWS` rows naming the most
    roles (lines above it, a title or a note, are skipped). A file none of whose rows
    names any role has no header when its first row holds an order number (every row is
    then data), else its first non-blank row is the header; either way the operator has
    to choose the columns (:func:`with_mapping`).

    Read strictly: a quoted field that never closes is a problem naming its line (the
    rows before it are kept, nothing after it is read).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = detect_delimiter(text)
    all_rows, problems = _strict_rows(text, delimiter, name)
    nonblank = [row for row in all_rows if not _is_blank(row.cells)]
    if not nonblank:
        if not problems:
            problems.append(f"{name}: the file is empty (expected a header row and label rows)")
        return LabelFile(name, delimiter, (), None, ColumnMapping(), (), tuple(problems))
    scan = nonblank[:HEADER_SCAN_ROWS]
    scores = [_header_score(row.cells) for row in scan]
    best = max(scores)
    if best > 0:
        header_row = scan[scores.index(best)]
    elif any(len(find_order_ids(cell)) == 1 for cell in nonblank[0].cells):
        width = max(len(row.cells) for row in nonblank)
        header = tuple(f"Column {i + 1}" for i in range(width))
        return LabelFile(name, delimiter, header, None, ColumnMapping(), tuple(nonblank), tuple(problems))
    else:
        header_row = nonblank[0]
    header = tuple(cell.strip() for cell in header_row.cells)
    rows = tuple(row for row in nonblank if row.line > header_row.line)
    if not rows and not problems:
        problems.append(f"{name}: no label rows after the header (line {header_row.line})")
    return LabelFile(name, delimiter, header, header_row.line, _guess_mapping(header), rows, tuple(problems))


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP
"""For :func:`with_mapping`: leave this role's column as it is."""

ColumnChoice = int | None | Literal[_Keep.KEEP]


def with_mapping(
    file: LabelFile,
    *,
    order: ColumnChoice = KEEP,
    carrier: ColumnChoice = KEEP,
    number: ColumnChoice = KEEP,
) -> LabelFile:
    """The same file with the columns the operator chose (None: no column; a role not
    given keeps its column). A column outside the header is a ValueError (the caller
    offers only the header's columns)."""
    current = file.mapping
    chosen: dict[str, int | None] = {}
    for role, value in ((Role.ORDER, order), (Role.CARRIER, carrier), (Role.NUMBER, number)):
        if value is KEEP:
            chosen[role.value] = current.column(role)
            continue
        if value is not None and not 0 <= value < len(file.header):
            raise ValueError(f"column {value} for {role.label} is not one of the file's "
                             f"{len(file.header)} columns (0 to {len(file.header) - 1})")
        chosen[role.value] = value
    return replace(file, mapping=ColumnMapping(**chosen))


# -- order numbers inside cells -----------------------------------------------------------

# Nine digits, or DDD-DD-DDDD, not part of a longer run of digits: "#396-10-1142",
# "Order 396101142", "ORD-396101142/2" all hold one. Order numbers are ASCII digits; a
# digit of any script next to them (fullwidth "１", Arabic-Indic "٣", superscript "²":
# whatever str.isdigit() takes) makes the run longer than an order number: no match.
_ORDER_IN_CELL = re.compile(r"(?<![0-9])(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{9})(?![0-9])")


def find_order_ids(cell: str) -> list[OrderId]:
    """The different order numbers in a cell, in the order they appear."""
    found: list[OrderId] = []
    for match in _ORDER_IN_CELL.finditer(cell):
        start, end = match.span()
        if (start > 0 and cell[start - 1].isdigit()) or (end < len(cell) and cell[end].isdigit()):
            continue  # part of a longer run of digits, in some script
        oid = OrderId.parse(match.group())
        if oid not in found:
            found.append(oid)
    return found


# -- the import plan ----------------------------------------------------------------------


class Verdict(StrEnum):
    """What became of a row: accepted, or why not."""

    ACCEPTED = "accepted"
    UNMAPPED = "unmapped"  # the mapping lacks a column (or uses one twice)
    EXTRA_CELLS = "extra_cells"  # more non-empty cells than the header has columns
    NO_ORDER = "no_order"  # no order number in the order cell
    AMBIGUOUS = "ambiguous"  # two different order numbers in it
    NOT_KNOWN = "not_known"  # known_status does not hold the order
    NOT_PENDING = "not_pending"  # known_status says it is not pending
    INVALID = "invalid"  # carrier or number missing or breaking a field rule
    DUPLICATE = "duplicate"  # the same order, carrier and number as an earlier row
    CONFLICT = "conflict"  # the order has different tracking in other rows


@dataclass(frozen=True)
class PlannedRow:
    """One row's fate: its entries when accepted, else the reason (plain text, cells in
    it masked and escaped; the caller still renders it as plain text)."""

    line: int
    cells: tuple[str, ...]
    verdict: Verdict
    order_id: OrderId | None = None
    entries: tuple[StagedAction, ...] = ()
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED


@dataclass(frozen=True)
class ImportPlan:
    """Every non-blank data row in file order, accepted or not; the accepted rows'
    entries in file order (each row's ``track`` then its ``ship``). ``problems`` are the
    file's (:attr:`LabelFile.problems`): a plan with problems should not be staged."""

    rows: tuple[PlannedRow, ...]
    entries: tuple[StagedAction, ...]
    accepted: int
    rejected: int
    problems: tuple[str, ...] = field(default=())

    def rejected_rows(self) -> Iterator[PlannedRow]:
        return (row for row in self.rows if not row.accepted)


def _quoted(cell: str) -> str:
    return repr(safe_text(cell.strip(), SHOWN_CELL))


def _carrier_key(carrier: str) -> str:
    return " ".join(carrier.casefold().split())


def _number_key(number: str) -> str:
    """Tracking numbers compared as label tools print them differently: no blanks or
    hyphens, any case (``1z 999-aa1`` is ``1Z999AA1``)."""
    return "".join(c for c in number.upper() if c not in " -\t")


def plan_import(
    file: LabelFile,
    *,
    known_status: Mapping[OrderId, str] | None,
    ship: bool = True,
) -> ImportPlan:
    """Each row accepted (``track`` with its carrier and number, and ``ship`` when
    ``ship``) or rejected with the reason, checked in this order: the mapping is
    complete, no extra non-empty cells, exactly one order number in the order cell, the
    order is known and pending (when ``known_status`` is given; None: not checked),
    carrier and number pass the field rules (:meth:`StagedAction.make`), then across
    rows: the same order, carrier and number again is a duplicate (the first row counts),
    different tracking for one order is a conflict (all its rows are rejected). Carriers
    compare ignoring case and blanks, numbers ignoring case, blanks and hyphens. Blank
    rows are skipped.
    """
    unmapped = mapping_problems(file.name, file.header, file.mapping)
    data = [row for row in file.rows if not _is_blank(row.cells)]
    if unmapped or not file.mapping.complete:
        why = "; ".join(p.removeprefix(f"{file.name}: ") for p in unmapped) or "the columns are not chosen"
        rows = tuple(PlannedRow(r.line, r.cells, Verdict.UNMAPPED, reason=why) for r in data)
        return ImportPlan(rows, (), 0, len(rows), file.problems)

    mapping = file.mapping
    width = len(file.header)
    planned: list[PlannedRow] = []
    # Rows that passed every per-row check, by order: (index in planned, carrier key, number key).
    valid_by_order: dict[OrderId, list[tuple[int, str, str]]] = {}
    for row in data:
        extra = [c for c in row.cells[width:] if c.strip()]
        if extra:
            planned.append(PlannedRow(
                row.line, row.cells, Verdict.EXTRA_CELLS,
                reason=f"{len(row.cells)} cells, the header has {width} (an unquoted delimiter inside a cell?)",
            ))
            continue
        order_cell = row.cell(mapping.order)
        ids = find_order_ids(order_cell)
        if not ids:
            what = f"in {_quoted(order_cell)}" if order_cell.strip() else "(the cell is empty)"
            planned.append(PlannedRow(row.line, row.cells, Verdict.NO_ORDER, reason=f"no order number {what}"))
            continue
        if len(ids) > 1:
            planned.append(PlannedRow(
                row.line, row.cells, Verdict.AMBIGUOUS,
                reason=f"{_quoted(order_cell)} holds {len(ids)} order numbers ({', '.join(ids)}); which one?",
            ))
            continue
        oid = ids[0]
        if known_status is not None:
            status = known_status.get(oid)
            if status is None:
                planned.append(PlannedRow(
                    row.line, row.cells, Verdict.NOT_KNOWN, oid,
                    reason=f"order {oid} is not known (not in the order list)",
                ))
                continue
            if status != PENDING:
                planned.append(PlannedRow(
                    row.line, row.cells, Verdict.NOT_PENDING, oid,
                    reason=f"order {oid} is {safe_text(status, SHOWN_CELL)}, not pending",
                ))
                continue
        try:
            track = StagedAction.make(
                oid, ActionKind.TRACK, trackname=row.cell(mapping.carrier), tracknumber=row.cell(mapping.number),
            )
        except ActionError as exc:
            what = "carrier" if exc.field == "trackname" else "tracking number"
            planned.append(PlannedRow(row.line, row.cells, Verdict.INVALID, oid, reason=f"{what}: {exc.message}"))
            continue
        made: tuple[StagedAction, ...] = (track, StagedAction.make(oid, ActionKind.SHIP)) if ship else (track,)
        valid_by_order.setdefault(oid, []).append(
            (len(planned), _carrier_key(track.trackname), _number_key(track.tracknumber)))
        planned.append(PlannedRow(row.line, row.cells, Verdict.ACCEPTED, oid, made))

    for oid, found in valid_by_order.items():
        keys = {(carrier, number) for _, carrier, number in found}
        if len(keys) > 1:
            shown: list[str] = []
            for index, _, _ in found:
                entry = planned[index].entries[0]
                text = f"{entry.trackname} {entry.tracknumber}"
                if text not in shown:
                    shown.append(text)
            lines = ", ".join(str(planned[index].line) for index, _, _ in found)
            reason = (f"order {oid} has conflicting tracking in this file: "
                      f"{'; '.join(safe_text(s, SHOWN_CELL * 2) for s in shown)} (lines {lines}); "
                      "none of its rows is imported")
            for index, _, _ in found:
                planned[index] = replace(planned[index], verdict=Verdict.CONFLICT, entries=(), reason=reason)
            continue
        first = planned[found[0][0]].line
        for index, _, _ in found[1:]:
            planned[index] = replace(
                planned[index], verdict=Verdict.DUPLICATE, entries=(),
                reason=f"duplicate of line {first} (same order, carrier and tracking number)",
            )

    entries = tuple(entry for row in planned for entry in row.entries)
    accepted = sum(1 for row in planned if row.accepted)
    return ImportPlan(tuple(planned), entries, accepted, len(planned) - accepted, file.problems)
