"""The focused log pane on every screen that shows it (log_focus.py): L focuses it, / searches
it, n finds the next match, C copies its line (OSC 52), esc goes back to the list; while it
has the focus, the screen's own keys do not act on the list."""

from __future__ import annotations

import base64

import pytest
from textual import events
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Input

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.app import CcnowApp, help_sections
from ccnow_tui.tui.model import LogKind
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.detail import DetailScreen
from ccnow_tui.tui.screens.history import BatchList, HistoryScreen
from ccnow_tui.tui.screens.log_focus import LogSearch
from ccnow_tui.tui.widgets.entry_table import EntryTable
from ccnow_tui.tui.widgets.order_table import OrderTable
from ccnow_tui.tui.widgets.status_log import StatusLog

from .helpers import SIZE, log_text, started
from .test_keymap import table


@pytest.fixture
def osc52(monkeypatch) -> list[str]:
    """What reaches the terminal as OSC 52 clipboard writes (the headless driver's output)."""
    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: written.append(data))
    return written


def copied(written: list[str]) -> list[str]:
    """The texts OSC 52 put on the clipboard, in order."""
    prefix = "\x1b]52;c;"
    return [base64.b64decode(d[len(prefix) :].rstrip("\a")).decode() for d in written if d.startswith(prefix)]


def needles(app) -> None:
    for text in ("zq one", "hay", "zq two"):
        app.log_line(LogKind.INFO, text)


async def test_in_the_composer_the_log_is_focused_searched_and_copied_and_d_removes_nothing(make_app, sandbox, osc52):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        staging = app.session.staging
        staging.add([StagedAction.make(a, "ship"), StagedAction.make(b, "ship")])
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        needles(app)
        log, entries = app.screen.query_one(StatusLog), app.screen.query_one(EntryTable)
        await pilot.press("L", "d", "e")  # not a remove, not an edit: the log has the focus
        assert log.has_focus and isinstance(app.screen, ComposerScreen)
        assert len(staging) == 2
        await pilot.press("slash", "z", "q", "enter")
        assert log.has_focus and log.current_line().text == "zq two"
        await pilot.press("n", "C")  # the next (older) match, copied as shown
        assert log.current_line().text == "zq one"
        assert app.clipboard.endswith("· zq one")
        assert copied(osc52) == [app.clipboard]  # the terminal was sent it
        assert f"copied a log line ({log.current_line().when}" in log_text(app)
        await pilot.press("escape", "d")  # back on the list: d removes the highlighted entry
        assert entries.has_focus and isinstance(app.screen, ComposerScreen)
        assert len(staging) == 1


async def test_in_the_detail_esc_cancels_a_search_and_s_stages_nothing_in_the_log(make_app, sandbox, osc52):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        needles(app)
        log = app.screen.query_one(StatusLog)
        await pilot.press("L")
        start = log.current_line()  # the newest
        await pilot.press("s", "slash", "z", "q")
        assert app.session.staging.entries == ()
        assert app.screen.query_one(LogSearch).has_focus and log.current_line().text == "zq two"
        await pilot.press("escape")  # the search cancelled: the cursor back where it started
        assert log.has_focus and log.current_line() is start
        await pilot.press("slash", "z", "q", "enter", "n", "n", "C")  # round from the newest again
        assert log.current_line().text == "zq two"
        assert copied(osc52) == [app.clipboard] and app.clipboard.endswith("· zq two")
        await pilot.press("escape")
        assert app.screen.query_one("#detail-body").has_focus and isinstance(app.screen, DetailScreen)
        await pilot.press("escape")  # and esc on the detail itself goes back, as always
        assert app.screen.query_one(OrderTable).has_focus


async def test_in_the_history_slash_searches_the_log_and_l_or_a_small_terminal_give_the_list_the_focus(
    make_app, sandbox
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        needles(app)
        log = app.screen.query_one(StatusLog)
        await pilot.press("L", "slash", "z", "q", "enter")
        assert log.has_focus and log.current_line().text == "zq two"
        assert not app.screen.query_one("#filter", Input).display
        await pilot.press("l")  # the log hidden: the list has the focus again
        assert not log.display and app.screen.query_one(BatchList).has_focus
        await pilot.press("L")  # shows it again, focused
        assert log.display and log.has_focus
        app.post_message(events.AppBlur())  # the terminal loses the focus (another window), then has it again
        await pilot.pause()
        app.post_message(events.AppFocus())
        await pilot.pause()
        assert log.has_focus
        await pilot.resize_terminal(40, 10)  # too small: nothing is shown, nor focused
        await pilot.pause()
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert app.screen.query_one(BatchList).has_focus


async def test_the_logs_keys_are_remapped_apart_from_the_queues_filter(settings, sandbox):
    app = CcnowApp(settings, keys=table(log__search="f", log__next="N"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        needles(app)
        log = app.screen.query_one(StatusLog)
        await pilot.press("L", "f", "z", "q", "enter")
        assert log.has_focus and log.current_line().text == "zq two"
        assert "then N: next match; esc: cancel" in app.screen.query_one(LogSearch).placeholder
        await pilot.press("escape", "slash")  # the filter keeps its /
        assert app.screen.query_one("#filter", Input).has_focus


def test_the_help_lists_the_log_keys_on_every_screen_with_the_log():
    sections = dict(help_sections())
    for title in (
        "Pending queue (home)",
        "Order detail",
        "Batch composer",
        "History (h): every batch sent, newest first",
    ):
        keys = {key for key, _ in sections[title]}
        assert {"L", "n"} <= keys, title
        focus = next(what for key, what in sections[title] if key == "L")
        # It points to where the log's keys are listed as in effect (a remap changes them).
        assert "search" in focus and "copy" in focus and '"In the focused log"' in focus
    assert any(title.startswith("In the focused log") for title in sections)


def test_help_has_the_focused_logs_own_keys_as_in_effect():
    for keymap, search, copy in (({}, "/", "C"), ({"log.search": "f", "log.copy": "y"}, "f", "y")):
        sections = dict(help_sections(keymap))
        log = dict((what, key) for key, what in sections["In the focused log (L on any screen with it)"])
        assert log["In the focused log: search it (enter keeps the match, esc goes back)"] == search
        assert log["In the focused log: copy the highlighted line to the clipboard (OSC 52), masked as shown"] == copy
