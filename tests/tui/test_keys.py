"""The key map: stable binding ids, help listing every key, a palette entry per action."""

from __future__ import annotations

from textual.binding import Binding

from ccnow_tui.tui.app import CcnowApp, help_sections
from ccnow_tui.tui.keys import binding_keys, bindings_of, display_key
from ccnow_tui.tui.screens.base import BaseScreen, MainScreen
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.detail import DetailScreen
from ccnow_tui.tui.screens.forms import ActionForm, GoToForm
from ccnow_tui.tui.screens.help import HelpScreen
from ccnow_tui.tui.screens.preview import PreviewScreen
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.widgets.line_list import CursorList

from .helpers import SIZE, screen_text, settle, started

SCREENS = [
    CcnowApp,
    BaseScreen,
    MainScreen,
    QueueScreen,
    DetailScreen,
    ComposerScreen,
    ActionForm,
    GoToForm,
    ConfirmScreen,
    PreviewScreen,
    HelpScreen,
    CursorList,
]
UNSAFE_OVER_SSH = {"ctrl+s", "ctrl+q", "ctrl+enter"}


def test_every_binding_has_a_stable_id_and_a_safe_key():
    for cls in SCREENS:
        own = [b for b in cls.__dict__.get("BINDINGS", [])]
        assert own, cls
        for b in own:
            assert b.id, f"{cls.__name__}: {b.key} has no id"
            assert not set(b.key.split(",")) & UNSAFE_OVER_SSH, b.key


def test_help_lists_every_key_of_every_screen():
    listed = {what for _, rows in help_sections() for _, what in rows}
    for cls in (QueueScreen, DetailScreen, ComposerScreen):
        for b in bindings_of(cls):
            assert (b.tooltip or b.description) in listed, (cls.__name__, b.key)


async def test_help_opens_with_question_mark_and_closes_with_escape(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        # The queue's own keys come first (the stage keys further down may need a scroll).
        assert "Filter the queue (order number, status or staged action)" in text and "Pending queue" in text
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_palette_has_an_entry_for_every_action_and_runs_it(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for b in bindings_of(QueueScreen):
            if b.id != "nav.back":
                assert b.tooltip in titles, b.key
        seen = sandbox.requests_seen
        await pilot.press("ctrl+p", *"fetch the", "enter")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1
        assert isinstance(app.screen, QueueScreen)


def test_a_bindings_keys_as_prose_names_them():
    no = Binding("n,escape", "no", "No", key_display="n/esc", id="t.no")
    assert binding_keys(no) == ["n", "esc"] and display_key(no) == "n or esc"
    search = Binding("slash", "search", "Search", key_display="/", id="t.search")
    assert binding_keys(search) == ["/"]  # a key_display of "/" is the key, not two empty ones
    assert display_key(Binding("question_mark,f1", "help", "Help", id="t.help")) == "? or f1"
    assert display_key(no, {"t.no": "x,escape"}) == "x or esc"  # [keys] wins over the display
