"""tests/tui/seen.py reads what the operator sees through Textual's public API: the screen
from ``App.export_screenshot()``'s SVG, the toasts from the screen's Toast widgets. Checked
here against what is drawn: wide characters (CJK, emoji) keep later text in its column,
escaped characters come back as typed, a question shows over the screen under it, and a
toast is seen once it is up and no longer once it has timed out or been cleared."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from .helpers import wait_until
from .seen import screen_text, svg_text, toasts

# Text that is hard to read back out of an SVG: wide cells, markup-like and escaped
# characters, a no-break space of its own and the entity Rich writes for a space.
ROW = "ab 漢字|🙂|⚠ x & <y> \"q\" 'a' &#160; &amp; \xa0nbsp end"


class Wide(App):
    CSS = "#b { offset: 10 0; width: auto; }"

    def compose(self):
        yield Static(ROW, markup=False, id="a")
        yield Static("[b]bold[/b] 名前 [i]after[/i]", id="b")
        yield Static("[b]🙂[/b]x[i]漢[/i]y[u]字字[/u]z", id="c")


class Question(ModalScreen):
    """See-through: the screen under it shows around the box."""

    CSS = "Question { align: center middle; } Question > Vertical { width: 24; height: 3; }"

    def compose(self):
        with Vertical():
            yield Static("Send 3 entries? 送信", markup=False)


def cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


async def test_wide_characters_keep_later_text_in_its_column():
    app = Wide()
    async with app.run_test(size=(70, 6)) as pilot:
        await pilot.pause()
        rows = screen_text(app).split("\n")
        assert len(rows) == 6 and all(cells(row) == 70 for row in rows), rows
        assert rows[0].rstrip() == ROW
        # Styled runs after wide characters (one run each), moved by an offset: each in
        # the column the terminal shows it in, counted in cells.
        assert rows[1].rstrip() == " " * 10 + "bold 名前 after"
        assert rows[2].rstrip() == "🙂x漢y字字z"
        assert [cells(rows[2][: rows[2].index(c)]) for c in "xyz"] == [2, 5, 10]


async def test_a_question_shows_over_the_screen_under_it():
    app = Wide()
    async with app.run_test(size=(70, 9)) as pilot:
        await pilot.pause()
        await app.push_screen(Question())
        await pilot.pause()
        text = screen_text(app)
        assert "Send 3 entries? 送信" in text
        assert "ab 漢字|🙂|" in text  # the screen under it, still seen
        box = next(row for row in text.split("\n") if "Send 3" in row)
        assert cells(box[: box.index("Send")]) == (70 - 24) // 2


async def test_toasts_are_seen_once_up_and_not_once_gone():
    app = Wide()
    async with app.run_test(size=(100, 20), notifications=True) as pilot:
        await pilot.pause()
        app.notify("a toast", timeout=60)
        app.notify("saved to [b]x.csv[/b]", title="Exported", timeout=60)
        await pilot.pause()  # a toast shows a frame after it is posted
        assert toasts(app) == ["a toast", "Exported\nsaved to x.csv"]  # as read: markup drawn
        assert "a toast" in screen_text(app)
        app.clear_notifications()
        await wait_until(pilot, lambda: not toasts(app), "the toasts to go")
        assert "a toast" not in screen_text(app)
        app.notify("brief", timeout=1.5)
        await wait_until(pilot, lambda: toasts(app) == ["brief"], "the toast")
        await wait_until(pilot, lambda: not toasts(app), "the toast to time out")
        assert "brief" not in screen_text(app)


async def test_a_toast_moves_to_the_question_shown_over_its_screen():
    app = Wide()
    async with app.run_test(size=(100, 20), notifications=True) as pilot:
        app.notify("under", timeout=60)
        await pilot.pause()
        assert toasts(app) == ["under"]
        await app.push_screen(Question())
        await pilot.pause()
        assert toasts(app) == ["under"]  # Textual moves the toasts to the top screen
        assert "under" in screen_text(app)


async def test_toasts_are_not_read_from_an_app_that_shows_none():
    """``run_test`` shows no toasts by default: reading them there fails, rather than
    finding none (an assertion that a toast is not shown would pass for nothing)."""
    app = Wide()
    async with app.run_test(size=(100, 20)) as pilot:
        app.notify("unseen", timeout=60)
        await pilot.pause()
        with pytest.raises(AssertionError, match="notifications=True"):
            toasts(app)
        assert "unseen" not in screen_text(app)


def recorded(lines: list[list[tuple[str, Style]]], width: int) -> Console:
    console = Console(width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor", record=True)
    for line in lines:
        console.print(Text.assemble(*line), crop=True, overflow="crop", no_wrap=True)
    return console


STYLES = st.sampled_from([Style(), Style(bold=True), Style(color="red"), Style(bgcolor="blue"), Style(reverse=True)])
PIECES = st.text(alphabet=st.sampled_from(list("ab &<>\"';#160\xa0漢字🙂⚠é")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(PIECES, STYLES), max_size=5), min_size=1, max_size=6))
def test_any_styled_rows_come_back_as_the_console_drew_them(lines):
    """Rich's own text of what it recorded, against the text read back from its SVG."""
    width = 40
    console = recorded(lines, width)
    expected = console.export_text(clear=False).split("\n")[: len(lines)]
    got = svg_text(console.export_svg(), width, len(lines)).split("\n")
    assert [row.rstrip() for row in got] == [row.rstrip() for row in expected]
    assert all(cells(row) == width for row in got)


def test_an_svg_not_laid_out_as_read_is_refused_not_read_as_blank():
    """Were Rich to write its SVG otherwise, reading would fail, not give an empty screen
    (on which every "is not shown" would pass)."""
    console = recorded([[("shown", Style())], [("and more", Style(bold=True))], [("end", Style())]], 20)
    svg = console.export_svg()
    assert svg_text(svg, 20, 3).split("\n")[1].rstrip() == "and more"
    with pytest.raises(ValueError, match="not Rich's SVG"):
        svg_text(svg.replace("clip-path=", "data-clip="), 20, 3)
    with pytest.raises(ValueError, match="below the terminal"):
        svg_text(svg, 20, 2)
