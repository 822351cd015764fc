"""``[keys]`` in config.toml, checked against the bindings, for Textual's keymap.

config/load.py reads the table (binding id -> keys as written) and knows no bindings; here
each id is looked up among every binding of every screen, each key is checked to be one
Textual can deliver, and no key may end up bound twice where both would be live at once:
on one screen, the keys of that screen, of the app (``q``, ``?``; not under a modal
screen, which Textual leaves the app's keys out of) and of the one list or log focused
on it count together. Textual's own keys there (``tab``, ``ctrl+c``, the palette's
``ctrl+p``) count too. A key two bindings had before the remap is no clash of ours;
only keys the table sets are blamed. Every problem is a :class:`ConfigError` naming
the file and the line, so a start with a bad table stops with that message.

The keymap returned goes to ``App.set_keymap``: Textual replaces, by id, the keys of
the bindings in every namespace. The help, the footer and the palette show the keys
in effect (keys.py reads the same keymap).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.keys import Keys, key_to_character
from textual.screen import ModalScreen

from ..config.load import ConfigError, KeyTable
from .keys import CHARACTERS, key_name
from .screens.base import BaseScreen
from .screens.composer import ComposerScreen
from .screens.confirm import ConfirmScreen
from .screens.detail import DetailScreen
from .screens.forms import ActionForm, GoToForm
from .screens.help import HelpScreen
from .screens.hidden import HiddenSelectionScreen
from .screens.history import BatchScreen, HistoryScreen
from .screens.import_labels import ImportPreviewScreen, LabelChoiceForm, LabelPathForm
from .screens.preview import PreviewScreen
from .screens.queue import QueueScreen
from .screens.setup import PasswordScreen, SetupScreen
from .widgets.line_list import CursorList
from .widgets.scroll_body import ScrollBody
from .widgets.status_log import StatusLog

# Every screen, as a message names it. BaseScreen and MainScreen are never shown alone.
SCREENS: list[tuple[str, type[DOMNode]]] = [
    ("the pending queue", QueueScreen),
    ("an order's detail", DetailScreen),
    ("the batch composer", ComposerScreen),
    ("the history", HistoryScreen),
    ("a batch of the history", BatchScreen),
    ("the confirmation", ConfirmScreen),
    ("the hidden-selection question", HiddenSelectionScreen),
    ("the stage forms", ActionForm),
    ("the go-to form", GoToForm),
    ("the label file's path", LabelPathForm),
    ("the label import preview", ImportPreviewScreen),
    ("the label import's column and carrier form", LabelChoiceForm),
    ("the request preview", PreviewScreen),
    ("the help", HelpScreen),
    ("the setup screen", SetupScreen),
    ("the password prompt", PasswordScreen),
]
# What may be focused on a BaseScreen (one at a time): their keys count with the screen's.
WIDGETS: list[tuple[str, type[DOMNode]]] = [
    ("a list", CursorList),
    ("the log", StatusLog),
    ("a scrolled body", ScrollBody),
]
KNOWN = frozenset(k.value for k in Keys if not k.value.startswith("<"))
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
PALETTE = Binding("ctrl+p", "command_palette", "Command palette")  # the App adds it at run time


@dataclass(frozen=True)
class _Bound:
    """One binding as it is after the remap, in one namespace."""

    binding: Binding
    keys: tuple[str, ...]
    remapped: bool

    @property
    def who(self) -> str:
        return self.binding.id or f"textual:{self.binding.action}"

    def describe(self) -> str:
        what = self.binding.tooltip or self.binding.description or self.binding.action
        return f"{what!r} ({self.binding.id})" if self.binding.id else f"Textual's {what!r}"


ALIASES = {"esc": "escape", "pgup": "pageup", "pgdn": "pagedown"}  # as the help writes them


def normalized(keys: str) -> str:
    """``keys`` in Textual's long names (``?`` -> ``question_mark``, ``esc`` -> ``escape``),
    as the keymap holds them."""
    named = ",".join(ALIASES.get(k.strip(), k.strip()) for k in keys.split(","))
    return ",".join(b.key for b in Binding.make_bindings([Binding(named, "")]))


def merged_bindings(node_class: type) -> list[Binding]:
    """The bindings a node of ``node_class`` has, inherited ones included, one per key:
    a key bound again by a subclass hides the inherited binding (as Textual merges them)."""
    by_key: dict[str, list[Binding]] = {}
    for base in reversed(node_class.__mro__):
        if isinstance(base, type) and issubclass(base, DOMNode) and "BINDINGS" in base.__dict__:
            own: dict[str, list[Binding]] = {}
            declared: list[BindingType] = base.__dict__["BINDINGS"]
            for b in Binding.make_bindings(declared):
                own.setdefault(b.key, []).append(b)
            by_key.update(own)
    return [b for bindings in by_key.values() for b in bindings]


def binding_ids(app_class: type) -> dict[str, Binding]:
    """Every binding id of the app, its screens and its lists, with its first binding."""
    ids: dict[str, Binding] = {}
    for cls in [app_class, BaseScreen, *(cls for _, cls in [*SCREENS, *WIDGETS])]:
        for b in merged_bindings(cls):
            if b.id:
                ids.setdefault(b.id, b)
    return ids


def key_problem(key: str) -> str:
    """Why ``key`` (one, normalized) is no key Textual delivers; "" when it is one."""
    if key in KNOWN:
        return ""
    *mods, base = key.split("+") if len(key) > 1 else [key]
    bad = [m for m in mods if m not in MODIFIERS]
    if bad:
        return f"{bad[0]!r} is not a modifier (those are {', '.join(MODIFIERS)})"
    if len(base) == 1 and base.isprintable() and not base.isspace():
        return ""
    if _named(base):
        return ""
    lower = base.lower()
    if lower != base and _named(lower):
        return f"{base!r} is not a key name (did you mean {lower!r}?)"
    return f"{base!r} is not a key name"


def _named(base: str) -> bool:
    """A key's name: Textual's (``enter``, ``f5``), a character's (``slash``), a Unicode one."""
    return base in KNOWN or base in CHARACTERS or key_to_character(base) is not None


