"""Textual's private names that ccnow_tui relies on (all used in ccnow_tui/tui/textual_private.py):
each is checked here by what it does, so an upgrade that changes one fails with the name
rather than quietly breaking the keys typed ahead. The tests and the screenshots read what
the operator sees through public calls only (tests/tui/seen.py)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

import pytest
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

import ccnow_tui
from ccnow_tui.tui import textual_private
from ccnow_tui.tui.textual_private import PRIVATE_NAMES, HookedInput

TUI_DIR = Path(ccnow_tui.__file__).resolve().parent / "tui"
REPO = Path(__file__).resolve().parents[2]


def _moved(owner: str, name: str, what: str) -> str:
    return (
        f"Textual changed {owner}.{name}, which ccnow_tui relies on ({what}); "
        "adapt ccnow_tui/tui/textual_private.py (keys typed ahead depend on it)"
    )


def named(name: str) -> tuple[str, str, str]:
    """The PRIVATE_NAMES entry of ``name``: (owner, name, what we rely on)."""
    return next(entry for entry in PRIVATE_NAMES if entry[1] == name)


def test_every_private_name_is_listed_and_checked():
    assert {(owner, name) for owner, name, _ in PRIVATE_NAMES} == {
        ("textual.widgets.Input", "_on_key"),
        ("textual.dom.DOMNode", "_bindings"),
        ("textual.app.App", "_check_bindings"),
    }, "a private name was added to or removed from PRIVATE_NAMES: check it in this test too"


class Field(HookedInput):
    """Takes "!" itself (key_first), and records what it saw first."""

    def __init__(self) -> None:
        super().__init__(id="field")
        self.seen: list[str] = []

    async def key_first(self, event) -> bool:
        self.seen.append(event.key)
        if event.key != "exclamation_mark":
            return False
        event.prevent_default()  # as FieldInput does: Textual's own handler does not type it either
        return True


class FieldApp(App):
    def compose(self):
        yield Field()


async def test_input_key_handler_types_what_it_is_fed_and_sees_it_first():
    """``Input._on_key``: HookedInput's key_first sees each key before it is typed, may take
    it, and feed_key (the app handing a key over as it reads it) types it."""
    from textual import events

    app = FieldApp()
    async with app.run_test() as pilot:
        field = app.query_one(Field)
        field.focus()
        await pilot.pause()
        await pilot.press("a", "exclamation_mark", "b")  # dispatched by Textual: through _on_key
        assert field.seen == ["a", "exclamation_mark", "b"], _moved(*named("_on_key"))
        assert field.value == "ab", _moved(*named("_on_key"))
        await field.feed_key(events.Key("c", "c"))
        await field.feed_key(events.Key("exclamation_mark", "!"))  # taken by key_first, not typed
        assert field.value == "abc", _moved(*named("_on_key"))


async def test_the_bindings_a_node_declares_run_its_editing_keys():
    """``DOMNode._bindings``: the field's own editing keys (backspace) are ordinary
    bindings, found by key, and running one edits the field (FieldInput does so)."""
    app = FieldApp()
    async with app.run_test() as pilot:
        field = app.query_one(Field)
        field.focus()
        field.value = "abc"
        field.cursor_position = 3
        editing = textual_private.node_bindings(field, "backspace")
        assert editing and not any(b.priority for b in editing), _moved(*named("_bindings"))
        await field.run_action(editing[0].action)
        await pilot.pause()
        assert field.value == "ab", _moved(*named("_bindings"))
        assert textual_private.node_bindings(field, "x") == ()  # a printable key: no binding of its own
        assert textual_private.node_bindings(Input(), "backspace") == editing  # declared by Input, not our subclass


class Keyed(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "hit('priority')", priority=True),
        Binding("o", "hit('ordinary')"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    def action_hit(self, what: str) -> None:
        self.hits.append(what)


async def test_running_a_keys_priority_bindings_acts_at_once():
    """``App._check_bindings(key, priority=True)``: runs the key's priority binding then and
    there (True), and leaves ordinary bindings and unbound keys alone (False)."""
    app = App()
    async with app.run_test() as pilot:
        screen = Keyed()
        app.push_screen(screen)
        await pilot.pause()
        assert await textual_private.run_priority_bindings(app, "p") is True, _moved(*named("_check_bindings"))
        assert screen.hits == ["priority"], _moved(*named("_check_bindings"))
        assert await textual_private.run_priority_bindings(app, "o") is False, _moved(*named("_check_bindings"))
        assert await textual_private.run_priority_bindings(app, "z") is False
        assert screen.hits == ["priority"], _moved(*named("_check_bindings"))


# What Textual used to give the tests only through private names: the screen drawn as text
# (Screen._compositor), the toasts shown (App._notifications), the screens seen under the top
# one (App._background_screens). The tests and the screenshots read them through public
# calls now (tests/tui/seen.py): export_screenshot(), query("Toast").
SEEN_PRIVATELY = {"_compositor", "_notifications", "_background_screens"}


def test_the_tests_and_screenshots_see_the_screen_through_public_calls():
    paths = [*(REPO / "tests").rglob("*.py"), *(REPO / "screenshots").rglob("*.py")]
    assert Path(__file__).resolve() in paths and len(paths) > 50  # the right tree, read whole
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        found += [f"{path.relative_to(REPO)}: .{name}" for name in sorted(attrs & SEEN_PRIVATELY)]
    assert not found, f"textual's private names read to see the screen (use tests/tui/seen.py): {found}"


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
    gone = ["_background_screens", "_load_screen_css", "_register", "_css_update_count", *SEEN_PRIVATELY]
    for name in [name for _, name, _ in PRIVATE_NAMES] + gone:
        assert f".{name}" not in source and f"def {name}(" not in source, (
            f"{path.name} uses textual's private {name}: go through textual_private.py"
        )


def test_the_app_uses_no_private_name_but_the_three_for_keys():
    """textual_private.py itself reaches only the three names the keys need (an attribute
    or a method of Textual's starting with an underscore), the others being ours to read."""
    tree = ast.parse((TUI_DIR / "textual_private.py").read_text(encoding="utf-8"))
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr.startswith("_")}
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)}
    assert used | (defined & {"_on_key"}) == {name for _, name, _ in PRIVATE_NAMES}
