"""The keys in effect: ``[keys]`` applied through Textual's keymap, the help (``?``) and
the command palette's entries, each showing the keys as remapped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.app import App, SystemCommand
from textual.screen import Screen

from ..config import KeyTable
from .keymap import check_keymap
from .keys import NO_KEYMAP, Section, bindings_of, display_key, key_of, palette_commands
from .screens.base import MainScreen
from .screens.composer import ComposerScreen
from .screens.help import HelpScreen, key_sections, section_for

# Where each key the log's hints name is bound (controller.SHIPPED_KEYS lists them).
LOG_HINT_OWNERS: dict[str, type] = {"nav.composer": MainScreen, "composer.reconcile": ComposerScreen,
                                    "staging.undo": MainScreen}


def help_sections(app_class: type, keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen, read from the bindings themselves (so it cannot go stale),
    each as ``keymap`` makes it."""
    return key_sections(bindings_of(app_class), keymap)


class KeyHelp(App[int]):
    """``?`` opens the help; ``ctrl+p`` lists every key of the screen by what it does."""

    keymap: Mapping[str, str] = NO_KEYMAP  # binding id -> keys, normalized, as Textual was given them

    def use_keys(self, keys: KeyTable) -> None:
        """config.toml's [keys]: checked (a ConfigError names its line), then Textual's keymap."""
        self.keymap = check_keymap(keys, type(self))
        if self.keymap:
            self.set_keymap(self.keymap)

    def log_hint_keys(self) -> dict[str, str]:
        """The keys the log's hints name (``b, then R``), as in effect."""
        return {binding_id: key_of(self, owner, binding_id) for binding_id, owner in LOG_HINT_OWNERS.items()}

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            close = next(display_key(b, self.keymap) for b in bindings_of(HelpScreen) if b.id == "help.close")
            self.push_screen(HelpScreen(help_sections(type(self), self.keymap), close.split(" or ")[0],
                                        first=section_for(self.screen)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen, self.action_help, self.keymap)
