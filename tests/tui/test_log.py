"""The status log pane: long lines wrap at 80 columns, the ring stays bounded, it follows."""

from __future__ import annotations

from ccnow_tui.tui.model import LOG_LINES, LogKind
from ccnow_tui.tui.widgets.status_log import StatusLog

from .helpers import screen_text, started, wait_until


async def test_a_long_line_is_readable_at_80_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        log = app.screen.query_one(StatusLog)
        assert log.virtual_size.height < log.size.height  # no scrollbar yet
        words = " ".join(f"word{i:02d}" for i in range(40))  # ~280 characters
        # The long line itself makes the log overflow, so the scrollbar shows up only
        # after the line was wrapped.
        for i in range(log.size.height - log.virtual_size.height - 2):
            app.log_line(LogKind.INFO, f"filler {i}", publish=False)
        app.log_line(LogKind.REFUSED, f"receiver: {words} THE-END")
        # Drawn a frame or two later (later still on a busy machine): wait for the end of it.
        await wait_until(pilot, lambda: "THE-END" in screen_text(app), "the long line drawn")
        assert log.virtual_size.height > log.size.height
        text = screen_text(app)
        assert "word00" in text and "word20" in text and "THE-END" in text
        # Continuation rows are indented under the tag, not run in under the time.
        assert any(row.startswith(" " * 9 + "word") for row in text.splitlines())
        # Every word whole on the screen, none cut at the edge (the scrollbar's column
        # is kept free even before the log overflows).
        for i in range(40):
            assert f"word{i:02d}" in text.split()


async def test_the_ring_keeps_the_newest_lines_and_follows_them(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        for i in range(LOG_LINES + 250):
            app.log_line(LogKind.INFO, f"line {i}", publish=False)
        app.changed.publish("log")
        await pilot.pause()
        log = app.screen.query_one(StatusLog)
        assert log.virtual_size.height == LOG_LINES  # the oldest lines are gone from view
        assert f"line {LOG_LINES + 249}" in screen_text(app)
        # Scrolled up, the view stays put while new lines come in.
        log.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert not log.follow
        app.log_line(LogKind.INFO, "newest")
        await pilot.pause()
        assert log.scroll_y == 0 and "newest" not in screen_text(app)
        assert log.virtual_size.height == LOG_LINES
