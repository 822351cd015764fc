"""StyledText skips the screen's new layout only when an update keeps the text's height:
a text that grows or shrinks still moves what is below it."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from ccnow_tui.tui.widgets.styled import StyledText


class Two(App):
    def compose(self) -> ComposeResult:
        yield StyledText("one line", id="top")
        yield Static("below", id="below")


async def test_height_changes_move_what_is_below_and_same_height_updates_still_draw() -> None:
    app = Two()
    async with app.run_test(size=(40, 10)) as pilot:
        top, below = app.query_one("#top", StyledText), app.query_one("#below", Static)
        assert top.size.height == 1 and below.region.y == 1
        top.update("a\nb\nc")
        await pilot.pause()
        assert top.size.height == 3 and below.region.y == 3
        top.update("d\ne\nf")  # same height: no layout, but the new text is what is drawn
        await pilot.pause()
        assert top.size.height == 3 and below.region.y == 3
        assert [strip.text.rstrip() for strip in top.render_lines(top.region.reset_offset)[:3]] == ["d", "e", "f"]
        top.update("x" * 60)  # wider than the widget: it wraps, so it must lay out again
        await pilot.pause()
        assert top.size.height == 2 and below.region.y == 2
        top.update("g")
        await pilot.pause()
        assert top.size.height == 1 and below.region.y == 1
