"""Words shared by the command line, the TUI and the protocol layer (no textual)."""

from __future__ import annotations


def counted(n: int, one: str, many: str) -> str:
    """``1 entry``, ``2 entries``: the number and the word that goes with it."""
    return f"{n} {one if n == 1 else many}"
