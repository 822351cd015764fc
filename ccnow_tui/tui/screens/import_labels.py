"""Tracking numbers from a label file (issue #9): ``i`` asks for the path, then a preview.

The path is read relative to the directory ccnow-tui was started in (``~`` expanded;
tab completes file names). The file is read and planned by the textual-free core
(domain/labels.py); the preview shows the columns found, every row staged as ``track`` (and
``ship``) or rejected with its reason, and the counts, before anything is staged. ``1``
``2`` ``3`` choose the column for the order, the carrier, the tracking number; ``t``
stages tracking only; ``enter`` stages every accepted row in one change (one ``u``
undoes it), ``esc`` stages nothing. ``1`` ``2`` ``3`` open a small form listing the
columns (with a cell of each) where the column is chosen by number or header name;
``c`` sets one carrier for every row. A row without a carrier gets the one its tracking
number's format names, shown as guessed; a number rewritten as its carrier writes it
says what was changed.

Everything from the file is shown as Rich ``Text`` with control characters made
printable, never as markup.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from ...domain.labels import (
    CARRIERS,
    CarrierFrom,
    Found,
    ImportPlan,
    LabelFile,
    PlannedRow,
    Role,
    column_named,
    decode_label_bytes,
    plan_import,
    read_label_file,
    with_carrier,
    with_mapping,
)
from ...protocol.batch import tracking_lint
from ...protocol.orderid import OrderId
from ...words import counted
from ..keys import key_of
from ..messages import ImportRequested
from ..widgets.field_input import FieldInput
from ..widgets.line_list import crop, fit, printable
from ..widgets.scroll_body import ScrollBody
from ..widgets.styled import Palette, StyledText
from .typeahead import TypeAheadTarget

if TYPE_CHECKING:
    from textual.screen import Screen

MAX_LABEL_BYTES = 16 * 1024 * 1024  # a label export is kilobytes; anything this big is the wrong file
ROWS_SHOWN = 1000  # rows listed in the preview (the counts cover every row)
NARROW_ROWS = 72  # cells: narrower, a row leaves out the words every accepted row shares
SHORT_BELOW = 24  # terminal rows: below them the preview drops its margins (-short)
CANDIDATES_SHOWN = 8  # file names listed when tab finds several

SAMPLE_CELL = 24  # characters of a column's first cell shown in the column form
# The binding that chooses each role's column (its key as shipped: 1, 2, 3).
ROLE_BINDINGS: dict[Role, str] = {
    Role.ORDER: "labels.column.order",
    Role.CARRIER: "labels.column.carrier",
    Role.NUMBER: "labels.column.number",
}


# -- the path -----------------------------------------------------------------------------


def resolve_path(typed: str, start_dir: Path) -> Path:
    """The file a typed path names: ``~`` expanded, relative to ``start_dir``."""
    path = Path(os.path.expanduser(typed.strip()))
    return path if path.is_absolute() else start_dir / path


def complete_path(typed: str, start_dir: Path) -> tuple[str, list[str]]:
    """Tab: the typed path completed as far as the names in its directory agree, and the
    names that match when more than one does (directories end in ``/``). Hidden files
    are offered only once a ``.`` is typed."""
    if typed.startswith("~") and "/" not in typed:
        return (typed + "/", []) if resolve_path(typed, start_dir).is_dir() else (typed, [])
    head, sep, tail = typed.rpartition("/")
    folder = head + sep  # "", "dir/" or "/"
    base = resolve_path(folder, start_dir) if folder else start_dir
    names: list[str] = []
    try:
        with os.scandir(base) as entries:
            for entry in entries:
                if not entry.name.startswith(tail) or (entry.name.startswith(".") and not tail.startswith(".")):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                names.append(entry.name + ("/" if is_dir else ""))
    except OSError:
        return typed, []
    if not names:
        return typed, []
    names.sort()
    return folder + _common_start(names), names if len(names) > 1 else []


def _common_start(names: list[str]) -> str:
    """The characters every name starts with (file names, not path components)."""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def read_labels(
    typed: str, start_dir: Path, complete_key: str = "tab", known_orders: Collection[OrderId] | None = None
) -> LabelFile:
    """The label file a typed path names, read (UTF-8, a BOM allowed) and its columns
    found (``known_orders``: the account's orders, to find the order column by content).
    A ValueError naming the file says why it cannot be: missing, a directory,
    unreadable, too big, not UTF-8 (``complete_key``: the key that completes names)."""
    shown = typed.strip()
    if not shown:
        raise ValueError(f"type the label file's path ({complete_key} completes file names)")
    path = resolve_path(shown, start_dir)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ValueError(f"{shown}: is a directory, not a label file")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{shown}: not a regular file")
        if info.st_size > MAX_LABEL_BYTES:
            raise ValueError(
                f"{shown}: {info.st_size // (1024 * 1024)} MiB, over the "
                f"{MAX_LABEL_BYTES // (1024 * 1024)} MiB a label file may have; is it the right file?"
            )
        with path.open("rb") as f:
            data = f.read(MAX_LABEL_BYTES + 1)
    except FileNotFoundError:
        raise ValueError(f"{shown}: no such file (looked for {path})") from None
    except PermissionError:
        raise ValueError(f"{shown}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise ValueError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    return read_label_file(decode_label_bytes(data, shown), shown, known_orders)


class LabelPathForm(TypeAheadTarget[LabelFile | None]):
    """The label file's path. Returns the file as read; a file that cannot be read
    says why under the field, and the form stays open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "read",
            "Read",
            show=False,
            priority=True,
            id="labels.path.read",
            tooltip="Read the label file and preview the import (nothing is staged yet)",
        ),
        Binding(
            "tab",
            "complete",
            "Complete",
            show=False,
            priority=True,
            id="labels.path.complete",
            tooltip="Complete the file name",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            priority=True,
            id="labels.path.cancel",
            tooltip="Close without importing",
        ),
    ]

    def __init__(self, start_dir: Path, known_orders: Collection[OrderId] | None = None) -> None:
        super().__init__()
        self.start_dir = start_dir
        self.known_orders = known_orders
        self._completed = ""  # the value tab completed to

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text("Import tracking numbers from a label file"), classes="title")
            yield Static(Text(f"path relative to {printable(self.start_dir)}"), classes="muted")
            yield FieldInput(
                placeholder="e.g. labels.csv or ~/Downloads/shipments.csv",
                id="f-path",
                select_on_focus=False,
                compact=True,
            )
            yield Static("", id="e-path", classes="field-error")
            keys = {name: key_of(self, LabelPathForm, f"labels.path.{name}") for name in ("read", "complete", "cancel")}
            yield Static(
                Text(f"{keys['read']}: read and preview   {keys['complete']}: complete   {keys['cancel']}: cancel"),
                classes="muted",
            )

    @property
    def field(self) -> Input:
        return self.query_one("#f-path", Input)

    def say(self, text: str) -> None:
        self.query_one("#e-path", Static).update(Text(printable(text)))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.value != self._completed:  # (tab's own change keeps what tab said)
            self.say("")

    def action_complete(self) -> None:
        completed, names = self.complete(self.field.value)
        self._completed = completed
        if completed != self.field.value:
            self.field.value = completed
            self.field.cursor_position = len(completed)
        if names:
            more = f" … and {len(names) - CANDIDATES_SHOWN} more" if len(names) > CANDIDATES_SHOWN else ""
            self.say("   ".join(names[:CANDIDATES_SHOWN]) + more)
        elif completed == self.field.value and not completed.endswith("/"):
            self.say("" if resolve_path(completed, self.start_dir).is_file() else "no file name starts so")

    def complete(self, typed: str) -> tuple[str, list[str]]:
        return complete_path(typed, self.start_dir)

    def action_read(self) -> None:
        try:
            file = read_labels(
                self.field.value, self.start_dir, key_of(self, LabelPathForm, "labels.path.complete"), self.known_orders
            )
        except ValueError as exc:
            self.say(f"{exc}; nothing staged")
            return
        self.dismiss(file)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the preview --------------------------------------------------------------------------


