"""The pending queue: rows from the streaming list, header, filter, selection, staging keys."""

from __future__ import annotations

import re

from ccnow_tui.protocol import ActionKind, StagedAction
from ccnow_tui.tui.model import clock
from ccnow_tui.tui.screens.detail import DetailScreen
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.widgets.order_table import OrderTable

from .helpers import SIZE, actions, screen_text, settle, started, stored, wait_until


async def test_queue_shows_the_pending_list_and_the_header(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one(OrderTable)
        assert app.session.book.rows == sandbox.book.pending()
        assert table.row_count() == 40
        text = screen_text(app)
        host = sandbox.url.split("/")[2]
        refreshed = clock(app.session.book.last_refresh)
        assert "test@" + host in text and f"40 pending @{refreshed}" in text
        assert sandbox.book.pending()[0] in text and "pending" in text
        assert table.has_focus


async def test_filter_keeps_focus_on_the_list(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        target = sandbox.book.pending()[5]
        await pilot.press("slash", *target.digits[-4:], "enter")
        assert table.has_focus  # single-letter keys work again at once
        assert table.row_count() >= 1 and table.current == target
        await pilot.press("s")  # a staging key reaches the list after the filter
        assert app.session.staging.entries == (StagedAction.make(target, ActionKind.SHIP),)
        await pilot.press("escape")
        assert table.row_count() == 40 and table.has_focus


async def test_select_and_stage_for_every_selected_order(make_app, sandbox, isolated_dirs):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        pending = sandbox.book.pending()
        await pilot.press("space", "down", "space", "s")  # space stays on its row: the first two
        staged = app.session.staging.entries
        assert staged == (StagedAction.make(pending[0], "ship"), StagedAction.make(pending[1], "ship"))
        assert not app.screen.query_one(OrderTable).selected  # acted on: selection cleared
        # Written to the profile's store at once.
        assert actions(stored().staged) == list(staged)
        await pilot.press("u")
        assert app.session.staging.entries == ()


async def test_enter_opens_detail_and_g_goes_to_any_order(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        first = sandbox.book.pending()[0]
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.order_id == first
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        done = sandbox.book.with_status("completed")[0]
        await pilot.press("g", *done.digits, "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.order_id == done
        # Not in the queue, so the detail asks the receiver at once.
        await wait_until(pilot, lambda: app.session.book.status.get(done) == "completed", "the query answer")
        await pilot.pause()
        text = screen_text(app)
        assert "completed" in text and "Order processed and marked shipped" in text


async def test_refresh_asks_again(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        seen = sandbox.requests_seen
        await pilot.press("r")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1
        assert not app.session.book.loading
        # A refresh that supersedes another: the rows are one list, never both.
        await pilot.press("r", "r")
        await settle(pilot)
        assert app.session.book.rows == sandbox.book.pending()


async def test_l_hides_the_log_on_every_screen(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l")
        assert not app.screen.query_one("#log").display
        await pilot.press("b")
        assert not app.screen.query_one("#log").display
        await pilot.press("l")
        assert app.screen.query_one("#log").display


async def test_a_cut_off_list_is_retried_without_doubling_rows(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault

    from .helpers import log_text

    sandbox.set_faults([parse_fault("truncate:1")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.session.book.rows == sandbox.book.pending()
        assert re.search(r"its \d+ lines? (is|are) void; retrying", log_text(app))
        assert "40 pending" in screen_text(app)


async def test_a_list_cut_off_on_every_try_is_an_error_not_an_unknown_outcome(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault

    from .helpers import log_text

    sandbox.set_faults([parse_fault("drop-after-apply")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.session.book.rows == []
        assert "INCOMPLETE" in screen_text(app)
        log = log_text(app)
        assert "error: pending list: the answer from 127.0.0.1 was cut off" in log
        assert "unknown:" not in log  # nothing was sent that could have changed an order


async def test_the_cursor_stays_on_its_order_when_a_refresh_moves_the_rows(make_app, sandbox):
    import httpx

    from ccnow_tui.tui.widgets.order_table import OrderTable

    from .helpers import PASSWORD

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        pending = sandbox.book.pending()
        await pilot.press("down", "down", "down", "down", "down")
        watched = table.current
        assert watched == pending[5]
        # Someone else ships two orders above it: they leave the pending list.
        form = {
            "x_clientid": "shop",
            "x_password": PASSWORD,
            "x_orderid_1": pending[0],
            "x_action_1": "ship",
            "x_orderid_2": pending[2],
            "x_action_2": "ship",
        }
        assert httpx.post(sandbox.url, data=form).status_code == 200
        await pilot.press("r")
        await settle(pilot)
        assert app.session.book.rows == sandbox.book.pending()
        assert table.current == watched and table.cursor == 3  # same order, new row number
        # And when the order itself leaves, the cursor stays put on the row number.
        form = {"x_clientid": "shop", "x_password": PASSWORD, "x_orderid_1": watched, "x_action_1": "ship"}
        assert httpx.post(sandbox.url, data=form).status_code == 200
        await pilot.press("r")
        await settle(pilot)
        assert table.cursor == 3 and table.current == sandbox.book.pending()[3]


async def test_auto_refresh_keeps_the_queue_alive(settings, sandbox):
    # The CLI's --refresh takes 5 s or more; the app itself takes any interval.
    from ccnow_tui.tui.app import CcnowApp

    from .helpers import wait_until

    app = CcnowApp(settings, refresh_every=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # Between refreshes (during one, the header shows that one is out, with a spinner).
        await wait_until(pilot, lambda: "↻0.2s" in screen_text(app), "the refresh interval in the header")
        seen = sandbox.requests_seen
        await wait_until(pilot, lambda: sandbox.requests_seen >= seen + 2, "two automatic refreshes")
        await settle(pilot)
        assert app.session.book.rows == sandbox.book.pending()
        # Timed refreshes that find the same list do not fill the log.
        from .helpers import log_text

        assert log_text(app).count("pending list:") == 1
