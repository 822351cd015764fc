"""What the screen says at 80x24 and below: nothing covers a question, the essentials
stay visible, and a terminal too small says so."""

from __future__ import annotations

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
