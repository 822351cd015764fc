"""Every key, per screen, read from the bindings themselves (so the help cannot go stale),
with the keys in effect: ``[keys]`` in config.toml remaps them (keymap.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static

from ..keys import NO_KEYMAP, Section, bindings_of, display_key, key_of, owned_binding, rows
from ..widgets.field_input import FieldInput
from ..widgets.line_list import CursorList
from ..widgets.scroll_body import ScrollBody
from ..widgets.status_log import StatusLog
from .base import BaseScreen
from .composer import ComposerScreen
from .confirm import ConfirmScreen
from .detail import DetailScreen
from .forms import ActionForm
from .hidden import HiddenSelectionScreen
from .history import BatchScreen, HistoryScreen
from .import_labels import ImportPreviewScreen, LabelChoiceForm, LabelPathForm
from .queue import QueueScreen
from .setup import SetupScreen

SELECTION_RULE = (
    "Stage keys and C act on the selected orders (the header counts them), else on the highlighted "
    "one. With selected orders the filter hides, they ask first: v the shown ones only, a all, "
    "esc none"
)
REPEAT_RULE = (
    "A stage key (and the label import) never stages an entry identical to one already staged for that "
    "order: the log and a toast say so. A different discount on the order is staged, with a warning"
)
LINT_RULE = (
    "Lint errors hold S: an order this session learnt is not pending (an answer, another window's batch, "
    "the order leaving the pending list), named with when; remove its entries (d). Warnings: a discount "
    "above the profile's max_discount, one tracking number on several orders, a status not known"
)
HEADER_RULE = (
    "Header: sending 0/2… and loading… turn a spinner and count seconds while a request is out; "
    'INCOMPLETE: the last refresh failed, with the time of the last full list. "not sent": the '
    'receiver never got the request; "refused" only when it answered a refusal'
)
LOG_MOVES = {"log.up", "log.down", "log.pageup", "log.pagedown", "log.home", "log.end"}  # one row for all


def key_sections(app_bindings: Iterable[Binding], keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen: the app's own (``app_bindings``) first; each key as the
    keymap (``[keys]``) makes it."""
    app_rows = rows(app_bindings, keymap=keymap)
    up, down = (display_key(owned_binding(CursorList, i), keymap) for i in ("list.up", "list.down"))
    moves = "↑ ↓ j k" if not {"list.up", "list.down"} & set(keymap) else f"{up} / {down}"
    everywhere = [
        *app_rows,
        *([("f1", "Help (same as ?)")] if "app.help" not in keymap else []),
        ("ctrl+p", "Command palette: every action by name"),
        (
            moves,
            "Move in a list (pgup/pgdn, home/end too; the mouse works); j k scroll the help, "
            "the previews and an order's detail too",
        ),
    ]
    shared = {"view.log", "nav.back"}

    def of(node_class: type, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
        return rows(bindings_of(node_class), skip, keymap)

    return [
        ("Everywhere", everywhere + of(BaseScreen) + [("", HEADER_RULE)]),
        ("Pending queue (home)", [*of(QueueScreen, shared), ("", SELECTION_RULE), ("", REPEAT_RULE)]),
        ("Order detail", of(DetailScreen, shared)),
        ("Batch composer", [*of(ComposerScreen, shared), ("", LINT_RULE)]),
        (
            "History (h): every batch sent, newest first",
            of(HistoryScreen, shared | {"nav.history"}) + of(BatchScreen, shared | {"nav.history"}),
        ),
        (
            "In the focused log (L on any screen with it)",
            [("↑ ↓ j k pgup pgdn home end", "Scroll the log"), *of(StatusLog, LOG_MOVES)],
        ),
        (
            "Label import (i): the path, then the preview",
            of(LabelPathForm) + of(ImportPreviewScreen) + of(LabelChoiceForm),
        ),
        (
            "Forms and questions",
            of(ActionForm)
            + of(ConfirmScreen)
            + of(HiddenSelectionScreen)
            + [(display_key(owned_binding(ActionForm, "form.submit"), keymap), "Submit the form")],
        ),
        (
            "First-run setup (no configuration yet)",
            [*of(SetupScreen), ("enter", "In a text field: test what is entered (as ctrl+t)")],
        ),
    ]


# The section each screen's keys are in: the help opens at the screen it was opened from.
SECTION_OF: list[tuple[type, str]] = [
    (QueueScreen, "Pending queue"),
    (DetailScreen, "Order detail"),
    (ComposerScreen, "Batch composer"),
    (HistoryScreen, "History"),
    (BatchScreen, "History"),
    (LabelPathForm, "Label import"),
    (ImportPreviewScreen, "Label import"),
    (LabelChoiceForm, "Label import"),
    (ActionForm, "Forms and questions"),
    (ConfirmScreen, "Forms and questions"),
    (HiddenSelectionScreen, "Forms and questions"),
    (SetupScreen, "First-run setup"),
]
LOG_SECTION = "In the focused log"
KEY_COLUMN_MAX = 24  # cells: a longer row of keys wraps between key names, never inside one


def section_for(screen: Screen[Any]) -> str:
    """The start of the title of the help section with ``screen``'s keys ("" if none)."""
    if isinstance(screen.focused, StatusLog):
        return LOG_SECTION
    return next((title for cls, title in SECTION_OF if isinstance(screen, cls)), "")


def starting_with(sections: list[Section], first: str) -> list[Section]:
    """``sections`` with the one whose title starts with ``first`` moved to the top."""
    mine = [section for section in sections if first and section[0].startswith(first)]
    return mine[:1] + [section for section in sections if section not in mine[:1]]


def key_table(title: str, rows: list[tuple[str, str]], key_width: int) -> Table:
    """One section as a table; the key column as wide as its longest key name (a name is
    never cut: a long row of keys wraps between names)."""
    table = Table(
        title=title, title_justify="left", title_style="bold", show_header=False, box=None, padding=(0, 1), expand=True
    )
    table.add_column(style="bold", min_width=key_width, max_width=max(key_width, KEY_COLUMN_MAX), overflow="fold")
    table.add_column(ratio=1)
    seen = set()
    for key, what in rows:
        if (key, what) not in seen:
            seen.add((key, what))
            table.add_row(Text(key), Text(what))
    return table


def longest_key_name(sections: list[Section]) -> int:
    """Cells of the longest single key name (``shift+tab``) or row of keys that cannot wrap."""
    names = [name for _, rows in sections for key, _ in rows for name in key.replace(" or ", " ").split()]
    return max((cell_len(name) for name in names), default=1)


class HelpScreen(ModalScreen[None]):
    """Every key, the section of the screen it was opened from first; ``/`` filters the
    rows (by key, what it does, or its section's title) as it is typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            # A priority binding: the help is closed before the key after esc is looked at
            # (esc and s in one read: s acts on the screen underneath, it is not dropped).
            # In the filter field, esc clears the filter first; ? and q are typed there.
            "escape,question_mark,f1,q",
            "close",
            "Close",
            key_display="esc",
            priority=True,
            id="help.close",
            tooltip="Close help (in its filter: clear the filter)",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            priority=True,
            id="help.filter",
            tooltip="Filter the help: only the keys whose name or description holds what is typed",
        ),
        Binding(
            "enter",
            "filter_done",
            "Keep filter",
            show=False,
            priority=True,
            id="help.filter_done",
            tooltip="In the help's filter: keep it, back to scrolling",
        ),
    ]

    def __init__(self, sections: list[Section], close_key: str = "esc", first: str = "") -> None:
        super().__init__()
        self.sections = starting_with(sections, first)
        self.first = first if self.sections and first and self.sections[0][0].startswith(first) else ""
        self.close_key = close_key  # help.close's first key in effect
        self.key_width = longest_key_name(self.sections)
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text("Keys" + (" (this screen's first)" if self.first else "")), classes="title")
            yield FieldInput(
                placeholder="filter: a key or a word (enter: keep, esc: clear)", id="help-filter", compact=True
            )
            with ScrollBody(id="help-body"):
                for n, (title, section) in enumerate(self.sections):
                    yield Static(key_table(title, section, self.key_width), id=f"help-section-{n}")
                yield Static("", id="help-none", classes="muted")
            filter_key = key_of(self, HelpScreen, "help.filter")
            yield Static(Text(f"{self.close_key}: close   {filter_key}: filter"), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#help-filter").display = False
        self.query_one("#help-none").display = False
        self.query_one("#help-body").focus()

    @property
    def field(self) -> Input:
        return self.query_one("#help-filter", Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter_done":
            return self.focused is self.field  # enter means nothing outside the filter
        return True

    def action_close(self) -> None:
        """esc: out of the filter (cleared) first, then close."""
        if self.focused is self.field or self.field.value:
            self.field.value = ""
            self.field.display = False
            self._apply("")
            self.set_focus(self.query_one("#help-body"))  # at once: the next key acts on the help
            return
        self.dismiss(None)

    def action_filter(self) -> None:
        self.field.display = True
        self.set_focus(self.field)  # at once: keys typed ahead go into it

    def action_filter_done(self) -> None:
        self._apply(self.field.value)
        self.field.display = bool(self.field.value)
        self.set_focus(self.query_one("#help-body"))

    @on(Input.Changed, "#help-filter")
    def _changed(self) -> None:
        self._apply(self.field.value)  # the value now: keys typed with it may have changed it again

    def _apply(self, text: str) -> None:
        needle = text.strip().lower()
        if needle == self.filter_text:
            return
        self.filter_text = needle
        shown = 0
        for n, (title, section) in enumerate(self.sections):
            if needle and needle not in title.lower():
                section = [(key, what) for key, what in section if needle in key.lower() or needle in what.lower()]
            box = self.query_one(f"#help-section-{n}", Static)
            box.display = bool(section)
            if section:
                shown += 1
                box.update(key_table(title, section, self.key_width))
        none = self.query_one("#help-none", Static)
        none.display = not shown
        none.update(Text(f"No key matches “{text.strip()}” ({self.close_key} clears the filter)"))
