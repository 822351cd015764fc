"""A scrolled body (the help, the previews, an order's detail) that ``j`` and ``k``
scroll too, as they move on every list (line_list.py)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll


class ScrollBody(VerticalScroll):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "j",
            "scroll_down",
            "Down",
            show=False,
            priority=True,
            id="scroll.down",
            tooltip="Scroll down (the help, a preview, an order's detail)",
        ),
        Binding(
            "k",
            "scroll_up",
            "Up",
            show=False,
            priority=True,
            id="scroll.up",
            tooltip="Scroll up (the help, a preview, an order's detail)",
        ),
    ]
