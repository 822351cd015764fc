"""Column text is fitted by terminal cells, not characters: a wide character (Japanese,
Chinese, most emoji) takes two cells, so text cut by characters overflowed its column
and pushed the next one out of line."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.model import LogKind, LogLine
from ccnow_tui.tui.widgets.line_list import crop, fit, wrap_cells
from ccnow_tui.tui.widgets.status_log import INDENT, wrap_line

from .helpers import screen_text, started, wait_until

WIDE = "箱が壊れていたので返品希望"  # 13 characters, 26 cells


@pytest.mark.parametrize("text", [WIDE, "abc", "a箱b壊c", "🙂🙂🙂x", ""])
@pytest.mark.parametrize("width", [1, 2, 3, 8, 11, 40])
def test_fit_gives_exactly_the_cells_asked_for(text, width):
    fitted = fit(text, width)
    assert cell_len(fitted) == width
    if cell_len(text) > width and width > 1:
        assert fitted.endswith("…")
    assert cell_len(crop(text, width)) <= width


@pytest.mark.parametrize("width, first", [(8, 4), (10, 6), (20, 20), (3, 1)])
def test_wrapped_rows_never_pass_their_width_and_lose_nothing(width, first):
    text = f"{WIDE} ok {WIDE}{WIDE} 🙂 end"
    rows = wrap_cells(text, width, first)
    assert cell_len(rows[0]) <= first and all(cell_len(r) <= width for r in rows[1:])
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")


def test_a_log_line_in_japanese_wraps_within_the_pane():
    width = 60
    line = LogLine("12:00:00", LogKind.INFO, f"staged cancel for 186-92-8199: {WIDE * 4}")
    rows = wrap_line(line, width)
    assert all(cell_len(row) <= width - INDENT for row in rows)
    assert len(rows) > 1


async def test_a_wide_status_does_not_push_the_next_columns_out_of_line(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        book = app.session.book
        oid = book.rows[0]
        book.status[oid] = "保留中の注文です"  # a status the receiver sent in Japanese: 16 cells, 14 given
        await pilot.press("s")
        await wait_until(pilot, lambda: len(app.session.staging) == 1, "the ship staged")
        assert app.session.staging.entries == (StagedAction.make(oid, "ship"),)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "staged" in line and "last sent" in line)
        row = next(line for line in lines if oid in line)
        assert cell_len(row[: row.index("ship")]) == cell_len(header[: header.index("staged")])
        assert "…" in row  # the status is cut, with an ellipsis, inside its column