def check_keymap(table: KeyTable, app_class: type) -> dict[str, str]:
    """The keymap for ``App.set_keymap``: ids to normalized keys. Raises ConfigError
    (file and line) for an unknown id, a key that is no key, or a key bound twice."""
    if not table.keys:  # nothing remapped: only a remapped key is ever blamed (_check_group)
        return {}
    ids = binding_ids(app_class)
    keymap: dict[str, str] = {}
    for binding_id, keys in table.keys.items():
        at = table.places.get(binding_id, f"{table.path}: " if table.path else "")
        if binding_id not in ids:
            close = difflib.get_close_matches(binding_id, list(ids), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{at}[keys] unknown binding id {binding_id!r}{hint}; README's [keys] section lists every id"
            )
        try:
            keymap[binding_id] = normalized(keys)
        except Exception:  # an empty name between commas: config/load.py refuses those already
            raise ConfigError(f"{at}[keys] {binding_id!r}: {keys!r} is not a list of keys") from None
        for key in keymap[binding_id].split(","):
            problem = key_problem(key)
            if problem:
                raise ConfigError(
                    f"{at}[keys] {binding_id!r} = {keys!r}: {problem} (keys are written as "
                    'Textual names them: "x", "S", "?", "f5", "ctrl+o", "space", "enter")'
                )
    for title, namespaces in groups(app_class):
        _check_group(title, namespaces, app_class, keymap, table)
    return keymap


def groups(app_class: type) -> Iterable[tuple[str, list[type]]]:
    """The sets of namespaces whose keys are live together: a screen, the app's (unless
    the screen is modal) and the one list or log focused on it."""
    for title, screen in SCREENS:
        base = [screen] if issubclass(screen, ModalScreen) else [screen, app_class]
        yield title, base
        if issubclass(screen, BaseScreen):
            for what, widget in WIDGETS:
                yield f"{title} (with {what} focused)", [widget, *base]


def _set_at(bound: _Bound, table: KeyTable) -> str:
    """ ", set at PATH: line N" for a binding the table remaps too."""
    place = table.places.get(bound.binding.id or "", "") if bound.remapped else ""
    return f", set at {place.rstrip(': ')}" if place else ""


def _check_group(
    title: str, namespaces: list[type], app_class: type, keymap: Mapping[str, str], table: KeyTable
) -> None:
    by_key: dict[str, dict[str, _Bound]] = {}
    declared: dict[str, set[str]] = {}  # who -> the keys it has without the table
    for namespace in namespaces:
        bindings = merged_bindings(namespace) + ([PALETTE] if namespace is app_class else [])
        for b in bindings:
            remapped = bool(b.id) and b.id in keymap
            keys = tuple(keymap[b.id].split(",")) if remapped and b.id else (b.key,)
            bound = _Bound(b, keys, remapped)
            declared.setdefault(bound.who, set()).add(b.key)
            for key in keys:
                by_key.setdefault(key, {}).setdefault(bound.who, bound)
    for key, holders in by_key.items():
        if len(holders) < 2:
            continue
        # Only a key the table gives a binding is the table's doing (setup.quit and
        # app.quit share q as the app declares them; "q" written out again is no clash).
        blamed = [h for h in holders.values() if h.remapped and key not in declared[h.who]]
        if not blamed:
            continue
        order = list(table.keys)  # the later line is the one that took a key already taken
        first = max(blamed, key=lambda h: order.index(h.binding.id) if h.binding.id in order else -1)
        others = [h for h in holders.values() if h is not first]
        binding_id = first.binding.id or ""
        at = table.places.get(binding_id, "")
        also = [h.describe() + _set_at(h, table) for h in others]
        raise ConfigError(
            f"{at}[keys] {binding_id!r} = {table.keys[binding_id]!r}: {key_name(key)} is bound twice "
            f"on {title}: it is also {' and '.join(also)}"
        )
