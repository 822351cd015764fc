"""Control characters in network text (the receiver's words, statuses) are shown as
visible characters in the TUI, never sent to the terminal to act."""

from __future__ import annotations

from ccnow_tui.tui.model import LogKind
from ccnow_tui.tui.screens.detail import DetailScreen

from .helpers import SIZE, screen_text, started, wait_until

HOSTILE = "bad\x1b[2J\x1b]0;owned\x07end\x08!"  # clear screen, set title, bell, backspace
SHOWN = "bad\\x1b[2J\\x1b]0;owned\\x07end\\x08!"  # written out, as the CLI prints them


async def test_control_characters_in_network_text_are_shown_not_obeyed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.log_line(LogKind.REFUSED, f"receiver: error_message {HOSTILE}")
        await wait_until(pilot, lambda: SHOWN in screen_text(app), "the log line")
        oid = app.session.book.rows[0]
        app.session.book.learn({oid: "pend\x1b[5mx"})
        app.session.book.learn_refusals({oid: HOSTILE})
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await wait_until(pilot, lambda: "refused at" in screen_text(app), "the detail")
        text = screen_text(app)
        assert SHOWN in text and "pend\\x1b[5mx" in text
        assert not any(c in text for c in "\x1b\x07\x08")
        assert "\x1b]0;owned" not in app.export_screenshot()
