"""The footer keeps its keys while they stay the same (Textual's own Footer mounts them
afresh at every change of focus or screen: most of the cost of showing a screen again),
shows new ones as soon as they change, puts the app's own keys first, and a click on a
key acts as the key."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

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
    return {k.binding.description: k.enabled for k in screen.query_one(KeyFooter).keys}


def line(screen: Screen) -> str:
    return screen.query_one(KeyFooter).render().plain  # type: ignore[union-attr]


async def test_the_footer_keeps_its_keys_across_a_screen_shown_again_and_redraws_them_on_a_change():
    app = App()
    async with app.run_test() as pilot:
        screen = Keys()
        app.install_screen(screen, "keys")
        app.push_screen("keys")
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": True, "Field key": True}  # the field has the focus
        assert "^y Field key f2 First f3 Second" in line(screen)
        kept = screen.query_one(KeyFooter).keys

        app.push_screen(Screen())  # another screen over it, then back: the same keys, not made again
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert app.screen is screen and screen.query_one(KeyFooter).keys is kept, "the keys were made again"

        screen.second_enabled = False  # a key disabled: shown disabled
        screen.refresh_bindings()
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": False, "Field key": True}

        screen.set_focus(None)  # the field's own key goes with its focus
        await pilot.pause()
        assert keys_shown(screen) == {"First": True, "Second": False}
        assert "Field key" not in line(screen)


async def test_the_apps_own_keys_come_first_and_a_click_on_a_key_acts_as_the_key():
    acted: list[str] = []

    class Clicked(Keys):
        def action_first(self) -> None:
            acted.append("first")

        def action_second(self) -> None:
            acted.append("second")

    class ClickApp(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit", id="app.quit")]

        def on_mount(self) -> None:
            self.push_screen(Clicked())

    app = ClickApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.screen.set_focus(None)
        await pilot.pause()
        text = line(app.screen)
        assert text.startswith("q Quit f2 First"), text  # a narrow terminal cuts the tail, never quit
        await pilot.click(KeyFooter, offset=(text.index("First"), 0))
        app.screen.second_enabled = False
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.click(KeyFooter, offset=(line(app.screen).index("Second"), 0))  # disabled: a bell, nothing
        await pilot.pause()
        assert acted == ["first"]
