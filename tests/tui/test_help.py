"""The help: it starts with the keys of the screen it was opened from, ``/`` filters it,
and no key name is cut, at 80 columns or with keys of one's own."""

from __future__ import annotations

from ccnow_tui.config.load import KeyTable
from ccnow_tui.tui.screens.help import HelpScreen
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import screen_text, started, wait_until
from .test_typeahead import burst


def help_lines(app) -> list[str]:
    return [line.strip(" │┃") for line in screen_text(app).splitlines()]


def first_section(app) -> str:
    """The title of the first section the help shows."""
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return screen.sections[0][0]


async def test_the_help_starts_with_the_keys_of_the_screen_it_was_opened_from(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        assert first_section(app).startswith("Pending queue")
        assert "Pending queue" in screen_text(app) and "Keys (this screen's first)" in screen_text(app)
        await pilot.press("escape", "h")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "the history")
        await pilot.press("question_mark")
        assert first_section(app).startswith("History")
        await pilot.press("escape", "escape", "L")  # the queue's log focused: the log's keys first
        await pilot.press("question_mark")
        assert first_section(app).startswith("In the focused log")
        assert "Scroll the log" in screen_text(app)


async def test_slash_filters_the_help_as_typed_and_esc_clears_then_closes(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        burst(app, "/", *"clipboard")  # typed ahead with /: every key lands in the filter
        await wait_until(
            pilot, lambda: "OSC 52" in screen_text(app) and "Stage ship" not in screen_text(app), "the filtered help"
        )
        text = screen_text(app)
        assert "Copy the highlighted order number" in text and "Command palette" not in text
        burst(app, "q", "x", "z")  # q and ? type into the filter; they do not close the help
        await wait_until(pilot, lambda: "No key matches “clipboardqxz”" in screen_text(app), "no match")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")  # clears the filter, the help stays
        assert isinstance(app.screen, HelpScreen) and "Filter the queue" in screen_text(app)
        await pilot.press("slash", "u", "n", "d", "o", "enter")
        assert isinstance(app.screen, HelpScreen) and app.screen.query_one("#help-filter").value == "undo"
        assert "Undo the last change" in screen_text(app) and "Command palette" not in screen_text(app)
        await pilot.press("escape", "escape")  # the filter, then the help
        assert isinstance(app.screen, QueueScreen)


async def test_no_key_name_is_cut_at_80_columns(settings):
    """Every key name in the help shows whole at 80x24, the long ones (backspace,
    shift+tab, ctrl+shift+f12 of one's own) too."""
    from dataclasses import replace

    from ccnow_tui.tui.app import CcnowApp

    keys = KeyTable({"staging.undo": "ctrl+shift+f12", "queue.copy": "ctrl+shift+home"}, {}, None)
    app = CcnowApp(replace(settings), keys=keys)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        names = {name for _, rows in screen.sections for key, _ in rows for name in key.replace(" or ", " ").split()}
        assert {"ctrl+shift+f12", "ctrl+shift+home", "backspace", "shift+tab"} <= names
        seen: set[str] = set()
        body = screen.query_one("#help-body")
        for _ in range(200):  # scroll through the whole help, a page at a time
            for line in help_lines(app):
                seen.update(line.split())
            if body.scroll_y >= body.max_scroll_y:
                break
            await pilot.press("pagedown")
        missing = sorted(name for name in names if name not in seen)
        assert not missing, f"cut or missing key names: {missing}"
