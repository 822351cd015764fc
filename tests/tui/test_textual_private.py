"""Textual's private names that ccnow_tui relies on (all used in ccnow_tui/tui/textual_private.py):
each is checked here, by name and shape, so an upgrade that changes one fails with the name
rather than quietly breaking the keys typed ahead."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from textual.app import App
from textual.binding import BindingsMap
from textual.screen import Screen
from textual.widgets import Input, Static

import ccnow_tui
from ccnow_tui.tui import textual_private
from ccnow_tui.tui.textual_private import PRIVATE_NAMES

TUI_DIR = Path(ccnow_tui.__file__).resolve().parent / "tui"


def _moved(owner: str, name: str, what: str) -> str:
    return (
        f"Textual changed {owner}.{name}, which ccnow_tui relies on ({what}); "
        "adapt ccnow_tui/tui/textual_private.py (keys typed ahead depend on it)"
    )


def named(name: str) -> tuple[str, str, str]:
    """The PRIVATE_NAMES entry of ``name``: (owner, name, what we rely on)."""
    return next(entry for entry in PRIVATE_NAMES if entry[1] == name)


def _params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_every_private_name_is_listed_and_checked():
    checked = {(owner, name) for owner, name, _ in PRIVATE_NAMES}
    assert checked == {
        ("textual.widgets.Input", "_on_key"),
        ("textual.dom.DOMNode", "_bindings"),
        ("textual.app.App", "_check_bindings"),
        ("textual.screen.Screen", "_compositor"),
        ("textual.app.App", "_background_screens"),
        ("textual.app.App", "_notifications"),
        ("textual.app.App", "_load_screen_css"),
        ("textual.app.App", "_register"),
    }, "a private name was added to or removed from PRIVATE_NAMES: check it in this test too"


def test_input_key_handler():
    owner, name, what = named("_on_key")
    handler = getattr(Input, "_on_key", None)
    assert handler is not None and inspect.iscoroutinefunction(handler), _moved(owner, name, what)
    assert _params(handler) == ["self", "event"], _moved(owner, name, what)


def test_bindings_map_of_a_node():
    field = Input()
    bindings = getattr(field, "_bindings", None)
    assert isinstance(bindings, BindingsMap), _moved("textual.dom.DOMNode", "_bindings", named("_bindings")[2])
    assert isinstance(bindings.key_to_bindings, dict), _moved("BindingsMap", "key_to_bindings", "a dict")
    # FieldInput runs Input's editing keys itself: they must be ordinary (not priority) bindings.
    editing = bindings.key_to_bindings.get("backspace", [])
    assert editing and not any(b.priority for b in editing), _moved(
        "textual.widgets.Input", "BINDINGS", "backspace is an ordinary binding of the field"
    )
    assert textual_private.node_bindings(field, "backspace") == tuple(editing)


def test_app_check_bindings():
    owner, name, what = named("_check_bindings")
    check = getattr(App, "_check_bindings", None)
    assert check is not None and inspect.iscoroutinefunction(check), _moved(owner, name, what)
    params = inspect.signature(check).parameters
    assert list(params)[:2] == ["self", "key"] and "priority" in params, _moved(owner, name, what)


def test_what_the_tests_read_the_screen_with():
    assert isinstance(getattr(App, "_background_screens", None), property), _moved(*named("_background_screens"))
    from textual._compositor import Compositor

    assert "screen_stack" in inspect.signature(Compositor.render_update).parameters, _moved(*named("_compositor"))
    assert "_compositor" in inspect.getsource(Screen.__init__), _moved(*named("_compositor"))
    assert "self._notifications" in inspect.getsource(App.__init__), _moved(*named("_notifications"))


def test_what_premount_calls():
    load = getattr(App, "_load_screen_css", None)
    assert load is not None and _params(load) == ["self", "screen"], _moved(*named("_load_screen_css"))
    register = getattr(App, "_register", None)
    assert register is not None and _params(register)[:3] == ["self", "parent", "widgets"], _moved(*named("_register"))


class Counted(Screen):
    composed = 0
    CSS = "Counted { background: red; }"  # its own CSS: loaded by premount, as push_screen would

    def compose(self):
        type(self).composed += 1
        yield Static("hidden until shown", id="body")


async def test_a_premounted_screen_is_mounted_unseen_and_shown_without_a_new_mount():
    from ccnow_tui.tui.textual_private import premount

    Counted.composed = 0
    app = App()
    async with app.run_test() as pilot:
        shown = app.screen
        screen = Counted()
        app.install_screen(screen, "counted")
        premount(app, screen)
        await pilot.pause()
        assert screen.is_running and Counted.composed == 1 and screen.query_one("#body", Static).is_mounted, _moved(
            *named("_register")
        )
        assert app.screen is shown and screen not in app.screen_stack  # mounted, not shown
        premount(app, screen)  # a second call is nothing
        app.push_screen("counted")
        await pilot.pause()
        assert app.screen is screen and Counted.composed == 1  # shown, not composed again
        assert screen.styles.background.rgb == (255, 0, 0), _moved(*named("_load_screen_css"))
        app.pop_screen()
        await pilot.pause()
        assert app.screen is shown and screen.is_running  # installed: kept for the next push


@pytest.mark.parametrize(
    "path",
    sorted(p for p in TUI_DIR.rglob("*.py") if p.name != "textual_private.py"),
    ids=lambda p: str(p.relative_to(TUI_DIR)),
)
def test_no_other_module_reaches_into_textual(path):
    """Outside textual_private.py, no private textual module is imported and no private
    name of textual's is used (ours, such as self._rows, are ours to use)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("textual"):
            assert not any(part.startswith("_") for part in node.module.split(".")), (
                f"{path.name} imports {node.module}: go through textual_private.py"
            )
    source = path.read_text(encoding="utf-8")
    for _, name, _ in PRIVATE_NAMES:
        assert (f".{name}" not in source and f"def {name}(" not in source) or name == "FooterKey", (
            f"{path.name} uses textual's private {name}: go through textual_private.py"
        )


class Opaque(Screen):
    pass


class SeeThrough(Screen):
    CSS = "SeeThrough { background: $background 60%; }"  # a question's dim backdrop


async def test_a_screen_shows_behind_the_top_one_only_through_see_through_screens():
    """Textual counts the screen right under the top one as visible whatever the top one
    is like; SeeThroughApp only through screens that can be seen through."""
    from ccnow_tui.tui.textual_private import SeeThroughApp

    app = SeeThroughApp()
    async with app.run_test() as pilot:
        base = app.screen
        opaque = Opaque()
        app.push_screen(opaque)
        await pilot.pause()
        assert app._background_screens == [] and not base.is_current and opaque.is_current
        question = SeeThrough()
        app.push_screen(question)
        await pilot.pause()
        assert app._background_screens == [opaque] and opaque.is_current and not base.is_current
        app.pop_screen()
        app.pop_screen()
        await pilot.pause()
        app.push_screen(SeeThrough())
        await pilot.pause()
        assert app._background_screens == [base] and base.is_current
    plain = App()  # what SeeThroughApp changes: Textual's own answer under an opaque screen
    async with plain.run_test() as pilot:
        base = plain.screen
        plain.push_screen(Opaque())
        await pilot.pause()
        assert plain._background_screens == [base], _moved(*named("_background_screens"))
