"""CSV input: a file or stdin read into staged actions, every row checked first.

Two shapes: the `submit` CSV (header order_id,action then any of notes, amount,
trackname, tracknumber), read by `submit` and `stage`; and a label tool's export (order
number, carrier, tracking number, columns found by header or named by the operator),
read by `stage --labels`. Any problem is a UsageError naming the file and the line,
all of them at once, and nothing is sent or staged.
"""

from __future__ import annotations

import sys

from ..words import counted
from .output import UsageError, err, shown

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TextIO

    from ..protocol.actions import StagedAction
    from ..protocol.batch import Batch

CSV_COLUMNS = ("order_id", "action", "notes", "amount", "trackname", "tracknumber")


def read_input_text(file: str) -> tuple[str, str]:
    """``(name, text)`` of FILE (``-``: stdin), read as bytes and decoded here (a file or
    stdin alike), so text that is not UTF-8 is an input error naming the line, whatever
    the locale makes of stdin."""
    if file == "-":
        name = "<stdin>"
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # stdin replaced by a text stream (tests, embedding)
            return name, sys.stdin.read()
        data = raw.read()
    else:
        name = file
        from pathlib import Path

        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise UsageError(f"{name}: {exc.strerror or exc}") from None
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{name}: line {line}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the file as UTF-8"
        ) from None


def read_submit_file(file: str, *, refuse_repeats: bool) -> Batch:
    """The batch `submit` sends, from FILE (``-``: stdin); see read_batch_csv()."""
    import io

    name, text = read_input_text(file)
    return read_batch_csv(name, io.StringIO(text, newline=""), refuse_repeats=refuse_repeats)


