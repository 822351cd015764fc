"""Tracking numbers from a label file (issue #9): the textual-free core of the import.

Operators buy shipping labels in bulk in a label tool (ShipStation, Pirate Ship, ...) and
export a CSV of order number, carrier and tracking number. :func:`read_label_file` reads
such an export (delimiter, header row and columns found automatically: by header name,
else by what the cells hold), :func:`with_mapping` and :func:`with_carrier` let the
operator pick other columns or one carrier for the whole file, and :func:`plan_import`
turns the rows into ``track`` (and ``ship``) entries, every row accepted or rejected with
its reason and its line number. A file without a carrier column is fine: each row's
carrier is guessed from its tracking number's format (:func:`read_tracking_number`),
and the number is written as its carrier writes it.

Pure functions: the caller reads the file (and decodes it); nothing here touches a disk,
the network or the terminal.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from typing import Final, Literal

from ..protocol.actions import MAX_TRACK_FIELD, ActionError, ActionKind, StagedAction, clean_notes
from ..protocol.orderid import OrderId
from ..protocol.redact import safe_text
from ..protocol.status import PENDING

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
# Carrier headers that often hold a service level only ("Ground", "Priority Mail"): such
# a column is the carrier column only when its cells name carriers (WEAK_CARRIER_HEADERS).
_WEAK_CARRIER_NAMES: Final = (
    "Service",
    "Shipping Service",
    "Service Type",
    "Mail Class",
    "Carrier Service",
    "Shipping Method",
    "Ship Via",
)
HEADER_NAMES: Final[dict[Role, tuple[str, ...]]] = {
    Role.ORDER: tuple(
        normalize_header(n)
        for n in (
            "order_id",
            "Order Number",
            "Order #",
            "Order No",
            "Order Num",
            "Order ID",
            "Order",
            "Order Reference",
            "Order Ref",
            "Store Order Number",
            "Sales Order",
            "Reference",
            "Reference Number",
            "Reference No",
            "Reference #",
            "Reference ID",
            "Ref",
            "Ref #",
            "Ref No",
            "Ref 1",
            "Reference 1",
            "Reference1",
            "Package Reference 1",
            "Package Reference",
            "Shipment Reference 1",
            "Shipment Reference",
            "Customer Reference",
            "Reference 2",
            "Package Reference 2",
            "Shipment Reference 2",
            "Ref 2",
        )
    ),
    Role.CARRIER: tuple(
        normalize_header(n)
        for n in (
            "trackname",
            "Carrier",
            "Shipping Carrier",
            "Carrier Name",
            "Carrier Code",
            "Shipment Carrier",
            "Shipment - Carrier",
            "Shipping Provider",
            "Provider",
            "Courier",
            *_WEAK_CARRIER_NAMES,
        )
    ),
    Role.NUMBER: tuple(
        normalize_header(n)
        for n in (
            "tracknumber",
            "Tracking Number",
            "Tracking #",
            "Tracking No",
            "Tracking Code",
            "Tracking ID",
            "Tracking",
            "Package Tracking Number",
            "Tracking Numbers",
            "Shipment Tracking Number",
            "Label Tracking Number",
            "Tracking Nbr",
        )
    ),
}
WEAK_CARRIER_HEADERS: Final = frozenset(normalize_header(n) for n in _WEAK_CARRIER_NAMES)
# A column saying a label was voided (UPS WorldShip's "Void Indicator", ShipStation's
# "Voided"): such a row's tracking number is not the parcel's.
VOID_HEADERS: Final = frozenset(
    normalize_header(n)
    for n in (
        "Void Indicator",
        "Void",
        "Voided",
        "Is Voided",
        "Void Flag",
        "Label Voided",
    )
)
_VOID_WORDS: Final = frozenset({"y", "yes", "true", "1", "voided", "void", "x"})
_HEADER_RANK: Final[dict[str, tuple[Role, int]]] = {
    name: (role, rank) for role, names in HEADER_NAMES.items() for rank, name in enumerate(names)
}


def header_role(cell: str) -> Role | None:
    """The role a header cell names, if it is one of :data:`HEADER_NAMES`."""
    found = _HEADER_RANK.get(normalize_header(cell))
    return found[0] if found else None


class Found(StrEnum):
    """How a column was found for a role."""

    HEADER = "by its header"
    CONTENT = "by its content"


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
        """The order and the number have a column (the carrier may be guessed)."""
        return None not in (self.order, self.number)


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
    found: tuple[tuple[Role, Found], ...] = ()
    """How each mapped role's column was found (a role not listed: not found, or chosen)."""
    carrier: str | None = None
    """One carrier for every row, set by the operator (None: each row's own, or guessed)."""

    @property
    def problems(self) -> tuple[str, ...]:
        return self.read_problems + mapping_problems(self.name, self.header, self.mapping)

    def found_by(self, role: Role) -> Found | None:
        """How ``role``'s column was found, None when the operator chose it (or none is)."""
        return dict(self.found).get(role)


