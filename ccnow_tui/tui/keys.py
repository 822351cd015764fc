"""The key map read from the bindings themselves: help sections and palette entries.

Every binding has a stable id and a one-line tooltip; the help screen and the command
palette are both built from the bindings, so neither can drift from the real key map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.screen import Screen

from .widgets.line_list import CursorList

Section = tuple[str, list[tuple[str, str]]]  # a title, and (key, what it does) rows


def bindings_of(node_class: type) -> list[Binding]:
    """Every Binding a class declares, its own first, then inherited; a key bound again
    by a subclass hides the inherited binding, as it does in Textual."""
    keys: set[str] = set()
    out: list[Binding] = []
    ours = [cls for cls in node_class.__mro__ if cls.__module__.startswith("ccnow_tui.")]
    for cls in ours:
        for b in cls.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding) and b.key not in keys:
                keys.add(b.key)
                out.append(b)
    return out


NAMES = {
    "question_mark": "?",
    "slash": "/",
    "space": "space",
    "escape": "esc",
    "enter": "enter",
    "tab": "tab",
    "backspace": "backspace",
    "delete": "delete",
}
# Textual's name of each printable ASCII character ("slash", "full_stop", "dollar_sign", "S"), and back.
CHARACTERS = {
    next(iter(Binding.make_bindings([Binding(c, "")]))).key: c for c in map(chr, range(33, 127)) if c != ","
} | {"comma": ","}
NO_KEYMAP: Mapping[str, str] = {}


def key_name(key: str) -> str:
    """One key as the help writes it: ``?`` for question_mark, ``$`` for dollar_sign."""
    if key in NAMES:
        return NAMES[key]
    if key in CHARACTERS:
        return CHARACTERS[key]
    if "+" not in key and len(key) > 1:
        character = key_to_character(key)
        if character is not None and character.isprintable() and not character.isspace():
            return character
    return key


def binding_keys(binding: Binding, keymap: Mapping[str, str] = NO_KEYMAP) -> list[str]:
    """The keys of ``binding`` in effect, each as the help writes it: the keymap's
    (``[keys]`` in config.toml) for its id, else as shipped (its ``key_display``, split
    at ``/``, when it has one: ``n/esc``)."""
    keys = keymap.get(binding.id) if binding.id else None
    if keys is None and binding.key_display:
        shown = binding.key_display
        return shown.split("/") if len(shown) > 1 else [shown]  # "/" alone is the key itself
    return [key_name(k.strip()) for k in (binding.key if keys is None else keys).split(",")]


def display_key(binding: Binding, keymap: Mapping[str, str] = NO_KEYMAP) -> str:
    """The same, as prose names them: ``y``, ``n or esc``."""
    return " or ".join(binding_keys(binding, keymap))


def app_keymap(node: object) -> Mapping[str, str]:
    """The keymap of ``node``'s app (an app, a screen or a widget); none outside one."""
    try:
        app = getattr(node, "app", node)
    except Exception:  # textual.app.NoActiveAppError: not mounted in an app (yet)
        return NO_KEYMAP
    keymap = getattr(app, "keymap", NO_KEYMAP)
    return keymap if isinstance(keymap, Mapping) else NO_KEYMAP


def owned_binding(owner: type, binding_id: str) -> Binding:
    """``owner``'s binding ``binding_id`` (its own or inherited)."""
    return next(b for b in bindings_of(owner) if b.id == binding_id)


def key_of(node: object, owner: type, binding_id: str) -> str:
    """The keys in effect in ``node``'s app for ``owner``'s binding ``binding_id``, as
    prose on a screen or in the log names them (a remapped key is named as remapped)."""
    return display_key(owned_binding(owner, binding_id), app_keymap(node))


def rows(
    bindings: Iterable[Binding], skip: Iterable[str] = (), keymap: Mapping[str, str] = NO_KEYMAP
) -> list[tuple[str, str]]:
    """(key, what it does) for each binding whose id is not in ``skip``."""
    skipped = set(skip)
    return [
        (display_key(b, keymap), b.tooltip or b.description)
        for b in bindings
        if isinstance(b, Binding) and (b.id or b.action) not in skipped
    ]


def palette_commands(
    app: App[int], screen: Screen[Any], help_action: Callable[[], object], keymap: Mapping[str, str] = NO_KEYMAP
) -> Iterator[SystemCommand]:
    """One palette entry for every key of the current screen (and its focused list),
    each with its key in effect."""
    owners: list[DOMNode] = [screen]
    if isinstance(screen.focused, CursorList):
        owners.insert(0, screen.focused)
    seen: set[str] = set()
    for owner in owners:
        for b in bindings_of(type(owner)):
            key = b.id or b.action
            if not b.tooltip or key in seen or key == "nav.back":
                continue
            seen.add(key)
            yield SystemCommand(b.tooltip, f"key: {display_key(b, keymap)}", partial(app.run_action, b.action, owner))
    help_binding = next((b for b in bindings_of(type(app)) if b.id == "app.help"), None)
    help_keys = display_key(help_binding, keymap) if help_binding and "app.help" in keymap else "? or F1"
    yield SystemCommand("Help: every key", f"key: {help_keys}", help_action)