class ImportPreviewScreen(TypeAheadTarget[ImportRequested | None]):
    """What the import will stage, row by row, before anything is. Returns the request
    to post (every accepted row's entries, in one change), or None."""

    # The rows keep three lines or more and the keys line always shows: on a short
    # terminal (60x16, -short) the dialog takes the whole height, the margins go, and
    # what the file is (roles, counts; not the columns line) scrolls within half of it.
    DEFAULT_CSS = """
    ImportPreviewScreen #import-body { height: 1fr; min-height: 3; margin-top: 1; }
    ImportPreviewScreen #import-info { height: auto; max-height: 50%; overflow-y: auto; }
    ImportPreviewScreen #import-note { height: auto; }
    ImportPreviewScreen #import-keys { height: auto; }
    ImportPreviewScreen.-short #import-body { margin-top: 0; }
    """  # and app.tcss: the dialog's height and the title's margin (app.tcss wins over these)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "stage",
            "Stage",
            priority=True,
            id="labels.stage",
            tooltip="Stage every accepted row (one change: one undo takes it all back)",
        ),
        Binding(
            "t",
            "track_only",
            "Track only",
            priority=True,
            id="labels.track_only",
            tooltip="Stage tracking only, or tracking and ship (the default)",
        ),
        Binding(
            "1",
            "column('order')",
            "Order column",
            priority=True,
            id="labels.column.order",
            tooltip="Choose the column holding the order number (by its number or header name)",
        ),
        Binding(
            "2",
            "column('carrier')",
            "Carrier column",
            priority=True,
            id="labels.column.carrier",
            tooltip="Choose the column holding the carrier (none: guessed from each tracking number)",
        ),
        Binding(
            "3",
            "column('number')",
            "Number column",
            priority=True,
            id="labels.column.number",
            tooltip="Choose the column holding the tracking number",
        ),
        Binding(
            "c",
            "carrier",
            "Carrier",
            priority=True,
            id="labels.carrier",
            tooltip="Set one carrier for every row (empty: the carrier column, else guessed)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            priority=True,
            id="labels.cancel",
            tooltip="Close the preview; nothing is staged",
        ),
    ]

    def __init__(self, file: LabelFile, known_status: Mapping[OrderId, str]) -> None:
        super().__init__()
        self.file = file
        self.known_status = dict(known_status)  # as the queue knew them when the file was read
        self.ship = True
        self.plan = self._plan()

    def _plan(self) -> ImportPlan:
        return plan_import(self.file, known_status=self.known_status, ship=self.ship)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(
                Text(f"Import labels: {printable(self.file.name)}", no_wrap=True, overflow="ellipsis"), classes="title"
            )
            yield StyledText(self._info, id="import-info")
            with ScrollBody(id="import-body"):
                yield StyledText(self._rows_text, id="import-rows")
            yield StyledText("", id="import-note")
            yield StyledText(self._keys, id="import-keys")

    def on_resize(self) -> None:
        short = self.app.size.height < SHORT_BELOW
        if short != self.has_class("-short"):
            self.set_class(short, "-short")
            self.query_one("#import-info", StyledText).update(self._info)
        self.query_one("#import-rows", StyledText).update(self._rows_text)  # one-line rows fit the new width

    def on_mount(self) -> None:
        self.set_class(self.app.size.height < SHORT_BELOW, "-short")
        self.set_focus(self.query_one("#import-body"))  # arrows and pgup/pgdn scroll the rows
        super().on_mount()  # ready: keys typed ahead (enter) act here now

    def redraw(self) -> None:
        self.plan = self._plan()
        self.query_one("#import-info", StyledText).update(self._info)
        self.query_one("#import-rows", StyledText).update(self._rows_text)
        self.query_one("#import-keys", StyledText).update(self._keys)
        self.query_one("#import-note", StyledText).update("")

    # -- what it shows -------------------------------------------------------------------

    def _what(self) -> str:
        return "track + ship" if self.ship else "track only"

    def _info(self, p: Palette) -> Text:
        file, plan = self.file, self.plan
        t = Text()
        where = f"header on line {file.header_line}" if file.header_line is not None else "no header row"
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(file.delimiter, repr(file.delimiter))
        if not self.has_class("-short"):  # short: the rows and the keys need the line more
            t.append(f"{delimiter}-separated, {where}, {counted(len(plan.rows), 'row', 'rows')}\n", style=p.muted)
        if file.header and not self.has_class("-short"):  # short: the roles' lines name their columns
            t.append("columns: ", style=p.muted)
            t.append("  ".join(f"{i + 1}:{printable(name)}" for i, name in enumerate(file.header)) + "\n")
        for role in Role:
            index = file.mapping.column(role)
            t.append(f" {key_of(self, ImportPreviewScreen, ROLE_BINDINGS[role])} ", style=p.key)
            t.append(f" {role.value:<8}", style=p.strong)
            if role is Role.CARRIER and file.carrier is not None:
                t.append(f"set for every row: {printable(file.carrier)} ")
                t.append(f"({self._key('labels.carrier')} changes it)\n", style=p.muted)
            elif role is Role.CARRIER and index is None:
                t.append("no column: guessed from each tracking number ", style=p.warning)
                t.append(f"({self._key('labels.carrier')} sets one)\n", style=p.muted)
            elif index is None:
                t.append("not found: press it to choose a column\n", style=p.error)
            else:
                t.append(f"column {index + 1} ({printable(file.header[index])})")
                if file.found_by(role) is Found.CONTENT:
                    t.append(" found by its content", style=p.warning)
                t.append("\n")
        orders = len({row.order_id for row in plan.rows if row.accepted})
        t.append(
            f"{counted(plan.accepted, 'row', 'rows')} to stage: {self._what()} for "
            f"{counted(orders, 'order', 'orders')}",
            style=p.success if plan.accepted else p.muted,
        )
        t.append("   ")
        t.append(f"{counted(plan.rejected, 'row', 'rows')} rejected", style=p.error if plan.rejected else p.muted)
        accepted = [row for row in plan.rows if row.accepted]
        guessed = sum(1 for row in accepted if row.carrier_from is CarrierFrom.GUESSED)
        rewritten = sum(1 for row in accepted if row.changes)
        remarked = sum(1 for row in accepted if row.remarks)
        said = [
            f"carrier guessed for {counted(guessed, 'row', 'rows')}" if guessed else "",
            f"{counted(rewritten, 'number', 'numbers')} written as the carrier writes them" if rewritten else "",
            f"{counted(remarked, 'carrier does', 'carriers do')} not match the number" if remarked else "",
        ]
        if any(said):
            t.append("\n" + "; ".join(x for x in said if x), style=p.warning)
        for lint in tracking_lint(list(plan.entries)):  # one number on two orders: staged, but worth a look
            t.append(f"\n⚠ {printable(lint.message)}", style=p.warning)
        for problem in plan.problems:
            t.append(f"\n✖ {printable(problem)}", style=p.error)
        return t

    def _rows_text(self, p: Palette) -> Text:
        plan = self.plan
        t = Text()
        rejected = [row for row in plan.rows if not row.accepted]
        accepted = [row for row in plan.rows if row.accepted]
        # The rows are one Text, which wraps whatever each row says: a row meant to be one
        # line is cut to the width here (known once laid out; a resize builds them again).
        width = self.query_one("#import-body").scrollable_content_region.width
        shown = 0
        for row in rejected + accepted:
            if shown >= ROWS_SHOWN:
                t.append(
                    f"… and {len(plan.rows) - ROWS_SHOWN} more rows (the counts above cover them)\n", style=p.muted
                )
                break
            shown += 1
            line = self._row(p, row, narrow=0 < width < NARROW_ROWS)
            if line.no_wrap and width > 0:
                line.truncate(width, overflow="ellipsis")
            t.append_text(line)
            t.append("\n")
        if not plan.rows:
            t.append("no label rows", style=p.muted)
        return t

    def _row(self, p: Palette, row: PlannedRow, narrow: bool = False) -> Text:
        # A rejected row's reason, or a remark on an accepted row, wraps (it says what to
        # do); any other accepted row is one line. Narrow, the words every accepted row
        # shares go (the count line above says them), so the tracking number stays whole.
        one_line = row.accepted and not row.remarks
        t = Text(no_wrap=one_line, overflow="ellipsis" if one_line else "fold")
        t.append(f"{row.line:>4} " if narrow else f"line {row.line:>4}  ", style=p.muted)
        if not row.accepted:
            t.append(f"{'✖ rejected':<16}", style=p.error)
            t.append(printable(row.reason))
            return t
        track = row.entries[0]
        t.append("✔ " if narrow else f"✔ {self._what():<14}", style=p.success)
        t.append(f"{row.order_id}  ", style=p.strong)
        t.append(printable(track.trackname))
        if row.carrier_from is CarrierFrom.GUESSED:
            t.append(" (guessed)", style=p.warning)
        t.append(printable(f"  {track.tracknumber}"))
        if row.changes:
            t.append(f"  ({', '.join(row.changes)})", style=p.muted)
        for remark in row.remarks:
            t.append(f"  ⚠ {printable(remark)}", style=p.warning)
        return t

    def _key(self, binding_id: str) -> str:
        return key_of(self, ImportPreviewScreen, binding_id)

    def _keys(self, p: Palette) -> Text:
        n = self.plan.accepted
        order, carrier, number = (self._key(ROLE_BINDINGS[role]) for role in (Role.ORDER, Role.CARRIER, Role.NUMBER))
        return Text.assemble(
            (self._key("labels.stage"), p.key),
            f" stage {counted(n, 'row', 'rows')}   ",
            (self._key("labels.track_only"), p.key),
            " ship too" if not self.ship else " track only",
            "   ",
            (order, p.key),
            " ",
            (carrier, p.key),
            " ",
            (number, p.key),
            " columns   ",
            (self._key("labels.carrier"), p.key),
            " carrier   ",
            (self._key("labels.cancel"), p.key),
            " cancel",
            no_wrap=False,  # a narrow terminal wraps the keys rather than cut the last ones off
            overflow="fold",
        )

    def note(self, build: Callable[[Palette], Text]) -> None:
        self.query_one("#import-note", StyledText).update(build)

    # -- keys ----------------------------------------------------------------------------

    def action_track_only(self) -> None:
        self.ship = not self.ship
        self.redraw()

    def action_column(self, role: str) -> None:
        chosen = Role(role)
        file = self.file
        if not file.header:
            self.app.bell()
            return
        now = file.mapping.column(chosen)
        lines: list[tuple[str, str]] = []
        first = file.rows[0] if file.rows else None
        for i, name in enumerate(file.header):
            sample = first.cell(i).strip() if first is not None else ""
            mark = "  ◀ now" if i == now else ""
            lines.append(
                (
                    f"{i + 1:>3}  {fit(crop(name, SAMPLE_CELL), SAMPLE_CELL)}  ",  # by cells, not characters
                    f"{crop(sample, SAMPLE_CELL)}{mark}" if sample else f"(empty){mark}",
                )
            )
        optional = chosen is Role.CARRIER
        hint = (
            "type its number or header name; empty: no column (each carrier guessed from its number)"
            if optional
            else "type its number or header name"
        )

        def check(text: str) -> str | None:
            if optional and not text.strip():
                return None
            try:
                column_named(file.header, text)
            except ValueError as exc:
                return str(exc)
            return None

        def chosen_column(text: str | None) -> None:
            if text is None:
                return
            index = None if optional and not text.strip() else column_named(self.file.header, text)
            self.file = with_mapping(self.file, **{chosen.value: index})
            self.redraw()

        start = "" if now is None else str(now + 1)
        form = LabelChoiceForm(f"The column holding {chosen.label}", lines, hint, start, check)
        self.app.push_screen(form, callback=chosen_column)

    def action_carrier(self) -> None:
        hint = (
            f"every row gets this carrier (its number's format is checked against it: "
            f"{', '.join(CARRIERS)}); empty: each row's own, from the carrier column, else guessed"
        )

        def check(text: str) -> str | None:
            try:
                with_carrier(self.file, text)
            except ValueError as exc:
                return str(exc)
            return None

        def chosen_carrier(text: str | None) -> None:
            if text is not None:
                self.file = with_carrier(self.file, text)
                self.redraw()

        form = LabelChoiceForm("One carrier for every row", [], hint, self.file.carrier or "", check)
        self.app.push_screen(form, callback=chosen_carrier)

    def action_stage(self) -> None:
        plan = self.plan
        if plan.problems:
            self.app.bell()
            self.note(lambda p: Text(f"Not staged: {printable(plan.problems[0])}", style=p.error))
            return
        if not plan.entries:
            self.app.bell()
            closes = self._key("labels.cancel")
            self.note(lambda p: Text(f"Not staged: every row is rejected ({closes} closes).", style=p.error))
            return
        self.dismiss(ImportRequested(list(plan.entries), self.file.name, plan.accepted, plan.rejected))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LabelChoiceForm(TypeAheadTarget[str | None]):
    """A column for one role (``1`` ``2`` ``3`` on the preview), listed with a cell of
    each, or one carrier for the whole file (``c``): the text typed, once ``check`` finds
    nothing wrong with it (else it says what, and the form stays open); None on esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "choose",
            "Choose",
            show=False,
            priority=True,
            id="labels.choose.set",
            tooltip="Use the column or carrier typed",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            priority=True,
            id="labels.choose.cancel",
            tooltip="Close without changing the column or carrier",
        ),
    ]

    def __init__(
        self, title: str, columns: list[tuple[str, str]], hint: str, start: str, check: Callable[[str], str | None]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.columns = columns
        self.hint = hint
        self.start = start
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(printable(self.title_text)), classes="title")
            if self.columns:
                with VerticalScroll(id="choice-columns"):
                    yield StyledText(self._columns, id="choice-list")
            yield Static(Text(printable(self.hint)), classes="muted")
            yield FieldInput(value=self.start, id="f-choice", select_on_focus=True, compact=True)
            yield Static("", id="e-choice", classes="field-error")
            keys = {name: key_of(self, LabelChoiceForm, f"labels.choose.{name}") for name in ("set", "cancel")}
            yield Static(Text(f"{keys['set']}: use it   {keys['cancel']}: cancel"), classes="muted")

    DEFAULT_CSS = """
    LabelChoiceForm #choice-columns { height: auto; max-height: 12; }
    """

    def _columns(self, p: Palette) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        for n, (name, sample) in enumerate(self.columns):
            if n:
                t.append("\n")
            t.append(printable(name), style=p.strong)
            t.append(printable(sample), style=p.muted)
        return t

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#e-choice", Static).update("")

    def action_choose(self) -> None:
        text = self.query_one("#f-choice", Input).value
        problem = self.check(text)
        if problem is not None:
            self.query_one("#e-choice", Static).update(Text(printable(problem)))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


def start_import(screen: Screen[Any], post: Callable[[ImportRequested], object]) -> None:
    """``i`` on ``screen``: the path, then the preview, then ``post`` the accepted rows
    (the screen's way to ask the app; one request, one change)."""
    app = screen.app
    start_dir = getattr(app, "start_dir", None) or Path.cwd()
    session = getattr(app, "session", None)
    known: Mapping[OrderId, str] = session.book.status if session is not None else {}

    def previewed(request: ImportRequested | None) -> None:
        if request is not None:
            post(request)

    def read(file: LabelFile | None) -> None:
        if file is not None:
            app.push_screen(ImportPreviewScreen(file, known), callback=previewed)

    app.push_screen(LabelPathForm(start_dir, set(known)), callback=read)
