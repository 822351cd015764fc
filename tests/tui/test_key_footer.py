"""The footer keeps its keys while they stay the same (Textual's own Footer mounts them
afresh at every change of focus or screen: most of the cost of showing a screen again),
and shows new ones as soon as they change."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from ccnow_tui.tui.textual_private import FooterKey
from ccnow_tui.tui.widgets.key_footer import KeyFooter


class Field(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+y", "noop", "Field key", id="test.field")]

    def action_noop(self) -> None:
        pass


class Keys(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "first", "First", id="test.first"),
        Binding("f3", "second", "Second", id="test.second"),
    ]
    second_enabled = True

    def compose(self):
        yield Static("body", id="body")
        yield Field(id="field")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "second":
            return True if self.second_enabled else None  # None: shown, disabled
        return True

    def action_first(self) -> None:
        pass

    def action_second(self) -> None:
        pass


def keys_shown(screen: Screen) -> dict[str, bool]:
    return {k.description: not k.has_class("-disabled") for k in screen.query_one(KeyFooter).query(FooterKey)}


async def test_the_footer_keeps_its_keys_across_a_screen_shown_again_and_redraws_them_on_a_change():
    app = App()
    async with app.run_test() as pilot:
        screen = Keys()
        app.install_screen(screen, "keys")
        app.push_screen("keys")
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": True, "Field key": True}  # the field has the focus
        mounted = list(screen.query(FooterKey))

        app.push_screen(Screen())  # another screen over it, then back: the same keys
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert app.screen is screen and list(screen.query(FooterKey)) == mounted, "the same keys were mounted again"

        screen.second_enabled = False  # a key disabled: shown disabled
        screen.refresh_bindings()
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": False, "Field key": True}

        screen.set_focus(None)  # the field's own key goes with its focus
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": False}
