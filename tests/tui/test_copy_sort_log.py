"""Copy (C, OSC 52), the queue's sort (o), the focused log pane (L, /, n, C, esc), and the
orders that left the list this session (dimmed, z hides them)."""

from __future__ import annotations

from ccnow_tui.tui.model import LogKind
from ccnow_tui.tui.widgets.order_table import OrderTable, Sort
from ccnow_tui.tui.widgets.status_log import StatusLog

from .helpers import SIZE, answer_yes, log_text, screen_text, settle, started


async def test_C_copies_the_highlighted_order_then_the_selection(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        pending = sandbox.book.pending()
        await pilot.press("C")
        assert app.clipboard == pending[0]  # what copy_to_clipboard sent as OSC 52
        assert f"copied order number {pending[0]}" in log_text(app)
        await pilot.press("down", "space", "home", "space", "C")
        assert app.clipboard == f"{pending[0]}\n{pending[1]}"  # queue order, not the order selected
        assert "copied 2 order numbers" in log_text(app)


async def test_o_cycles_the_sort_the_header_says_it_and_the_cursor_stays(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("down", "down", "down")
        watched = table.current
        await pilot.press("o")
        assert table.sort is Sort.NUMBER and table.current == watched
        assert table.shown() == sorted(app.session.book.rows)
        await pilot.press("o")
        status = app.session.book.status
        assert table.sort is Sort.STATUS and table.current == watched
        assert [status[o] for o in table.shown()] == sorted(status[o] for o in app.session.book.rows)
        await pilot.pause()
        assert "sort: status" in screen_text(app).splitlines()[0]
        await pilot.press("o", "o")  # last sent, then the list's own order again
        assert table.sort is Sort.LIST and table.current == watched
        assert table.shown() == app.session.book.rows
        await pilot.pause()
        assert "sort:" not in screen_text(app).splitlines()[0]


async def test_the_log_is_focused_searched_and_a_line_copied(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.log_line(LogKind.INFO, "needle one")
        app.log_line(LogKind.INFO, "hay")
        app.log_line(LogKind.INFO, "needle two")
        log = app.screen.query_one(StatusLog)
        table = app.screen.query_one(OrderTable)
        await pilot.press("L", "s")  # the log has the focus: s stages nothing
        assert log.has_focus and app.session.staging.entries == ()
        await pilot.press("slash", "n", "e", "e", "d", "l", "e", "enter")
        assert log.has_focus and log.current_line().text == "needle two"
        await pilot.press("n", "C")  # the next (older) match, copied as shown
        assert app.clipboard.endswith("· needle one")
        await pilot.press("up", "escape")
        assert table.has_focus
        assert "copied a log line" in log_text(app)


async def test_shipped_orders_stay_dimmed_after_a_refresh_and_z_hides_them(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        shipped = table.current
        await pilot.press("s", "S")
        await answer_yes(pilot)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        book = app.session.book
        assert shipped not in book.rows and shipped in book.left
        assert table.shown()[-1] == shipped  # after the pending orders, with its new status
        await pilot.press("end")
        await pilot.pause()
        row = next(r for r in screen_text(app).splitlines() if shipped in r)
        assert "mark_shipped" in row and "left queue" in row
        await pilot.press("z")
        assert shipped not in table.shown() and table.row_count() == len(book.rows)
