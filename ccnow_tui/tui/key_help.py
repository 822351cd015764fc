"""The keys in effect: ``[keys]`` checked for Textual's keymap, the help (``?``) and the
command palette's entries, each showing the keys as remapped."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import App

from ..config.load import KeyTable
from .keymap import check_keymap
from .keys import NO_KEYMAP, Section, bindings_of, display_key, key_of
from .screens.base import MainScreen
from .screens.composer import ComposerScreen
from .screens.help import HelpScreen, key_sections, section_for

# Where each key the log's hints name is bound (controller.SHIPPED_KEYS lists them).
LOG_HINT_OWNERS: dict[str, type] = {
    "nav.composer": MainScreen,
    "composer.reconcile": ComposerScreen,
    "staging.undo": MainScreen,
}


def help_sections(app_class: type, keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen, read from the bindings themselves (so it cannot go stale),
    each as ``keymap`` makes it."""
    return key_sections(bindings_of(app_class), keymap)


def keymap_of(keys: KeyTable, app_class: type) -> dict[str, str]:
    """config.toml's [keys], checked against the app's bindings (a ConfigError names its
    line): binding id -> keys, as Textual's keymap takes them."""
    return check_keymap(keys, app_class)


def log_hint_keys(app: App[int]) -> dict[str, str]:
    """The keys the log's hints name (``b, then R``), as in effect."""
    return {binding_id: key_of(app, owner, binding_id) for binding_id, owner in LOG_HINT_OWNERS.items()}


def help_screen(app: App[int], keymap: Mapping[str, str]) -> HelpScreen:
    """The help, every key of every screen as in effect, the current screen's first."""
    close = next(display_key(b, keymap) for b in bindings_of(HelpScreen) if b.id == "help.close")
    return HelpScreen(help_sections(type(app), keymap), close.split(" or ")[0], first=section_for(app.screen))