def mapping_problems(name: str, header: Sequence[str], mapping: ColumnMapping) -> tuple[str, ...]:
    """What is wrong with ``mapping`` for a file with this header: a role no column was
    chosen for, one column chosen for two roles."""
    out: list[str] = []
    if not header:
        return ()
    for role in (Role.ORDER, Role.NUMBER):  # no carrier column: each number's format names it
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


def csv_problem(exc: csv.Error, spans_lines: bool) -> str:
    """What a csv.Error means for the operator (a label file, the CLI's CSV input)."""
    text = str(exc)
    if "unexpected end of data" in text or "field larger than field limit" in text:
        return (
            "a quoted field starts on this line and its closing quote never comes "
            '(nothing after it was read); close the quote, or double a quote inside it ("")'
        )
    if spans_lines and "expected after" in text:
        return (
            f"{text}: a quoted field starts on this line and runs over several lines to a stray quote; "
            "is a closing quote missing?"
        )
    return f'{text} (a quote inside a quoted field must be doubled: "")'


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
        return rows, [f"{name}: line {start}: {csv_problem(exc, reader.line_num > start)}"]
    return rows, []


def _column_cells(rows: Sequence[LabelRow], index: int) -> list[str]:
    """The non-empty cells of column ``index``, stripped."""
    return [cell.strip() for row in rows if (cell := row.cell(index)).strip()]


def _order_score(cells: Sequence[str], known: Collection[OrderId] | None) -> tuple[int, int]:
    """How much a column's cells look like order numbers: (cells holding one order
    number this account has, cells holding exactly one order number)."""
    ids = [found[0] for cell in cells if len(found := find_order_ids(cell)) == 1]
    return (sum(1 for oid in ids if oid in known) if known else 0), len(ids)


def _number_score(cells: Sequence[str]) -> tuple[int, int]:
    """(cells of a format only tracking numbers have, cells of any carrier's format): ten
    digits (DHL Express) may as well be a phone number."""
    readings = [read_tracking_number(cell).carriers for cell in cells]
    return sum(1 for c in readings if c and c != (DHL,)), sum(1 for c in readings if c)


def _carrier_score(cells: Sequence[str]) -> int:
    return sum(1 for cell in cells if carrier_family(cell) is not None)


def _names_carriers(cells: Sequence[str]) -> bool:
    """At least half of a column's non-empty cells (and one) name a carrier."""
    named = _carrier_score(cells)
    return named > 0 and named * 2 >= len(cells)


def _by_content(
    rows: Sequence[LabelRow],
    width: int,
    taken: Collection[int],
    score: Callable[[Sequence[str]], tuple[int, ...]],
    enough: int,
) -> int | None:
    """The column not in ``taken`` whose cells score best (``score``: cells -> a tuple
    compared as a whole, whose last item counts the cells that fit), when at least
    ``enough`` of them count and no other column scores the same with other cells (a tie
    between columns holding the same text takes the first)."""
    best: tuple[tuple[int, ...], int] | None = None
    tied = False
    for index in range(width):
        if index in taken:
            continue
        cells = _column_cells(rows, index)
        value = score(cells)
        if value[-1] < enough:
            continue
        if best is None or value > best[0]:
            best, tied = (value, index), False
        elif value == best[0] and _column_cells(rows, best[1]) != cells:
            tied = True
    return None if best is None or tied else best[1]