def read_batch_csv(name: str, stream: TextIO, *, refuse_repeats: bool = False) -> Batch:
    """Validate every row before anything is sent; all problems are reported at once.

    ``refuse_repeats`` (``submit`` without --allow-repeats): identical entries (same
    order, action and fields) are an input error naming their lines; each would be
    applied, a discount as many times as it is repeated.

    Read strictly: a quote that is never closed would otherwise take every line after
    it into one field (a cancel sent with the next rows as its note, those rows lost).
    """
    import csv

    from ..domain.labels import csv_problem
    from ..protocol.actions import ActionError, StagedAction
    from ..protocol.batch import Batch, Severity

    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError(f"{name}: empty file (expected header {','.join(CSV_COLUMNS)})") from None
    except csv.Error as exc:
        raise UsageError(f"{name}: line 1: {csv_problem(exc, reader.line_num > 1)}") from None
    header = [h.strip().lower().lstrip("\ufeff") for h in header]
    known = all(h in CSV_COLUMNS for h in header) and len(set(header)) == len(header)
    if header[:2] != ["order_id", "action"] or not known:
        raise UsageError(
            f"{name}: line 1: header is {','.join(header)!r}; expected order_id,action "
            f"followed by any of notes,amount,trackname,tracknumber"
        )
    entries: list[StagedAction] = []
    lines: list[int] = []  # where each entry's row starts
    problems: list[str] = []
    start = reader.line_num + 1  # where the next row starts (a quoted field may span lines)
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                problems.append(f"{name}: line {line}: {len(row)} columns, header has {len(header)}")
                continue
            values = dict(zip(header, row, strict=False))  # a short row leaves the last columns empty
            try:
                entries.append(
                    StagedAction.make(
                        values.get("order_id", ""),
                        values.get("action", ""),
                        notes=values.get("notes", ""),
                        amount=values.get("amount") or None,
                        trackname=values.get("trackname", ""),
                        tracknumber=values.get("tracknumber", ""),
                    )
                )
                lines.append(line)
            except ActionError as exc:
                problems.append(f"{name}: line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"{name}: line {start}: {csv_problem(exc, reader.line_num > start)}")
    # The rows' own problems and the conflicts between the valid rows (ship and cancel on
    # one order), reported together: one run shows everything to fix.
    batch = Batch(entries)
    problems += [f"{name}: {lint.message}" for lint in batch.lint() if lint.severity is Severity.ERROR]
    if refuse_repeats:
        problems += _repeats(name, entries, lines)
    if problems:
        raise UsageError("\n".join(problems))
    return batch


REPEATS_SHOWN = 20  # repeated rows named one by one; the count says the rest


def _repeats(name: str, entries: Sequence[StagedAction], lines: Sequence[int]) -> list[str]:
    """Every row that repeats an earlier one exactly, named with both lines; [] if none."""
    first: dict[StagedAction, int] = {}
    repeats: list[str] = []
    for entry, line in zip(entries, lines, strict=True):
        if entry in first:
            repeats.append(f"{name}: line {line}: the same entry as line {first[entry]} ({entry.describe()})")
        else:
            first[entry] = line
    if not repeats:
        return []
    more = [f"... and {len(repeats) - REPEATS_SHOWN} more"] if len(repeats) > REPEATS_SHOWN else []
    return [
        *repeats[:REPEATS_SHOWN],
        *more,
        f"{name}: {counted(len(repeats), 'row repeats', 'rows repeat')} an entry exactly (same order, action and "
        "fields); each copy would be applied (a discount as many times as it is written): nothing sent. If they "
        "are meant, --allow-repeats sends them",
    ]


LABEL_COLUMN_OPTIONS = {"order": "--order-column", "carrier": "--carrier-column", "number": "--number-column"}


def read_label_actions(
    name: str,
    text: str,
    *,
    ship: bool,
    skip_rejected: bool,
    columns: dict[str, str] | None = None,
    carrier: str | None = None,
) -> tuple[list[StagedAction], int]:
    """The entries a label export plans (``track``, then ``ship`` unless not ``ship``), and
    how many rows were rejected. Statuses are not known offline: no pending check.

    ``columns``: role (order, carrier, number) -> the column the operator named (header
    name or 1-based number); ``carrier``: one carrier for every row. The columns used,
    and how each row's carrier was found and its number rewritten, are said on stderr.

    A problem with the file itself (a quote never closed, no column for the order or the
    number, a column named that is not the file's) is a UsageError whatever
    ``skip_rejected`` says; so is any rejected row without it, and a file of which no row
    is accepted."""
    from ..domain.labels import (
        CarrierFrom,
        Role,
        RowVerdict,
        column_named,
        plan_import,
        read_label_file,
        with_carrier,
        with_mapping,
    )

    file = read_label_file(text, name)
    if file.header and (columns or carrier):
        chosen: dict[str, int] = {}
        bad: list[str] = []
        for role, given in (columns or {}).items():
            try:
                chosen[role] = column_named(file.header, given)
            except ValueError as exc:
                bad.append(f"{name}: {LABEL_COLUMN_OPTIONS[role]} {shown(given, 40)!r}: {exc}")
        try:
            file = with_carrier(with_mapping(file, **chosen), carrier)
        except ValueError as exc:
            bad.append(f"--carrier: {exc}")
        if bad:
            raise UsageError("\n".join(bad))
    plan = plan_import(file, known_status=None, ship=ship)
    if plan.problems:
        options = ", ".join(LABEL_COLUMN_OPTIONS.values())
        raise UsageError(
            "\n".join(
                [
                    *plan.problems,
                    f"{name}: name the columns with {options} "
                    "(a header name, or a number: 1 is the first column); nothing staged",
                ]
            )
        )
    for role in Role:
        index = file.mapping.column(role)
        if role is Role.CARRIER and file.carrier is not None:
            where = f"{file.carrier!r} for every row (--carrier)"
        elif index is None:
            where = "no column: guessed from each tracking number's format"
        else:
            how = file.found_by(role)
            where = f"column {index + 1} {shown(file.header[index], 40)!r} ({how.value if how else 'as given'})"
        err(f"{name}: {role.label}: {where}")
    rejected = [f"{name}: line {row.line}: {row.reason}" for row in plan.rejected_rows()]
    if any(row.verdict is RowVerdict.NO_CARRIER for row in plan.rows):
        rejected.append(
            f"{name}: rows without a carrier: give --carrier NAME to set one for every row, or --carrier-column COLUMN"
        )
    if rejected and (not skip_rejected or not plan.accepted):
        why = (
            "no row was accepted"
            if skip_rejected
            else f"{counted(plan.rejected, 'row was', 'rows were')} rejected (--skip-rejected stages the others)"
        )
        raise UsageError("\n".join([*rejected, f"{name}: {why}; nothing staged"]))
    for line in rejected:
        err(f"rejected, not staged: {line}")
    guessed = [row for row in plan.rows if row.accepted and row.carrier_from is CarrierFrom.GUESSED]
    if guessed:
        err(
            f"{name}: carrier guessed from the tracking number's format for {counted(len(guessed), 'row', 'rows')} "
            f"(lines {_lines(guessed)}); --carrier NAME sets one instead"
        )
    for row in plan.rows:
        track = row.entries[0] if row.entries else None
        if track is not None and row.changes:
            err(
                f"{name}: line {row.line}: tracking number written as {shown(track.trackname, 40)} writes it: "
                f"{shown(track.tracknumber, 60)} ({', '.join(row.changes)})"
            )
        for remark in row.remarks:
            err(f"{name}: line {row.line}: {shown(remark)}")
    return list(plan.entries), plan.rejected


def _lines(rows: Sequence[Any], shown_at_most: int = 10) -> str:
    lines = [str(row.line) for row in rows]
    more = f" and {len(lines) - shown_at_most} more" if len(lines) > shown_at_most else ""
    return ", ".join(lines[:shown_at_most]) + more
