"""One map from what a piece of text means to how the theme shows it.

Screens never name a colour: they build Rich ``Text`` from a :class:`Palette`, whose
styles are read from component classes that use the theme's variables (``$text-error``
and the like), so every theme, light or dark, and ``NO_COLOR`` show them as meant. A
:class:`StyledText` keeps the function that builds its text and builds it again when
the theme changes. Network text still goes in as ``Text`` (never markup).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import ClassVar, Unpack

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget
from textual.widgets import Static

from ...protocol.status import StatusGroup
from .line_list import WidgetOptions

# role: the CSS of its component class. Every colour of the TUI's text is one of these.
ROLE_CSS: dict[str, str] = {
    "strong": "text-style: bold;",
    "muted": "color: $text-muted;",
    "busy": "text-style: italic;",
    "error": "color: $text-error; text-style: bold;",  # it failed; or a lint error
    "refused": "color: $text-error;",  # the receiver's refusal
    "warning": "color: $text-warning;",  # take care
    "alert": "color: $text-warning; text-style: bold;",  # UNKNOWN, UNVERIFIED, SENDING
    "success": "color: $text-success;",  # applied
    "key": "text-style: bold reverse;",  # a key to press
    "flag": "text-style: bold reverse;",  # a state that must not be missed (header)
    # A status's group, as the queue and the order detail both show it.
    "actionable": "color: $text-success;",
    "hold": "color: $text-warning;",
    "progress": "color: $text-secondary;",
    "final": "color: $text-muted;",
    "unknown": "color: $text-error; text-style: bold;",
}

GROUP_ROLE: dict[StatusGroup, str] = {
    StatusGroup.ACTIONABLE: "actionable",
    StatusGroup.ON_HOLD: "hold",
    StatusGroup.IN_PROGRESS: "progress",
    StatusGroup.FINAL: "final",
    StatusGroup.UNKNOWN: "unknown",
}


def role_css(widget_type: str, prefix: str, roles: Iterable[str]) -> str:
    """DEFAULT_CSS for ``widget_type``'s component classes ``prefix--role``."""
    return "\n".join(f"{widget_type} > .{prefix}--{role} {{ {ROLE_CSS[role]} }}" for role in roles)


@dataclass(frozen=True, slots=True)
class Palette:
    """The Rich style of each role, as the current theme shows it."""

    strong: Style
    muted: Style
    busy: Style
    error: Style
    refused: Style
    warning: Style
    alert: Style
    success: Style
    key: Style
    flag: Style
    actionable: Style
    hold: Style
    progress: Style
    final: Style
    unknown: Style

    @classmethod
    def of(cls, widget: Widget, prefix: str) -> Palette:
        return cls(**{f.name: widget.get_component_rich_style(f"{prefix}--{f.name}") for f in fields(cls)})

    def role(self, name: str) -> Style:
        """A role by name ("" is no style)."""
        if not name:
            return Style()
        style: Style = getattr(self, name)
        return style

    def group(self, group: StatusGroup) -> Style:
        style: Style = getattr(self, GROUP_ROLE[group])
        return style


assert {f.name for f in fields(Palette)} == set(ROLE_CSS), "every role has a Palette field"

Builder = Callable[[Palette], Text]
Content = Builder | Text | str


class StyledText(Static):
    """A Static whose text is built from the theme's :class:`Palette`.

    ``update`` takes a builder (``palette -> Text``), a ``Text`` or a plain string (shown
    as text, never as markup). The builder runs when the text is first drawn, and again
    only when the theme's styles change.
    """

    DEFAULT_CSS = role_css("StyledText", "styled", ROLE_CSS)
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"styled--{role}" for role in ROLE_CSS}

    def __init__(self, content: Content = "", **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self._build: Builder = _builder(content)
        self._built: tuple[Palette, Text] | None = None
        self._palette: tuple[str, Palette] | None = None

    def on_mount(self) -> None:
        # Textual publishes this once a new theme's styles are queued to apply: resolve again.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self._palette = None
        self.refresh()

    def update(self, content: Content = "", *, layout: bool = True) -> None:  # type: ignore[override]
        before = self._built[1] if self._built is not None else None
        self._build = _builder(content)
        self._built = None
        try:
            palette = self.palette
        except KeyError:  # not styled yet: built when first drawn
            pass
        else:  # built now, from the state of now; built again only if the theme changes
            self._built = (palette, self._build(palette))
        if layout and before is not None and self._built is not None:
            # A new layout of the whole screen costs more than everything else a keystroke
            # in the composer does: skip it when the text keeps its height.
            layout = not self._same_height(before, self._built[1])
        self.refresh(layout=layout)

    def _same_height(self, before: Text, after: Text) -> bool:
        """Both texts take as many rows: the height is fixed (a header), or they have as
        many lines, none wider than the widget. A width that follows the text never is."""
        width = self.content_region.width
        styles = self.styles
        if width <= 0 or (styles.width is not None and styles.width.is_auto):
            return False  # (no width set: the container's, whatever the text)
        if styles.height is not None and not styles.height.is_auto:
            return True
        lines = before.plain.split("\n"), after.plain.split("\n")
        if len(lines[0]) != len(lines[1]):
            return False
        return all(cell_len(line) <= width for text in lines for line in text)

    @property
    def palette(self) -> Palette:
        # Resolved once per theme: the header is updated for every chunk of a long list.
        theme = self.app.theme
        if self._palette is None or self._palette[0] != theme:
            self._palette = (theme, Palette.of(self, "styled"))
        return self._palette[1]

    def render(self) -> RenderResult:
        return self.text

    @property
    def text(self) -> Text:
        """The text as it is drawn now."""
        palette = self.palette
        if self._built is None or self._built[0] != palette:
            self._built = (palette, self._build(palette))
        return self._built[1]


def _builder(content: Content) -> Builder:
    if callable(content):
        return content
    text = content if isinstance(content, Text) else Text(content)
    return lambda _palette: text