def _guess_mapping(
    header: Sequence[str],
    rows: Sequence[LabelRow],
    known: Collection[OrderId] | None,
) -> tuple[ColumnMapping, tuple[tuple[Role, Found], ...]]:
    """Each role's column, and how it was found.

    By header (:data:`HEADER_NAMES` order; the first such column on a tie), as long as
    its cells agree: of the columns named like an order column, the best named one that
    holds order numbers; a column named like a service level (:data:`WEAK_CARRIER_HEADERS`)
    is the carrier column only when at least half its cells name carriers. A role no header names is
    found by content, among the columns not taken: the order column is the one whose
    cells are order numbers (of this account's, when ``known`` says which; else of the
    format) in at least half the rows; the number column the one whose cells have a
    carrier's format (not ten digits alone: phone numbers have that form); the carrier
    column the one whose cells name carriers.
    """
    width = max([len(header), *(len(row.cells) for row in rows)])
    half = max(1, (len(rows) + 1) // 2)
    named: dict[Role, list[tuple[int, int]]] = {role: [] for role in Role}  # role -> [(rank, index)]
    for index, cell in enumerate(header):
        found = _HEADER_RANK.get(normalize_header(cell))
        if found is not None:
            named[found[0]].append((found[1], index))
    column: dict[Role, int] = {}
    how: dict[Role, Found] = {}
    for role, candidates in named.items():
        candidates.sort()
        if role is Role.ORDER and rows:
            holding = [(r, i) for r, i in candidates if _order_score(_column_cells(rows, i), known)[1] > 0]
            candidates = holding or (
                [] if _by_content(rows, width, (), lambda c: _order_score(c, known), half) is not None else candidates
            )
        if role is Role.CARRIER and rows:
            candidates = [
                (r, i)
                for r, i in candidates
                if normalize_header(header[i]) not in WEAK_CARRIER_HEADERS or _names_carriers(_column_cells(rows, i))
            ]
        if candidates:
            column[role], how[role] = candidates[0][1], Found.HEADER
    if rows:
        scores: dict[Role, Callable[[Sequence[str]], tuple[int, ...]]] = {
            Role.ORDER: lambda c: _order_score(c, known),
            Role.NUMBER: _number_score,
            Role.CARRIER: lambda c: (_carrier_score(c),),
        }
        for role in (Role.ORDER, Role.NUMBER, Role.CARRIER):
            if role in column:
                continue
            found_at = _by_content(rows, width, set(column.values()), scores[role], half)
            if role is Role.NUMBER and found_at is not None and _number_score(_column_cells(rows, found_at))[0] == 0:
                found_at = None  # ten digits alone may be phone numbers: not taken without a header
            if found_at is not None:
                column[role], how[role] = found_at, Found.CONTENT
    mapping = ColumnMapping(column.get(Role.ORDER), column.get(Role.CARRIER), column.get(Role.NUMBER))
    return mapping, tuple((role, how[role]) for role in Role if role in how)


def decode_label_bytes(data: bytes, name: str) -> str:
    """A label file's bytes as text: UTF-8, with or without a BOM. Anything else is a
    ValueError naming the file and where the first byte that is not UTF-8 is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            'export or save it as UTF-8 ("CSV UTF-8")'
        ) from None


def read_label_file(text: str, name: str, known_orders: Collection[OrderId] | None = None) -> LabelFile:
    """Read a label export (already decoded): find its delimiter, header row and columns.

    The header is the first of the top :data:`HEADER_SCAN_ROWS` rows naming the most
    roles (lines above it, a title or a note, are skipped). A file none of whose rows
    names any role has no header when its first row holds an order number (every row is
    then data), else its first non-blank row is the header. Columns are found by header
    name, else by content (:func:`_guess_mapping`; ``known_orders``: the account's order
    numbers, when known, to tell the order column from other nine-digit numbers); the
    operator may choose others (:func:`with_mapping`).

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
        mapping, found = _guess_mapping((), nonblank, known_orders)
        return LabelFile(name, delimiter, header, None, mapping, tuple(nonblank), tuple(problems), found)
    else:
        header_row = nonblank[0]
    header = tuple(cell.strip() for cell in header_row.cells)
    rows = tuple(row for row in nonblank if row.line > header_row.line)
    if not rows and not problems:
        problems.append(f"{name}: no label rows after the header (line {header_row.line})")
    mapping, found = _guess_mapping(header, rows, known_orders)
    return LabelFile(name, delimiter, header, header_row.line, mapping, rows, tuple(problems), found)


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
            raise ValueError(
                f"column {value} for {role.label} is not one of the file's "
                f"{len(file.header)} columns (0 to {len(file.header) - 1})"
            )
        chosen[role.value] = value
    given = {
        role
        for role, value in ((Role.ORDER, order), (Role.CARRIER, carrier), (Role.NUMBER, number))
        if value is not KEEP
    }
    found = tuple((role, how) for role, how in file.found if role not in given)
    return replace(file, mapping=ColumnMapping(**chosen), found=found)


def column_named(header: Sequence[str], text: str) -> int:
    """The column (0-based) ``text`` names: a header cell (compared as headers are:
    case, blanks and punctuation ignored), else a 1-based column number. A ValueError
    says why ``text`` names none, listing the columns."""
    wanted = text.strip()
    listed = ", ".join(f"{i + 1} {safe_text(name, SHOWN_CELL)!r}" for i, name in enumerate(header))
    if not wanted:
        raise ValueError(f"no column given; the columns are {listed}")
    key = normalize_header(wanted)
    named = [i for i, name in enumerate(header) if key and normalize_header(name) == key]
    if named:
        return named[0]
    if wanted.isascii() and wanted.isdigit():
        number = int(wanted)
        if 1 <= number <= len(header):
            return number - 1
        raise ValueError(f"column {number}: the file has {len(header)} columns ({listed})")
    raise ValueError(f"no column is named {safe_text(wanted, SHOWN_CELL)!r}; the columns are {listed}")


def with_carrier(file: LabelFile, carrier: str | None) -> LabelFile:
    """The same file with one carrier for every row (None or blank: each row's own, from
    the carrier column, else guessed from its number). A name a carrier field cannot
    hold (control characters, too long) is a ValueError saying why."""
    if carrier is None or not carrier.strip():
        return replace(file, carrier=None)
    try:
        name = clean_notes(carrier, "trackname", MAX_TRACK_FIELD)
    except ActionError as exc:
        raise ValueError(f"carrier '{safe_text(carrier.strip(), SHOWN_CELL)}': {exc.message}") from None
    return replace(file, carrier=name)


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


# -- tracking numbers: the carrier a format names, the number as the carrier writes it ----

UPS: Final = "UPS"
USPS: Final = "USPS"
FEDEX: Final = "FedEx"
DHL: Final = "DHL Express"
CARRIERS: Final = (UPS, USPS, FEDEX, DHL)
"""The carriers a tracking number's format can name, as the carrier is written in a guess."""

_UPS_NUMBER = re.compile(r"1Z[0-9A-Z]{16}", re.ASCII)
_S10_US = re.compile(r"[A-Z]{2}[0-9]{9}US", re.ASCII)  # USPS international (UPU S10, origin US)
_USPS_PREFIXES = ("92", "93", "94", "95")
# USPS's older 20-digit forms (Certified Mail 70.., 71.., 72..; 03.., 23..): also FedEx's length.
_USPS_OLD_PREFIXES = ("03", "23", "70", "71", "72")
# A number a spreadsheet turned into a float ("9.40011E+21"): its digits are gone.
_SPREADSHEET_FLOAT = re.compile(r"[0-9]+(?:[.,][0-9]+)?E\+?[0-9]+", re.ASCII | re.IGNORECASE)
_FEDEX_LENGTHS = (12, 15, 20, 22)
_SEPARATORS = " -\t\u00a0"


@dataclass(frozen=True)
class NumberReading:
    """What a tracking number's format says.

    ``carriers``: the carriers whose format it has (none: unknown; two: ambiguous, as a
    22-digit number starting 92 may be USPS or FedEx). ``form``: the format in words.
    """

    text: str
    carriers: tuple[str, ...]
    form: str

    @property
    def guess(self) -> str | None:
        """The one carrier the format names; None when it names none or several."""
        return self.carriers[0] if len(self.carriers) == 1 else None


def _compact(number: str) -> str:
    return "".join(c for c in number.strip() if c not in _SEPARATORS)


def _usps_routing(digits: str) -> str | None:
    """The USPS number inside a barcode read with its ``420`` + ZIP (5 or 9 digits)
    routing prefix; None when ``digits`` is not one."""
    if not digits.startswith("420"):
        return None
    for zip_length in (5, 9):
        rest = digits[3 + zip_length :]
        if 20 <= len(rest) <= 22 and rest.startswith(_USPS_PREFIXES) and len(digits) == 3 + zip_length + len(rest):
            return rest
    return None


def read_tracking_number(number: str) -> NumberReading:
    """The carriers ``number``'s format names (blanks and hyphens inside it ignored).

    UPS: ``1Z`` and 16 letters or digits. USPS: 20 to 22 digits starting 92, 93, 94 or 95,
    the same after a ``420`` + ZIP routing prefix, or an international ``XX123456789US``.
    FedEx: 12, 15, 20 or 22 digits. DHL Express: 10 digits. A 20- or 22-digit number
    starting 92 has both USPS's and FedEx's format (FedEx's ground economy numbers start
    so too), as has a 20-digit one starting 03, 23, 70, 71 or 72 (USPS's older forms,
    Certified Mail among them): ambiguous, said, never guessed.
    """
    text = _compact(number).upper()
    if _UPS_NUMBER.fullmatch(text):
        return NumberReading(text, (UPS,), "1Z and 16 letters or digits")
    if _S10_US.fullmatch(text):
        return NumberReading(text, (USPS,), "2 letters, 9 digits, US")
    if not (text.isascii() and text.isdigit()):
        return NumberReading(text, (), "not a format this program knows")
    n = len(text)
    if _usps_routing(text) is not None:
        return NumberReading(text, (USPS,), f"{n} digits: 420, a ZIP code and a USPS number")
    if 20 <= n <= 22 and text.startswith(_USPS_PREFIXES):
        if n in _FEDEX_LENGTHS and text.startswith("92"):
            return NumberReading(text, (USPS, FEDEX), f"{n} digits starting 92")
        return NumberReading(text, (USPS,), f"{n} digits starting {text[:2]}")
    if n == 20 and text.startswith(_USPS_OLD_PREFIXES):
        return NumberReading(text, (USPS, FEDEX), f"20 digits starting {text[:2]}")
    if n in _FEDEX_LENGTHS:
        return NumberReading(text, (FEDEX,), f"{n} digits")
    if n == 10:
        return NumberReading(text, (DHL,), "10 digits")
    return NumberReading(text, (), f"{n} digits, not a format this program knows")


def carrier_family(name: str) -> str | None:
    """Which of :data:`CARRIERS` a carrier cell names ("UPS® Ground" is UPS, "usps",
    "stamps_com" and "Endicia" are USPS (the postage resellers print USPS labels), "FedEx
    Home" is FedEx, "DHL" is DHL Express); None: none of them (a service level only, or
    another carrier)."""
    words = re.findall(r"[a-z0-9]+", name.casefold().replace("®", " ").replace("™", " "), re.ASCII)
    joined = "".join(words)
    if (
        "usps" in words
        or "unitedstatespostal" in joined
        or "uspostal" in joined
        or "stamps" in words
        or "stampscom" in joined
        or "endicia" in joined
    ):
        return USPS
    if "ups" in words or "unitedparcel" in joined or joined.startswith("ups"):
        return UPS
    if "fedex" in joined or "federalexpress" in joined:
        return FEDEX
    if "dhl" in joined:
        return DHL
    return None


def carrier_number(number: str, carrier: str) -> tuple[str, tuple[str, ...]]:
    """``number`` as ``carrier`` writes it, and what was changed to make it so.

    For a carrier whose format the number has: blanks and hyphens inside it removed,
    letters upper case (UPS), a USPS barcode's ``420`` + ZIP routing prefix removed.
    Otherwise (another carrier, or a number of another format) it is left as typed.
    """
    given = number.strip()
    family = carrier_family(carrier)
    reading = read_tracking_number(given)
    if family is None or family not in reading.carriers:
        return given, ()
    out = reading.text
    changes: list[str] = []
    if any(c in given for c in " \t\u00a0"):
        changes.append("spaces removed")
    if "-" in given:
        changes.append("hyphens removed")
    if _compact(given) != _compact(given).upper():
        changes.append("made upper case")
    if family == USPS:
        inner = _usps_routing(out)
        if inner is not None:
            changes.append(f"routing prefix {out[: len(out) - len(inner)]} (420 and the ZIP code) removed")
            out = inner
    return out, tuple(changes)


# -- the import plan ----------------------------------------------------------------------


class CarrierFrom(StrEnum):
    """Where a row's carrier came from."""

    FILE = "file"  # the carrier column
    SET = "set"  # the operator set one for the whole file
    GUESSED = "guessed"  # the tracking number's format


class RowVerdict(StrEnum):
    """What became of a row: accepted, or why not."""

    ACCEPTED = "accepted"
    UNMAPPED = "unmapped"  # the mapping lacks a column (or uses one twice)
    EXTRA_CELLS = "extra_cells"  # more non-empty cells than the header has columns
    VOIDED = "voided"  # the file says the label was voided
    NO_ORDER = "no_order"  # no order number in the order cell
    AMBIGUOUS = "ambiguous"  # two different order numbers in it
    NOT_KNOWN = "not_known"  # known_status does not hold the order
    NOT_PENDING = "not_pending"  # known_status says it is not pending
    NO_CARRIER = "no_carrier"  # no carrier in the row, and the number's format names none (or two)
    INVALID = "invalid"  # carrier or number missing or breaking a field rule
    DUPLICATE = "duplicate"  # the same order, carrier and number as an earlier row
    CONFLICT = "conflict"  # the order has different tracking in other rows


@dataclass(frozen=True)
class PlannedRow:
    """One row's fate: its entries when accepted, else the reason (plain text, cells in
    it masked and escaped; the caller still renders it as plain text)."""

    line: int
    cells: tuple[str, ...]
    verdict: RowVerdict
    order_id: OrderId | None = None
    entries: tuple[StagedAction, ...] = ()
    reason: str = ""
    carrier_from: CarrierFrom | None = None
    """Where an accepted row's carrier came from."""
    changes: tuple[str, ...] = ()
    """What was changed in the tracking number to write it as its carrier does."""
    remarks: tuple[str, ...] = ()
    """What the operator should know about an accepted row (a carrier that does not
    match the number's format)."""

    @property
    def accepted(self) -> bool:
        return self.verdict is RowVerdict.ACCEPTED


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


def _row_carrier(file: LabelFile, row: LabelRow) -> tuple[str | None, str, tuple[str, ...]]:
    """A row's carrier, where it came from (a :class:`CarrierFrom` value) and remarks; or
    None and the reason the row has none: the file's carrier when the operator set one,
    else the carrier cell, else the one carrier the number's format names."""
    number = row.cell(file.mapping.number)
    reading = read_tracking_number(number)
    remarks: tuple[str, ...] = ()
    if file.carrier is not None:
        carrier, source = file.carrier, CarrierFrom.SET.value
    else:
        carrier, source = row.cell(file.mapping.carrier).strip(), CarrierFrom.FILE.value
    if carrier:
        family = carrier_family(carrier)
        if number.strip() and reading.carriers and family is not None and family not in reading.carriers:
            remarks = (f"the number has {' or '.join(reading.carriers)}'s format ({reading.form}), not {family}'s",)
        return carrier, source, remarks
    if not number.strip():
        return None, "no carrier and no tracking number", ()
    where = "no carrier column" if file.mapping.carrier is None else "the carrier cell is empty"
    if len(reading.carriers) > 1:
        return (
            None,
            (
                f"{where}, and {_quoted(number)} could be {' or '.join(reading.carriers)} "
                f"({reading.form}); set the carrier for the file"
            ),
            (),
        )
    if not reading.carriers:
        return (
            None,
            (f"{where}, and {_quoted(number)} has no carrier's format ({reading.form}); set the carrier for the file"),
            (),
        )
    return reading.carriers[0], CarrierFrom.GUESSED.value, ()


def plan_import(
    file: LabelFile,
    *,
    known_status: Mapping[OrderId, str] | None,
    ship: bool = True,
) -> ImportPlan:
    """Each row accepted (``track`` with its carrier and number, and ``ship`` when
    ``ship``) or rejected with the reason, checked in this order: the mapping is
    complete, no extra non-empty cells, the label not voided (a :data:`VOID_HEADERS`
    column saying so), exactly one order number in the order cell, the
    order is known and pending (when ``known_status`` is given; None: not checked),
    the row has a carrier (the file's, set by the operator; else its carrier cell; else
    the one its number's format names: none, or two, and the row needs a carrier; a
    number a spreadsheet turned into ``9.40011E+21`` is refused before that), the
    number is written as its carrier writes it (:func:`carrier_number`), carrier and
    number pass the field rules (:meth:`StagedAction.make`), then across
    rows: the same order, carrier and number again is a duplicate (the first row counts),
    different tracking for one order is a conflict (all its rows are rejected). Carriers
    compare ignoring case and blanks, numbers ignoring case, blanks and hyphens. Blank
    rows are skipped.
    """
    unmapped = mapping_problems(file.name, file.header, file.mapping)
    data = [row for row in file.rows if not _is_blank(row.cells)]
    if unmapped or not file.mapping.complete:
        why = "; ".join(p.removeprefix(f"{file.name}: ") for p in unmapped) or "the columns are not chosen"
        rows = tuple(PlannedRow(r.line, r.cells, RowVerdict.UNMAPPED, reason=why) for r in data)
        return ImportPlan(rows, (), 0, len(rows), file.problems)

    mapping = file.mapping
    width = len(file.header)
    void = next((i for i, name in enumerate(file.header) if normalize_header(name) in VOID_HEADERS), None)
    planned: list[PlannedRow] = []
    # Rows that passed every per-row check, by order: (index in planned, carrier key, number key).
    valid_by_order: dict[OrderId, list[tuple[int, str, str]]] = {}
    for row in data:
        extra = [c for c in row.cells[width:] if c.strip()]
        if extra:
            planned.append(
                PlannedRow(
                    row.line,
                    row.cells,
                    RowVerdict.EXTRA_CELLS,
                    reason=f"{len(row.cells)} cells, the header has {width} (an unquoted delimiter inside a cell?)",
                )
            )
            continue
        if void is not None and row.cell(void).strip().casefold() in _VOID_WORDS:
            planned.append(
                PlannedRow(
                    row.line,
                    row.cells,
                    RowVerdict.VOIDED,
                    reason=f"the label was voided (column {void + 1} {_quoted(file.header[void])} says "
                    f"{_quoted(row.cell(void))}): its tracking number is not the parcel's",
                )
            )
            continue
        order_cell = row.cell(mapping.order)
        ids = find_order_ids(order_cell)
        if not ids:
            what = f"in {_quoted(order_cell)}" if order_cell.strip() else "(the cell is empty)"
            planned.append(PlannedRow(row.line, row.cells, RowVerdict.NO_ORDER, reason=f"no order number {what}"))
            continue
        if len(ids) > 1:
            planned.append(
                PlannedRow(
                    row.line,
                    row.cells,
                    RowVerdict.AMBIGUOUS,
                    reason=f"{_quoted(order_cell)} holds {len(ids)} order numbers ({', '.join(ids)}); which one?",
                )
            )
            continue
        oid = ids[0]
        if known_status is not None:
            status = known_status.get(oid)
            if status is None:
                planned.append(
                    PlannedRow(
                        row.line,
                        row.cells,
                        RowVerdict.NOT_KNOWN,
                        oid,
                        reason=f"order {oid} is not known (not in the order list)",
                    )
                )
                continue
            if status != PENDING:
                planned.append(
                    PlannedRow(
                        row.line,
                        row.cells,
                        RowVerdict.NOT_PENDING,
                        oid,
                        reason=f"order {oid} is {safe_text(status, SHOWN_CELL)}, not pending",
                    )
                )
                continue
        number_cell = row.cell(mapping.number).strip()
        if _SPREADSHEET_FLOAT.fullmatch(number_cell):
            planned.append(
                PlannedRow(
                    row.line,
                    row.cells,
                    RowVerdict.INVALID,
                    oid,
                    reason=f"tracking number: {_quoted(number_cell)} is a number a spreadsheet rounded (its digits "
                    "are lost); export the labels again and import that file without saving it from a spreadsheet",
                )
            )
            continue
        carrier, carrier_from, remarks = _row_carrier(file, row)
        if carrier is None:
            planned.append(PlannedRow(row.line, row.cells, RowVerdict.NO_CARRIER, oid, reason=carrier_from))
            continue
        number, changes = carrier_number(row.cell(mapping.number), carrier)
        try:
            track = StagedAction.make(oid, ActionKind.TRACK, trackname=carrier, tracknumber=number)
        except ActionError as exc:
            what = "carrier" if exc.field == "trackname" else "tracking number"
            planned.append(PlannedRow(row.line, row.cells, RowVerdict.INVALID, oid, reason=f"{what}: {exc.message}"))
            continue
        made: tuple[StagedAction, ...] = (track, StagedAction.make(oid, ActionKind.SHIP)) if ship else (track,)
        valid_by_order.setdefault(oid, []).append(
            (len(planned), _carrier_key(track.trackname), _number_key(track.tracknumber))
        )
        planned.append(
            PlannedRow(
                row.line,
                row.cells,
                RowVerdict.ACCEPTED,
                oid,
                made,
                carrier_from=CarrierFrom(carrier_from),
                changes=changes,
                remarks=remarks,
            )
        )

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
            reason = (
                f"order {oid} has conflicting tracking in this file: "
                f"{'; '.join(safe_text(s, SHOWN_CELL * 2) for s in shown)} (lines {lines}); "
                "none of its rows is imported"
            )
            for index, _, _ in found:
                planned[index] = replace(planned[index], verdict=RowVerdict.CONFLICT, entries=(), reason=reason)
            continue
        first = planned[found[0][0]].line
        for index, _, _ in found[1:]:
            planned[index] = replace(
                planned[index],
                verdict=RowVerdict.DUPLICATE,
                entries=(),
                reason=f"duplicate of line {first} (same order, carrier and tracking number)",
            )

    entries = tuple(entry for row in planned for entry in row.entries)
    accepted = sum(1 for row in planned if row.accepted)
    return ImportPlan(tuple(planned), entries, accepted, len(planned) - accepted, file.problems)
