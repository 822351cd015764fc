"""Colours come from the theme: every theme, light or dark, and NO_COLOR show the screens
as meant. No screen or widget names a colour; they build their text from styled.py's
Palette, whose styles are the theme's variables, and build it again when the theme changes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rich.errors import StyleSyntaxError
from rich.style import Style

import ccnow_tui
from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.detail import DetailScreen
from ccnow_tui.tui.widgets.styled import StyledText

from .helpers import SIZE, screen_text, started, wait_until

TUI_DIR = Path(ccnow_tui.__file__).resolve().parent / "tui"
SOURCES = sorted([*TUI_DIR.glob("*.py"), *(TUI_DIR / "screens").glob("*.py"), *(TUI_DIR / "widgets").glob("*.py")])


def _colour_styles(path: Path) -> list[str]:
    """String constants in ``path`` that Rich reads as a style with a colour (or dim)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        # (One letter is a key name, not a style, though Rich reads "d" as dim.)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value.strip()) > 1:
            try:
                style = Style.parse(node.value)
            except (StyleSyntaxError, ValueError):
                continue
            if style.color is not None or style.bgcolor is not None or style.dim:
                found.append(node.value)
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(TUI_DIR)))
def test_no_module_names_a_colour(path):
    assert _colour_styles(path) == [], (
        f"{path.relative_to(TUI_DIR)} names a colour in a style string: use a Palette role "
        "(widgets/styled.py) or a component class with the theme's variables ($text-error, ...)"
    )


def test_the_check_would_see_a_colour():
    assert [s for s in ("bold red", "yellow", "dim", "on blue", "#ff0000", "send", "bold") if _colour_styles_of(s)] == [
        "bold red",
        "yellow",
        "dim",
        "on blue",
        "#ff0000",
    ]


def _colour_styles_of(text: str) -> list[str]:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(f"x = {text!r}\n")
    return _colour_styles(Path(f.name))


def _span_style(widget: StyledText, words: str) -> Style:
    text = widget.text
    for span in text.spans:
        if text.plain[span.start : span.end].strip() == words:
            return span.style if isinstance(span.style, Style) else Style.parse(span.style)
    raise AssertionError(f"{words!r} is not a span of {text.plain!r}")


async def test_switching_the_theme_restyles_the_screens(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        dark = app.theme
        assert dark != "textual-light"
        order = sandbox.book.pending()[0]
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        info = app.screen.query_one("#info", StyledText)
        await wait_until(pilot, lambda: "pending" in info.text.plain, "the order's status")
        status_dark = _span_style(info, "pending")
        assert status_dark == info.get_component_rich_style("styled--actionable")
        assert status_dark.color is not None

        app.theme = "textual-light"
        await pilot.pause()
        status_light = _span_style(info, "pending")
        assert status_light == info.get_component_rich_style("styled--actionable")
        assert status_light.color != status_dark.color  # drawn again in the light theme's colour
        assert str(order) in screen_text(app) and "(actionable)" in screen_text(app)

        # A question asked in the light theme, and the theme changed while it is up.
        app.session.staging.add([StagedAction.make(order, "ship")])
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmScreen)
        keys = app.screen.query_one("#confirm-keys", StyledText)
        assert _span_style(keys, "y") == keys.get_component_rich_style("styled--key")
        body = app.screen.query_one("#confirm-body", StyledText)
        muted_light = _span_style(body, "Ship, cancel and adjust change money and goods; they cannot be taken back.")
        app.theme = dark
        await pilot.pause()
        muted_dark = _span_style(body, "Ship, cancel and adjust change money and goods; they cannot be taken back.")
        assert muted_dark == body.get_component_rich_style("styled--muted") and muted_dark != muted_light
        assert "Send this batch?" in screen_text(app) and "1 entry for 1 order" in screen_text(app)
        await pilot.press("n")
        assert app.theme == dark and _span_style(info, "pending") == status_dark
