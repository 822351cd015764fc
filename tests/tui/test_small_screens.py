"""What the screen says at 80x24 and below: nothing covers a question, the essentials
stay visible, and a terminal too small says so."""

from __future__ import annotations

import re

from ccnow_tui.tui.screens.confirm import ConfirmScreen

from .helpers import screen_text, started, wait_until


async def test_toasts_never_cover_the_confirmation(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await started(pilot)
        app.notify("a long notice that would sit on the right half of the screen " * 3, timeout=30)
        app.notify("and another one, with a title", title="Notice", timeout=30)
        await wait_until(pilot, lambda: "a long notice" in screen_text(app), "the toasts")
        await pilot.press("s", "S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.is_mounted)
        await wait_until(pilot, lambda: "Send this batch?" in screen_text(app), "the question drawn")
        text = screen_text(app)
        assert "y send    n / esc go back (nothing happens)" in text
        assert "a long notice" not in text
        await pilot.press("n")
        await wait_until(pilot, lambda: "a long notice" in screen_text(app), "the toasts back")


async def test_a_pending_list_that_could_not_be_loaded_says_why_in_its_place(make_app, sandbox):
    from ccnow_tui.sandbox.faults import parse_fault
    from ccnow_tui.tui.widgets.order_table import OrderTable

    sandbox.set_faults([parse_fault("maintenance")])
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        assert table.row_count() == 0
        await wait_until(pilot, lambda: "could not be loaded" in screen_text(app), "the reason in the table")
        shown = " ".join(line.strip() for line in screen_text(app).splitlines()[2:8])
        assert "The pending list could not be loaded:" in shown and "system down for maintenance" in shown
        assert "(r tries again)" in shown
        sandbox.set_faults([])
        await pilot.press("r")
        await wait_until(pilot, lambda: table.row_count() == 40, "the list")
        assert "could not be loaded" not in screen_text(app)
        # A filter that matches nothing says so too.
        await pilot.press("slash", "z", "z", "enter")
        await wait_until(pilot, lambda: "No order matches" in screen_text(app), "the empty filter")


async def test_below_80x24_the_essentials_stay_and_too_small_says_so(make_app):
    from ccnow_tui.protocol import StagedAction

    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        app.session.staging.add([StagedAction.make(o, "ship") for o in rows[:3]])
        await wait_until(
            pilot, lambda: "3 staged" in screen_text(app).splitlines()[0], "the staged count in the header"
        )
        lines = screen_text(app).splitlines()
        assert lines[0].split()[0] in ("Queue", "test") and "test" in lines[0]
        assert lines[-1].startswith("q Quit ? Help")
        # Too small for anything: say so, and what size works.
        await pilot.resize_terminal(50, 14)
        await wait_until(pilot, lambda: "needs at least 60x16" in screen_text(app), "the size message")
        assert "this terminal is 50x14" in screen_text(app)
        await pilot.press("s")  # nothing shown, nothing to act on
        assert len(app.session.staging) == 3
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: "needs at least" not in screen_text(app), "the queue again")
        assert rows[0] in screen_text(app)


async def test_at_60x16_the_label_preview_keeps_its_keys_and_three_rows(make_app, tmp_path):
    from .test_import_labels import open_preview, shipstation

    app = make_app()
    async with app.run_test(size=(60, 16)) as pilot:
        await started(pilot)
        app.start_dir = tmp_path
        shipstation(tmp_path / "labels.csv", app.session.book.rows[:10])
        screen = await open_preview(pilot, "labels.csv")
        await pilot.pause()
        text = screen_text(app)
        assert "enter stage 10 rows" in text, text  # the keys line shows
        assert "esc cancel" in text, text  # to its last key: a narrow terminal wraps it, never cuts it
        assert screen.query_one("#import-body").size.height >= 3, text
        assert "track + ship for 10 orders" in text, text  # what every row does, said once
        rows = [line for line in text.splitlines() if "✔" in line]
        assert len(rows) >= 3, text
        # Whole rows, each on its line, with the whole tracking number (never cut: it is sent).
        assert all(re.search(r"1Z999AA1\d{10}\b", row) for row in rows[:3]), text


async def test_the_log_is_never_taller_than_the_list_above_it(make_app):
    from ccnow_tui.tui.screens.base import LOG_ROWS
    from ccnow_tui.tui.widgets.status_log import StatusLog

    app = make_app()
    async with app.run_test(size=(60, 16)) as pilot:
        await started(pilot)

        async def heights() -> tuple[int, int]:
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            above = screen.log_above()
            return above.outer_size.height, screen.query_one(StatusLog).outer_size.height

        for keys in [(), ("s", "b"), ("escape", "h"), ("escape", "enter")]:  # queue, composer, history, detail
            await pilot.press(*keys)
            listed, log = await heights()
            assert 0 < log <= listed, (type(app.screen).__name__, listed, log)
        await pilot.press("escape")
        await pilot.resize_terminal(100, 30)  # room again: the log is as tall as ever
        listed, log = await heights()
        assert log == LOG_ROWS and listed > log
