"""What the operator sees, read through Textual's public API: the screen as text, the toasts.

Shared by the TUI tests (tests/tui/helpers.py) and screenshots/make_screenshots.py, so it
imports nothing of the tests' (no conftest): the script puts tests/ on its path.

The screen comes from ``App.export_screenshot()``, the SVG Textual draws of exactly what it
shows (the top screen and the screens that show under it). Rich writes that SVG
(``Console.export_svg``) as one ``<text>`` per styled run that is not all spaces, at
``x = column * character width``, clipped to its row (``clip-path="url(#...-line-ROW)"``),
its spaces written ``&#160;`` and the rest HTML-escaped. :func:`svg_text` puts each run
back at its column, counting terminal cells (a CJK character or an emoji takes two), so
later text lands where it is shown.
"""

from __future__ import annotations

import html
import re

from rich.cells import cell_len

# <text class=".." x=".." y=".." textLength=".." clip-path="url(#ID-line-N)">RUN</text>;
# the title (no clip-path) is not part of the terminal.
_TEXT = re.compile(r"<text\b([^>]*)>([^<]*)</text>")
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
_ROW = re.compile(r"url\(#[^)]*-line-(\d+)\)")
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);")


def _unescape(run: str) -> str:
    # One pass: "&#160;" is a space Rich wrote, a real no-break space is written as itself,
    # and "&amp;#160;" stays the text "&#160;".
    return _ENTITY.sub(lambda m: " " if m.group() == "&#160;" else html.unescape(m.group()), run)


def svg_text(svg: str, width: int, height: int) -> str:
    """The rows of text of a terminal ``width`` x ``height`` drawn by Rich's
    ``Console.export_svg``, each padded with spaces to ``width`` cells, one a line."""
    runs: dict[int, list[tuple[float, str]]] = {}
    ended: set[int] = set()  # the rows whose end (a newline run) was read
    char_width = 0.0
    longest = 0
    for match in _TEXT.finditer(svg):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        row = _ROW.fullmatch(attributes.get("clip-path", ""))
        if row is None:
            continue  # the window's title, outside the terminal
        y = int(row.group(1))
        if y >= height:
            raise ValueError(f"row {y} is below the terminal's {height} rows")
        text = _unescape(match.group(2))
        if text.endswith("\n"):  # a row's end is written as a run of its own
            ended.add(y)
            text = text.rstrip("\n")
        if not text:
            continue
        runs.setdefault(y, []).append((float(attributes["x"]), text))
        if len(text) > longest:  # textLength is the width of len(text) characters
            longest, char_width = len(text), float(attributes["textLength"]) / len(text)
    if not ended >= set(range(height - 1)):
        # Every row but the last ends with a newline run: else this is not what was read here.
        raise ValueError(f"rows {sorted(set(range(height - 1)) - ended)} not found: not Rich's SVG as read here")
    lines = []
    for y in range(height):
        line, column = [], 0
        for x, text in sorted(runs.get(y, ())):
            at = round(x / char_width)
            if at < column:
                raise ValueError(f"row {y}: a run at column {at} overlaps the text before it (to {column})")
            line.append(" " * (at - column) + text)
            column = at + cell_len(text)
        if column > width:
            raise ValueError(f"row {y} is {column} cells wide, more than the terminal's {width}")
        lines.append("".join(line) + " " * (width - column))
    return "\n".join(lines)


def screen_text(app) -> str:
    """Everything on the screen (the top screen and those seen under it) as plain text."""
    width, height = app.size
    return svg_text(app.export_screenshot(simplify=True), width, height)


def toasts(app) -> list[str]:
    """The toasts on the screen now, each as it reads (its title, if any, on the line before
    its message). A toast shows a frame after it is posted and goes when it times out.
    ``run_test`` shows none unless asked: ``app.run_test(notifications=True)``."""
    if not app.screen.query("ToastRack"):
        raise AssertionError("this app shows no toasts: run it with app.run_test(notifications=True)")
    return [toast.render().plain for toast in app.screen.query("Toast")]
