"""Tracking numbers from a label file (issue #9): ``i`` asks for the path, then a preview.

The path is read relative to the directory ccnow-tui was started in (``~`` expanded;
tab completes file names). The file is read and planned by the textual-free core
(labels.py); the preview shows the columns found, every row staged as ``track`` (and
``ship``) or rejected with its reason, and the counts, before anything is staged. ``1``
``2`` ``3`` pick another column for the order, the carrier, the tracking number; ``t``
stages tracking only; ``enter`` stages every accepted row in one change (one ``u``
undoes it), ``esc`` stages nothing.

Everything from the file is shown as Rich ``Text`` with control characters made
printable, never as markup.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...labels import (
    ImportPlan,
    LabelFile,
    PlannedRow,
    Role,
    decode_label_bytes,
    plan_import,
    read_label_file,
    with_mapping,
)
from ...protocol.orderid import OrderId
from ...words import counted
from ..keys import key_of
from ..messages import ImportRequested
from ..widgets.field_input import FieldInput
from ..widgets.line_list import printable
from ..widgets.styled import Palette, StyledText
from .typeahead import TypeAheadTarget

if TYPE_CHECKING:
    from textual.screen import Screen

MAX_LABEL_BYTES = 16 * 1024 * 1024  # a label export is kilobytes; anything this big is the wrong file
ROWS_SHOWN = 1000  # rows listed in the preview (the counts cover every row)
CANDIDATES_SHOWN = 8  # file names listed when tab finds several

# The binding that takes each role from the next column (its key as shipped: 1, 2, 3).
ROLE_BINDINGS: dict[Role, str] = {Role.ORDER: "labels.column.order", Role.CARRIER: "labels.column.carrier",
                                  Role.NUMBER: "labels.column.number"}


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


def read_labels(typed: str, start_dir: Path, complete_key: str = "tab") -> LabelFile:
    """The label file a typed path names, read (UTF-8, a BOM allowed) and its columns
    found. A ValueError naming the file says why it cannot be: missing, a directory,
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
            raise ValueError(f"{shown}: {info.st_size // (1024 * 1024)} MiB, over the "
                             f"{MAX_LABEL_BYTES // (1024 * 1024)} MiB a label file may have; is it the right file?")
        with path.open("rb") as f:
            data = f.read(MAX_LABEL_BYTES + 1)
    except FileNotFoundError:
        raise ValueError(f"{shown}: no such file (looked for {path})") from None
    except PermissionError:
        raise ValueError(f"{shown}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise ValueError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    return read_label_file(decode_label_bytes(data, shown), shown)


class LabelPathForm(TypeAheadTarget, ModalScreen[LabelFile | None]):
    """The label file's path. Returns the file as read; a file that cannot be read
    says why under the field, and the form stays open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "read", "Read", show=False, priority=True, id="labels.path.read",
            tooltip="Read the label file and preview the import (nothing is staged yet)",
        ),
        Binding(
            "tab", "complete", "Complete", show=False, priority=True, id="labels.path.complete",
            tooltip="Complete the file name",
        ),
        Binding(
            "escape", "cancel", "Cancel", priority=True, id="labels.path.cancel",
            tooltip="Close without importing",
        ),
    ]

    def __init__(self, start_dir: Path) -> None:
        super().__init__()
        self.start_dir = start_dir
        self._completed = ""  # the value tab completed to

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text("Import tracking numbers from a label file"), classes="title")
            yield Static(Text(f"path relative to {printable(self.start_dir)}"), classes="muted")
            yield FieldInput(placeholder="e.g. labels.csv or ~/Downloads/shipments.csv", id="f-path",
                             select_on_focus=False, compact=True)
            yield Static("", id="e-path", classes="field-error")
            keys = {name: key_of(self, LabelPathForm, f"labels.path.{name}") for name in ("read", "complete", "cancel")}
            yield Static(Text(f"{keys['read']}: read and preview   {keys['complete']}: complete   "
                              f"{keys['cancel']}: cancel"), classes="muted")

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
            file = read_labels(self.field.value, self.start_dir, key_of(self, LabelPathForm, "labels.path.complete"))
        except ValueError as exc:
            self.say(f"{exc}; nothing staged")
            return
        self.dismiss(file)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the preview --------------------------------------------------------------------------


class ImportPreviewScreen(TypeAheadTarget, ModalScreen[ImportRequested | None]):
    """What the import will stage, row by row, before anything is. Returns the request
    to post (every accepted row's entries, in one change), or None."""

    DEFAULT_CSS = """
    ImportPreviewScreen #import-body { height: 1fr; margin-top: 1; }
    ImportPreviewScreen #import-info { height: auto; }
    ImportPreviewScreen #import-note { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "stage", "Stage", priority=True, id="labels.stage",
            tooltip="Stage every accepted row (one change: one undo takes it all back)",
        ),
        Binding(
            "t", "track_only", "Track only", priority=True, id="labels.track_only",
            tooltip="Stage tracking only, or tracking and ship (the default)",
        ),
        Binding(
            "1", "column('order')", "Order column", priority=True, id="labels.column.order",
            tooltip="Take the order number from the next column",
        ),
        Binding(
            "2", "column('carrier')", "Carrier column", priority=True, id="labels.column.carrier",
            tooltip="Take the carrier from the next column",
        ),
        Binding(
            "3", "column('number')", "Number column", priority=True, id="labels.column.number",
            tooltip="Take the tracking number from the next column",
        ),
        Binding(
            "escape", "cancel", "Cancel", priority=True, id="labels.cancel",
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
            yield Label(Text(f"Import labels: {printable(self.file.name)}", no_wrap=True, overflow="ellipsis"),
                        classes="title")
            yield StyledText(self._info, id="import-info")
            with VerticalScroll(id="import-body"):
                yield StyledText(self._rows_text, id="import-rows")
            yield StyledText("", id="import-note")
            yield StyledText(self._keys, id="import-keys")

    def on_mount(self) -> None:
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
        t.append(f"{delimiter}-separated, {where}, {counted(len(plan.rows), 'row', 'rows')}\n", style=p.muted)
        if file.header:
            t.append("columns: ", style=p.muted)
            t.append("  ".join(f"{i + 1}:{printable(name)}" for i, name in enumerate(file.header)) + "\n")
        for role in Role:
            index = file.mapping.column(role)
            t.append(f" {key_of(self, ImportPreviewScreen, ROLE_BINDINGS[role])} ", style=p.key)
            t.append(f" {role.value:<8}", style=p.strong)
            if index is None:
                t.append("not found: press it to choose a column\n", style=p.error)
            else:
                t.append(f"column {index + 1} ({printable(file.header[index])})\n")
        orders = len({row.order_id for row in plan.rows if row.accepted})
        t.append(f"{counted(plan.accepted, 'row', 'rows')} to stage: {self._what()} for "
                 f"{counted(orders, 'order', 'orders')}", style=p.success if plan.accepted else p.muted)
        t.append("   ")
        t.append(f"{counted(plan.rejected, 'row', 'rows')} rejected", style=p.error if plan.rejected else p.muted)
        for problem in plan.problems:
            t.append(f"\n✖ {printable(problem)}", style=p.error)
        return t

    def _rows_text(self, p: Palette) -> Text:
        plan = self.plan
        t = Text()
        rejected = [row for row in plan.rows if not row.accepted]
        accepted = [row for row in plan.rows if row.accepted]
        shown = 0
        for row in rejected + accepted:
            if shown >= ROWS_SHOWN:
                t.append(f"… and {len(plan.rows) - ROWS_SHOWN} more rows (the counts above cover them)\n",
                         style=p.muted)
                break
            shown += 1
            t.append_text(self._row(p, row))
            t.append("\n")
        if not plan.rows:
            t.append("no label rows", style=p.muted)
        return t

    def _row(self, p: Palette, row: PlannedRow) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"line {row.line:>4}  ", style=p.muted)
        if not row.accepted:
            t.append(f"{'✖ rejected':<16}", style=p.error)
            t.append(printable(row.reason))
            return t
        track = row.entries[0]
        t.append(f"✔ {self._what():<14}", style=p.success)
        t.append(f"{row.order_id}  ", style=p.strong)
        t.append(printable(f"{track.trackname}  {track.tracknumber}"))
        return t

    def _key(self, binding_id: str) -> str:
        return key_of(self, ImportPreviewScreen, binding_id)

    def _keys(self, p: Palette) -> Text:
        n = self.plan.accepted
        order, carrier, number = (self._key(ROLE_BINDINGS[role]) for role in (Role.ORDER, Role.CARRIER, Role.NUMBER))
        return Text.assemble(
            (self._key("labels.stage"), p.key), f" stage {counted(n, 'row', 'rows')}   ",
            (self._key("labels.track_only"), p.key), " ship too" if not self.ship else " track only", "   ",
            (order, p.key), " ", (carrier, p.key), " ", (number, p.key), " next column for order, carrier, number   ",
            (self._key("labels.cancel"), p.key), " cancel",
            no_wrap=True, overflow="ellipsis",
        )

    def note(self, build: Callable[[Palette], Text]) -> None:
        self.query_one("#import-note", StyledText).update(build)

    # -- keys ----------------------------------------------------------------------------

    def action_track_only(self) -> None:
        self.ship = not self.ship
        self.redraw()

    def action_column(self, role: str) -> None:
        chosen = Role(role)
        width = len(self.file.header)
        if not width:
            self.app.bell()
            return
        now = self.file.mapping.column(chosen)
        following = 0 if now is None else (now + 1) % width
        self.file = with_mapping(self.file, **{chosen.value: following})
        self.redraw()

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


def start_import(screen: Screen, post: Callable[[ImportRequested], object]) -> None:
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

    app.push_screen(LabelPathForm(start_dir), callback=read)
